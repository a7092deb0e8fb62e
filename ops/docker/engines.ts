import Docker from "dockerode";
import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import * as path from "node:path";
import { DOCKER_ENDPOINT_PATTERNS } from "../../settings/schema";
import { errorMessage, withDeadline } from "../deadline";
import type { PostDeployPlan } from "../../contracts/plan";
import type { DockerTls } from "../../contracts/docker-hosts";
import { checkHostKey, fingerprint, hostKeyType, knownHostsName, type KnownHostsFile } from "./known-hosts";

/**
 * Which Docker Engine holds each server. On a single host every server is on the local engine
 * (dockerode's defaults: DOCKER_HOST or /var/run/docker.sock), as the provider's default is. With
 * `hosts`, each server's container is on its host's engine, and every tool that reaches a
 * container (logs, backup, restore, volumes) must go there: the same endpoint the host's
 * `docker.Provider` uses, and for tcp:// the same three PEMs.
 */

/** A host as the tools need it: its name and endpoint, never its TLS PEMs (those travel as a secret). */
export interface DockerHostRef {
    readonly name: string;
    readonly docker: string;
    readonly sshOpts?: readonly string[];
}

/** A tcp:// host's TLS material, as the `hostTls` secret holds it. */
export interface HostTlsPems {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

export type DockerHostFailureKind =
    | "unknown-host"
    | "no-tls"
    | "unsupported-ssh-option"
    | "ssh-key-unreadable"
    | "known-hosts-unreadable"
    | "host-key-unknown"
    | "host-key-mismatch"
    | "host-key-revoked"
    | "unreachable";

/** A host the tools cannot use; the message names the host and its endpoint, never a PEM. */
export class DockerHostError extends Error {
    constructor(
        readonly kind: DockerHostFailureKind,
        readonly host: string,
        message: string,
    ) {
        super(message);
        this.name = "DockerHostError";
    }
}

/** Where the tools look up host keys unless `-o UserKnownHostsFile=` names the user's file: OpenSSH's defaults. */
export const DEFAULT_USER_KNOWN_HOSTS = (): string => path.join(homedir(), ".ssh", "known_hosts");
export const GLOBAL_KNOWN_HOSTS = "/etc/ssh/ssh_known_hosts";

/** A host-key refusal the verifier recorded: ssh2 itself only says "Host denied (verification failed)". */
export type HostKeyRefusal = (err: DockerHostError) => void;

/** A known_hosts file's text; a file that does not exist holds no keys (as for OpenSSH), not an error. */
export function readKnownHostsFile(file: string): string {
    try {
        return readFileSync(file, "utf8");
    } catch (err) {
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
        throw err;
    }
}

/**
 * Pure but for reading an `ssh -i` key file through `readKey` and the known_hosts files through
 * `readKnownHosts`: dockerode's options for a host's endpoint. tcp:// requires all three PEMs, as
 * the stack's validation does (the provider would silently skip verifying the engine without a
 * CA). ssh:// gets a host-key verifier over the known_hosts files read now, so the tools refuse a
 * host whose key OpenSSH would refuse (ssh2 alone accepts any key); a refusal is also handed to
 * `onRefusal`, since ssh2 passes on only a generic error.
 */
export function dockerOptionsFor(
    host: DockerHostRef,
    tls: HostTlsPems | undefined,
    readKey: (file: string) => string = (f) => readFileSync(f, "utf8"),
    readKnownHosts: (file: string) => string = readKnownHostsFile,
    onRefusal: HostKeyRefusal = () => undefined,
): Docker.DockerOptions {
    const { unix, tcp, ssh } = DOCKER_ENDPOINT_PATTERNS;
    if (unix.test(host.docker)) return { socketPath: host.docker.slice("unix://".length) };
    if (tcp.test(host.docker)) {
        if (!tls?.ca || !tls.cert || !tls.key) {
            throw new DockerHostError(
                "no-tls",
                host.name,
                `host ${host.name} (${host.docker}): a tcp:// engine is reached with TLS only, and hostTls.${host.name} does not hold ca, cert and key; set them with pulumi config set --secret --path 'hostTls.${host.name}.ca' < ca.pem (and cert, key)`,
            );
        }
        const url = new URL(host.docker);
        return { protocol: "https", host: url.hostname, port: Number(url.port), ca: tls.ca, cert: tls.cert, key: tls.key };
    }
    if (ssh.test(host.docker)) {
        const url = new URL(host.docker);
        let port = url.port ? Number(url.port) : 22;
        let privateKey: string | undefined;
        let userKnownHosts: string | undefined;
        const opts = host.sshOpts ?? [];
        // ssh's arguments the tools understand: dockerode speaks SSH itself (ssh2, through
        // docker-modem), not through the `ssh` command the provider runs, so only the arguments with
        // a meaning there are taken, and any other is refused by name rather than silently dropped.
        // `-o` is taken only for UserKnownHostsFile, the one option that changes which host keys are trusted.
        for (let i = 0; i < opts.length; i++) {
            const opt = opts[i];
            const value = opts[i + 1];
            const knownHostsValue = opt === "-o" ? userKnownHostsOf(value) : undefined;
            if (!["-i", "-p", "-o"].includes(opt) || value === undefined || (opt === "-o" && knownHostsValue === undefined)) {
                throw new DockerHostError(
                    "unsupported-ssh-option",
                    host.name,
                    `host ${host.name}: the tools reach ${host.docker} with their own SSH client, which understands only -i <key>, -p <port> and -o UserKnownHostsFile=<file> in sshOpts, not ${opt}${value === undefined ? " without a value" : opt === "-o" ? ` ${value}` : ""}; put other options in ~/.ssh/config of the deploy machine's ssh instead`,
                );
            }
            if (opt === "-i") privateKey = readSshKey(host, value, readKey);
            else if (opt === "-p") port = Number(value);
            else userKnownHosts = knownHostsValue;
            i++;
        }
        const files = [userKnownHosts ?? DEFAULT_USER_KNOWN_HOSTS(), GLOBAL_KNOWN_HOSTS].map((file): KnownHostsFile => {
            try {
                return { file, text: readKnownHosts(file) };
            } catch (err) {
                throw new DockerHostError(
                    "known-hosts-unreadable",
                    host.name,
                    `host ${host.name}: cannot read the known_hosts file ${file} to check ${host.docker}'s host key (${errorMessage(err)}); run the tools as the user that deploys, or fix -o UserKnownHostsFile= in sshOpts`,
                );
            }
        });
        const hostVerifier = (key: Buffer): boolean => {
            const refusal = hostKeyRefusal(host, url.hostname, port, files, key);
            if (refusal) onRefusal(refusal);
            return refusal === undefined;
        };
        return {
            protocol: "ssh",
            host: url.hostname,
            port,
            ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
            sshOptions: { ...(privateKey ? { privateKey } : { agent: process.env.SSH_AUTH_SOCK }), hostVerifier },
        };
    }
    throw new DockerHostError("unknown-host", host.name, `host ${host.name}: ${host.docker} is not a Docker endpoint the stack accepts`);
}

/** The file of `-o UserKnownHostsFile=<file>` (OpenSSH's keywords are case-insensitive); undefined for any other `-o`. */
function userKnownHostsOf(value: string | undefined): string | undefined {
    const m = value === undefined ? null : /^UserKnownHostsFile=(\S+)$/i.exec(value);
    return m ? m[1] : undefined;
}

/**
 * Why the tools refuse `key` from `address`:`port`, or undefined when a known_hosts line has it.
 * Pure. The message names the host, its endpoint, the key's fingerprint and the fix.
 */
export function hostKeyRefusal(
    host: DockerHostRef,
    address: string,
    port: number,
    files: readonly KnownHostsFile[],
    key: Buffer,
): DockerHostError | undefined {
    const name = knownHostsName(address, port);
    const verdict = checkHostKey(files, name, key);
    if (verdict.ok) return undefined;
    const offered = `${hostKeyType(key) ?? "unknown type"} key ${fingerprint(key)}`;
    const searched = files.map((f) => f.file).join(" and ");
    const keyscan = `ssh-keyscan -p ${port} ${address} >> ${files[0]?.file ?? "~/.ssh/known_hosts"}`;
    const addIt = `check its fingerprint out of band (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub on the host), then ${keyscan}, or point -o UserKnownHostsFile=<file> in sshOpts at a file that has it`;
    switch (verdict.kind) {
        case "host-key-unknown":
            return new DockerHostError(
                "host-key-unknown",
                host.name,
                `host ${host.name} (${host.docker}): its host key (${offered}) is not in ${searched}${verdict.markerOnly ? " (only @cert-authority lines name it, which the tools' SSH client cannot check)" : ""}, so the tools refuse it as ssh would; ${addIt}`,
            );
        case "host-key-mismatch":
            return new DockerHostError(
                "host-key-mismatch",
                host.name,
                `host ${host.name} (${host.docker}): it offered ${offered}, but ${verdict.files.join(" and ")} hold another key for ${name} (${verdict.knownTypes.join(", ")}): someone may be in the middle, or the host was reinstalled; refused. If the change is expected and its fingerprint checks out of band, ssh-keygen -R '${name}' -f ${verdict.files[0]} then ${keyscan}`,
            );
        case "host-key-revoked":
            return new DockerHostError(
                "host-key-revoked",
                host.name,
                `host ${host.name} (${host.docker}): it offered ${offered}, which ${verdict.file} marks @revoked; refused. Give the host a new key and add that key to known_hosts`,
            );
    }
}

function readSshKey(host: DockerHostRef, file: string, readKey: (file: string) => string): string {
    try {
        return readKey(file);
    } catch (err) {
        throw new DockerHostError(
            "ssh-key-unreadable",
            host.name,
            `host ${host.name}: cannot read the ssh key ${file} its sshOpts name (${errorMessage(err)}); run the tools as the user that deploys, or fix the path`,
        );
    }
}

/** The engines of a stack's servers, one client per host, made on first use. */
export class DockerEngines {
    private readonly clients = new Map<string, Docker>();
    /** The last host-key refusal of each host's verifier: what `reachable` reports instead of ssh2's bare "Host denied". */
    private readonly refusals = new Map<string, DockerHostError>();

    private constructor(
        private readonly hosts: readonly DockerHostRef[],
        /** Server name -> host name; empty on a single host. */
        private readonly placement: Readonly<Record<string, string>>,
        private readonly tls: Readonly<Record<string, HostTlsPems>>,
        private readonly make: (options: Docker.DockerOptions | undefined) => Docker,
    ) {}

    /** Every server on one engine (the local one unless `docker` is given): a stack without `hosts`. */
    static single(docker?: Docker): DockerEngines {
        return new DockerEngines([], {}, {}, () => docker ?? new Docker());
    }

    /** Servers spread over `hosts` as `placement` says; a server not in it is refused by name. */
    static placed(
        hosts: readonly DockerHostRef[],
        placement: Readonly<Record<string, string>>,
        tls: Readonly<Record<string, HostTlsPems>> = {},
        make: (options: Docker.DockerOptions | undefined) => Docker = (o) => new Docker(o),
    ): DockerEngines {
        return new DockerEngines(hosts, placement, tls, make);
    }

    get spread(): boolean {
        return this.hosts.length > 0;
    }

    /** The host of `server`, or undefined on a single host. */
    hostOf(server: string): string | undefined {
        if (!this.spread) return undefined;
        const host = this.placement[server];
        if (!host) throw new DockerHostError("unknown-host", "?", `${server} is placed on no host of this stack`);
        return host;
    }

    /** The engine `server`'s container is on. */
    forServer(server: string): Docker {
        return this.forHost(this.hostOf(server));
    }

    /** The engine of `host` (undefined: the single host's). */
    forHost(host: string | undefined): Docker {
        const key = host ?? "";
        let client = this.clients.get(key);
        if (!client) {
            if (host === undefined) client = this.make(undefined);
            else {
                const ref = this.hosts.find((h) => h.name === host);
                if (!ref) throw new DockerHostError("unknown-host", host, `no host ${host} in this stack's hosts`);
                client = this.make(dockerOptionsFor(ref, this.tls[host], undefined, undefined, (err) => this.refusals.set(host, err)));
            }
            this.clients.set(key, client);
        }
        return client;
    }

    /** Every engine the stack uses, by host name ("" on a single host). */
    all(): { host: string | undefined; docker: Docker }[] {
        return this.spread
            ? this.hosts.map((h) => ({ host: h.name, docker: this.forHost(h.name) }))
            : [{ host: undefined, docker: this.forHost(undefined) }];
    }

    /**
     * Pings `host`'s engine within `timeoutMs`: a dead or unreachable host fails the step naming
     * the host and its endpoint, as the provider's configure does, instead of hanging.
     */
    async reachable(host: string | undefined, timeoutMs = 10_000): Promise<void> {
        const docker = this.forHost(host);
        const name = host ?? "the local Docker Engine";
        const endpoint = host ? ` (${this.hosts.find((h) => h.name === host)?.docker})` : "";
        if (host !== undefined) this.refusals.delete(host);
        try {
            await withDeadline(timeoutMs / 1000, `a ping of ${name}`, () => docker.ping());
        } catch (err) {
            // A refused host key is not a host that is down: its own kind says what to check.
            const refusal = host === undefined ? undefined : this.refusals.get(host);
            if (refusal) throw refusal;
            throw new DockerHostError(
                "unreachable",
                host ?? "",
                `cannot reach the Docker Engine of ${name}${endpoint}: ${errorMessage(err)}; bring the host back, or follow the runbook for a lost host (docs/operations.md#a-host-is-lost)`,
            );
        }
    }
}

/**
 * The engines of a plan's servers: the local one on a single host, else each server's host's
 * (`dockerHosts`, with `tls` for the tcp:// ones).
 */
export function enginesOf(
    plan: Pick<PostDeployPlan, "servers" | "dockerHosts">,
    tls: DockerTls = {},
    make?: (options: Docker.DockerOptions | undefined) => Docker,
): DockerEngines {
    if (!plan.dockerHosts) return DockerEngines.single(make?.(undefined));
    const placement = Object.fromEntries(plan.servers.flatMap((s) => (s.dockerHost ? [[s.name, s.dockerHost]] : [])));
    return DockerEngines.placed(plan.dockerHosts, placement, tls, make);
}

/** The engine one server's container is on: its host's (`host`, with `tls` for tcp://), else the local one. */
export function engineOfServer(server: string, host: DockerHostRef | undefined, tls: DockerTls = {}): Docker {
    return host ? DockerEngines.placed([host], { [server]: host.name }, tls).forServer(server) : new Docker();
}

/** The engines a volume check reads: each volume's host's with `hosts`, else the local one. */
export function volumeEngines(
    request: {
        readonly volumes: readonly { readonly server: string; readonly dockerHost?: string }[];
        readonly dockerHosts?: readonly DockerHostRef[];
    },
    tls: DockerTls = {},
): DockerEngines {
    if (!request.dockerHosts) return DockerEngines.single();
    const placement = Object.fromEntries(request.volumes.flatMap((v) => (v.dockerHost ? [[v.server, v.dockerHost]] : [])));
    return DockerEngines.placed(request.dockerHosts, placement, tls);
}
