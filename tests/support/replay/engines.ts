import Docker from "dockerode";
import { spawn } from "node:child_process";
import * as http from "node:http";
import { Duplex } from "node:stream";

/** The type token of the docker provider's own resource (`new docker.Provider(...)`). */
export const DOCKER_PROVIDER = "pulumi:providers:docker";

/** The inputs of a docker.Provider the replay reads: where the engine is and how to trust it. */
export interface ProviderEndpoint {
    readonly host?: string;
    /**
     * The provider's `sshOpts`: arguments of the `ssh` it runs for an ssh:// host. A provider's
     * non-string inputs reach the engine JSON-encoded, so this may be the array's JSON.
     */
    readonly sshOpts?: readonly string[] | string;
    readonly caMaterial?: string;
    readonly certMaterial?: string;
    readonly keyMaterial?: string;
}

/**
 * Why a provider could not be configured, as the provider's configure fails
 * (kreuzwerker/terraform-provider-docker internal/provider/provider.go providerConfigure):
 * - `client-init`: the host could not be turned into a client ("Error initializing Docker client").
 * - `unreachable`: the engine did not answer its ping ("Error pinging Docker server").
 */
export type ProviderFailureKind = "client-init" | "unreachable";

export class ProviderConfigureError extends Error {
    constructor(
        readonly kind: ProviderFailureKind,
        /** The provider's `host` input: which engine (and so which host of the stack) failed. */
        readonly host: string,
        message: string,
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = "ProviderConfigureError";
    }
}

/**
 * The `ssh` command line the provider's client runs for an ssh:// host, as docker/cli's
 * connhelper builds it (GetConnectionHelperWithSSHOpts, which the provider's configure uses;
 * kreuzwerker/terraform-provider-docker internal/provider/config.go): `-l user`, `-p port`, the
 * provider's sshOpts, `-o ConnectTimeout=30` unless they set one, `-T` unless they have it, then
 * `-- host` and the remote command as one string: `docker system dial-stdio`, or with the
 * endpoint's path as the remote socket `docker --host=unix://<path> system dial-stdio`.
 * `deployMachine` comes first: what the deploy user's own ssh configuration adds (a test hands
 * `-F <file>` instead of touching ~/.ssh). Pure.
 */
export function providerSshArgs(host: string, sshOpts: readonly string[] = [], deployMachine: readonly string[] = []): string[] {
    const url = new URL(host);
    const flags = [...sshOpts];
    if (!flags.join("").includes("ConnectTimeout")) flags.push("-o ConnectTimeout=30");
    if (!flags.includes("-T")) flags.push("-T");
    const socket = url.pathname.replace(/^\/+|\/+$/g, "") ? url.pathname : "";
    return [
        ...deployMachine,
        ...(url.username ? ["-l", decodeURIComponent(url.username)] : []),
        ...(url.port ? ["-p", url.port] : []),
        ...flags,
        "--",
        url.hostname,
        socket ? `docker --host=unix://${socket} system dial-stdio` : "docker system dial-stdio",
    ];
}

/** The provider's sshOpts input, JSON-encoded or not. */
function sshOptsOf(endpoint: ProviderEndpoint): string[] {
    const raw = endpoint.sshOpts;
    if (raw === undefined) return [];
    const opts: unknown = typeof raw === "string" ? JSON.parse(raw) : raw;
    if (!Array.isArray(opts) || !opts.every((o) => typeof o === "string"))
        throw new ProviderConfigureError(
            "client-init",
            endpoint.host ?? "",
            `Error initializing Docker client: sshOpts must be a list of strings`,
        );
    return opts;
}

/**
 * One connection to a remote engine through the `ssh` binary: the HTTP bytes go to its stdin and
 * come back on its stdout, which the remote `docker system dial-stdio` joins to the engine's
 * socket (the provider's commandconn does the same). When ssh exits unsuccessfully the
 * connection fails with its exit status and the last of its stderr (never a key: ssh prints none).
 */
function sshConnection(args: readonly string[]): Duplex {
    const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const connection = new Duplex({
        // A write that fails (ssh gone) is not the error to report: ssh's exit below is.
        write(chunk, _encoding, done) {
            child.stdin.write(chunk, () => done());
        },
        final(done) {
            child.stdin.end();
            done();
        },
        read() {
            child.stdout.resume();
        },
        destroy(err, done) {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
            done(err);
        },
    });
    child.stdout.on("data", (d: Buffer) => {
        if (!connection.push(d)) child.stdout.pause();
    });
    // A broken pipe after ssh exited is reported by the exit below.
    child.stdin.on("error", () => undefined);
    child.on("error", (err) => connection.destroy(err));
    // End of stream only once ssh's exit is known: a failed login must fail with ssh's own words,
    // not as an HTTP "socket hang up" on an empty stream.
    child.on("close", (code, signal) => {
        if (connection.destroyed) return;
        if (code === 0) {
            connection.push(null);
            return;
        }
        connection.destroy(
            new Error(
                `command [ssh ${args.join(" ")}] has exited with ${signal ? `signal ${signal}` : `exit status ${code}`}: stderr=${stderr.trim()}`,
            ),
        );
    });
    return connection;
}

/** An HTTP agent whose every connection is a new `ssh` process (no keep-alive: one per request, as docker-modem's ssh agent too). */
export class SshCommandAgent extends http.Agent {
    constructor(readonly args: readonly string[]) {
        super({ keepAlive: false });
    }

    createConnection(): Duplex {
        return sshConnection(this.args);
    }
}

/**
 * dockerode's options for a provider's `host`, as the provider's client reads it: `unix://` a
 * socket, `tcp://` HTTP or, with the three PEMs, HTTPS with the engine's certificate checked,
 * `ssh://` through the `ssh` binary with the provider's sshOpts (`providerSshArgs`), as the
 * provider runs it, not through dockerode's own ssh2 transport, which takes no ssh arguments and
 * so could not honour `-i`. Pure but for making that agent, so each form is unit-tested. Not the
 * tools' reader (ops/docker/engines.ts dockerOptionsFor), on purpose: that one enforces the
 * stack's rules (a tcp:// host needs all three PEMs) and speaks SSH itself, while this one stands
 * in for the provider, which takes a tcp:// host without them (plain HTTP) as the provider itself would.
 */
export function dockerOptions(endpoint: ProviderEndpoint, deployMachineSsh: readonly string[] = []): Docker.DockerOptions {
    // The provider's default when `host` is unset (it also reads DOCKER_HOST; the replay's default engine does the same).
    const host = endpoint.host || process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
    let url: URL;
    try {
        url = new URL(host);
    } catch (err) {
        throw new ProviderConfigureError("client-init", host, `Error initializing Docker client: unable to parse docker host \`${host}\``, {
            cause: err,
        });
    }
    switch (url.protocol) {
        case "unix:":
            return { socketPath: url.pathname };
        case "tcp:": {
            const tls = endpoint.caMaterial && endpoint.certMaterial && endpoint.keyMaterial;
            return {
                host: url.hostname,
                port: Number(url.port || (tls ? 2376 : 2375)),
                protocol: tls ? "https" : "http",
                ...(tls ? { ca: endpoint.caMaterial, cert: endpoint.certMaterial, key: endpoint.keyMaterial } : {}),
            };
        }
        case "ssh:": {
            // The host name is a placeholder, as the provider's ("http://docker.example.com"): the agent dials.
            // docker-modem hands `agent` to every request; dockerode's types do not list it.
            const viaSsh: Docker.DockerOptions & { agent: http.Agent } = {
                protocol: "http",
                host: "docker.example.com",
                port: 80,
                agent: new SshCommandAgent(providerSshArgs(host, sshOptsOf(endpoint), deployMachineSsh)),
            };
            return viaSsh;
        }
        default:
            throw new ProviderConfigureError(
                "client-init",
                host,
                `Error initializing Docker client: unsupported protocol ${url.protocol.replace(/:$/, "")} in \`${host}\``,
            );
    }
}

/** Makes the client of one engine; tests hand in fakes. */
export type DockerClientFactory = (endpoint: ProviderEndpoint) => Docker;

const PING_TIMEOUT_MS = 10_000;

/**
 * The provider's clients on a deploy machine whose own ssh configuration adds `deployMachineSsh`
 * to every `ssh` it runs (a test's `-F <ssh_config>`, where a real machine has ~/.ssh/config).
 */
export const providerClients =
    (deployMachineSsh: readonly string[] = []): DockerClientFactory =>
    (endpoint) =>
        new Docker(dockerOptions(endpoint, deployMachineSsh));

export const dockerodeClient: DockerClientFactory = providerClients();

/**
 * Which engine each resource goes to. A resource declared with a docker.Provider goes to that
 * provider's `host`; one without goes to the default engine (the machine's own, as before
 * providers existed, and never pinged, as before). Each provider's engine is pinged once per run
 * before its first use, and a failed ping fails with the provider's own message naming the host:
 * the engine configures a provider before any resource of it is touched, for a delete too.
 */
export class EngineRoutes {
    private readonly clients = new Map<string, { docker: Docker; ready: Promise<void> }>();
    /** Provider key (`type::name`) -> its endpoint, as registered (this run) or recorded (state). */
    private readonly providers = new Map<string, ProviderEndpoint>();

    constructor(
        private readonly factory: DockerClientFactory = dockerodeClient,
        readonly defaultEngine: Docker = new Docker(),
    ) {}

    /**
     * A new run (`up`, `preview`, `destroy`): each is a new engine process that configures every
     * provider again, so an engine that died since the last run fails this one.
     */
    newRun(): void {
        this.clients.clear();
    }

    /** A provider's registration: remembers its endpoint and configures it (ping) as the engine does. */
    async configure(providerKey: string, endpoint: ProviderEndpoint): Promise<void> {
        this.providers.set(providerKey, endpoint);
        await this.client(endpoint);
    }

    /** What a provider recorded in the state stands for, so a later run reaches its engine without the program. */
    remember(providerKey: string, endpoint: ProviderEndpoint): void {
        if (!this.providers.has(providerKey)) this.providers.set(providerKey, endpoint);
    }

    endpointOf(providerKey: string | undefined): ProviderEndpoint | undefined {
        return providerKey ? this.providers.get(providerKey) : undefined;
    }

    /**
     * The engine of a resource's provider: the default one for no provider ("" or undefined) and
     * for another package's provider (a random or command resource talks to no engine).
     */
    async engineFor(providerKey: string | undefined): Promise<Docker> {
        if (!providerKey?.startsWith(`${DOCKER_PROVIDER}::`)) return this.defaultEngine;
        const endpoint = this.providers.get(providerKey);
        if (!endpoint)
            throw new Error(
                `the replay deployer has no docker provider ${providerKey}: it must be registered before the resources that use it`,
            );
        return this.client(endpoint);
    }

    private async client(endpoint: ProviderEndpoint): Promise<Docker> {
        const host = endpoint.host ?? "";
        let entry = this.clients.get(host);
        if (!entry) {
            const docker = this.factory(endpoint);
            // The provider's ping has no deadline of its own; a frozen engine must not hang the run.
            let timer: NodeJS.Timeout | undefined;
            const deadline = new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
            });
            const ready = Promise.race([docker.ping(), deadline])
                .finally(() => clearTimeout(timer))
                .then(
                    () => undefined,
                    (err: unknown) => {
                        throw new ProviderConfigureError(
                            "unreachable",
                            host,
                            `Error pinging Docker server: ${err instanceof Error ? err.message : String(err)} (host ${host})`,
                            {
                                cause: err,
                            },
                        );
                    },
                );
            // A failed ping is not cached: the next use tries again, as a new `up` would.
            ready.catch(() => this.clients.delete(host));
            entry = { docker, ready };
            this.clients.set(host, entry);
        }
        await entry.ready;
        return entry.docker;
    }
}
