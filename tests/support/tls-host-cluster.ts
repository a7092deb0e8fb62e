// A master, replicas and Sentinels as processes on 127.0.0.1 that speak only TLS, each started
// with the rendered TLS directives (render/tls-conf.ts) and its own leaf from a CA made for the run
// with openssl: ECDSA P-256, server and client auth, IP SAN 127.0.0.1, as settings/tls-plan.ts plans
// a server's leaf. Keys live only in files (mode 0600) of a temporary directory, never on a command
// line or in a log. The ACL users are proven by acl-host-cluster.ts; here at most the two `default` passwords.
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis, { RedisOptions } from "ioredis";
import { renderTlsDirectives, TlsFiles } from "../../render/tls-conf";
import { TlsConfig } from "../../settings/schema";
import { ClientTlsMaterial, directTlsOptions, sentinelTlsOptions } from "../../ops/redis/tls-options";
import { retireDetectorOnClose } from "../../ops/redis/failover-detector";
import { PostDeployPlan } from "../../contracts/plan";
import { hostPlan, stopProcess } from "./host-cluster";
import { caSteps } from "./rig/tls";
import { run } from "./rig/run";

export const MASTER_NAME = "mymaster";

/** A leaf's uses: a server's (it is a client of its master and peers too) or a client's only. */
export type LeafUse = "server" | "client";

/** The openssl extensions of a leaf, the uses settings/tls-plan.ts gives it. */
const leafExtensions = (use: LeafUse): string =>
    use === "server"
        ? "subjectAltName = IP:127.0.0.1\nkeyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth, clientAuth\n"
        : "keyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = clientAuth\n";

/** A CA for one run and the leaves it signs, with openssl; each leaf gets a random serial it reports. */
export class TestCa {
    readonly caFile: string;
    private readonly caKey: string;

    private constructor(readonly dir: string) {
        this.caFile = path.join(dir, "ca.pem");
        this.caKey = path.join(dir, "ca-key.pem");
    }

    static async create(dir: string, name: string): Promise<TestCa> {
        mkdirSync(dir, { recursive: true });
        for (const step of caSteps(dir, name)) await run("", "openssl", step.args);
        chmodSync(path.join(dir, "ca-key.pem"), 0o600);
        return new TestCa(dir);
    }

    get pem(): string {
        return readFileSync(this.caFile, "utf8");
    }

    /**
     * Writes `<base>.pem` and `<base>-key.pem` in `dir` (replacing what is there, as a renewal does)
     * and returns the new serial in the hex form Node's getPeerCertificate() reports.
     */
    async leaf(dir: string, base: string, use: LeafUse, days = 2): Promise<{ cert: string; key: string; serial: string }> {
        mkdirSync(dir, { recursive: true });
        const key = path.join(dir, `${base}-key.pem`);
        const cert = path.join(dir, `${base}.pem`);
        const csr = path.join(dir, `${base}.csr`);
        const ext = path.join(dir, `${base}.ext`);
        writeFileSync(ext, leafExtensions(use));
        // 16 bytes whose first is 0x10-0x7f: positive, no leading zero, so the hex reads back as
        // written (Node pads getPeerCertificate().serialNumber to whole bytes).
        const serial = `${(0x10 + (randomBytes(1)[0] % 0x70)).toString(16)}${randomBytes(15).toString("hex")}`.toUpperCase();
        const tmpKey = `${key}.new`;
        const tmpCert = `${cert}.new`;
        await run("", "openssl", [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            tmpKey,
            "-out",
            csr,
            "-subj",
            `/CN=${base}`,
        ]);
        chmodSync(tmpKey, 0o600);
        // -days as asked: a leaf of 1 day sits inside any renewal window of a day or more.
        await run("", "openssl", [
            "x509",
            "-req",
            "-in",
            csr,
            "-CA",
            this.caFile,
            "-CAkey",
            this.caKey,
            "-set_serial",
            `0x${serial}`,
            "-days",
            String(days),
            "-extfile",
            ext,
            "-out",
            tmpCert,
        ]);
        // Both files are replaced only once both exist, as a renewal step writes them.
        writeFileSync(key, readFileSync(tmpKey), { mode: 0o600 });
        writeFileSync(cert, readFileSync(tmpCert));
        rmSync(tmpKey);
        rmSync(tmpCert);
        return { cert, key, serial };
    }

    /** A client's PEMs, for ioredis. */
    async client(dir: string, base: string): Promise<ClientTlsMaterial> {
        const files = await this.leaf(dir, base, "client");
        return { ca: this.pem, cert: readFileSync(files.cert, "utf8"), key: readFileSync(files.key, "utf8") };
    }
}

export interface TlsHostClusterOptions {
    /** Nodes take basePort.., Sentinels basePort+20.. */
    readonly basePort: number;
    readonly authClients: TlsConfig["authClients"];
    readonly replicas?: number;
    readonly sentinels?: number;
    readonly downAfterMs?: number;
    readonly failoverTimeoutMs?: number;
    /** false: the same cluster in plain text (`port <port>`, no certificates), for benchmarks that compare. Default true. */
    readonly tls?: boolean;
    /**
     * The two `default` passwords, as a stack without users runs (`requirepass`/`masterauth` on nodes,
     * `requirepass`/`sentinel-pass`/`auth-pass` on Sentinels): for the stack's own tools, which always
     * log in, and the container scripts, which read them from those lines. Clients below log in with
     * them. Default none.
     */
    readonly passwords?: { readonly redis: string; readonly sentinel: string };
}

interface Server {
    readonly name: string;
    readonly port: number;
    readonly sentinel: boolean;
    readonly dir: string;
    readonly files: TlsFiles;
    readonly confLines: readonly string[];
    process?: ChildProcess;
    serial?: string;
}

export class TlsHostCluster {
    readonly dir = mkdtempSync(path.join(tmpdir(), "appscreens-tls-cluster-"));
    readonly nodePorts: number[];
    readonly sentinelPorts: number[];
    ca!: TestCa;
    /** The `tools` client's certificate: what every client below presents unless told otherwise. */
    clientTls!: ClientTlsMaterial;
    private readonly servers = new Map<number, Server>();
    private readonly clients: Redis[] = [];

    constructor(private readonly options: TlsHostClusterOptions) {
        this.nodePorts = Array.from({ length: (options.replicas ?? 1) + 1 }, (_, i) => options.basePort + i);
        this.sentinelPorts = Array.from({ length: options.sentinels ?? 3 }, (_, i) => options.basePort + 20 + i);
    }

    /** Makes the CA, a leaf per server and the tools' client certificate; then starts nodes and Sentinels. */
    async start(): Promise<void> {
        this.ca = await TestCa.create(path.join(this.dir, "ca"), "appscreens-redis-tls-test CA");
        this.clientTls = await this.ca.client(path.join(this.dir, "clients"), "tools");
        const [masterPort] = this.nodePorts;
        const { passwords } = this.options;
        const add = async (name: string, port: number, sentinel: boolean, extra: string[]) => {
            const dir = path.join(this.dir, name);
            const leaf = await this.ca.leaf(path.join(dir, "tls"), "server", "server");
            const files: TlsFiles = { caCert: this.ca.caFile, cert: leaf.cert, key: leaf.key };
            const confLines = [
                ...(this.tlsOn
                    ? renderTlsDirectives(sentinel ? "sentinel" : "node", port, this.options.authClients, files)
                    : [`port ${port}`]),
                "bind 127.0.0.1",
                ...extra,
                `dir ${dir}`,
                `logfile ${path.join(dir, "log")}`,
            ];
            this.servers.set(port, { name, port, sentinel, dir, files, confLines, serial: leaf.serial });
        };
        for (const [i, port] of this.nodePorts.entries()) {
            await add(`redis-${i}`, port, false, [
                "save ''",
                ...(i > 0 ? [`replicaof 127.0.0.1 ${masterPort}`] : []),
                ...(passwords ? [`requirepass "${passwords.redis}"`, `masterauth "${passwords.redis}"`] : []),
            ]);
        }
        for (const [i, port] of this.sentinelPorts.entries()) {
            await add(`sentinel-${i}`, port, true, [
                "sentinel announce-ip 127.0.0.1",
                `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
                `sentinel down-after-milliseconds ${MASTER_NAME} ${this.options.downAfterMs ?? 1000}`,
                `sentinel failover-timeout ${MASTER_NAME} ${this.options.failoverTimeoutMs ?? 3000}`,
                ...(passwords
                    ? [
                          `requirepass "${passwords.sentinel}"`,
                          `sentinel sentinel-pass "${passwords.sentinel}"`,
                          `sentinel auth-pass ${MASTER_NAME} "${passwords.redis}"`,
                      ]
                    : []),
            ]);
        }
        for (const port of [...this.nodePorts, ...this.sentinelPorts]) this.spawn(port, true);
    }

    private get tlsOn(): boolean {
        return this.options.tls ?? true;
    }

    /** SIGKILL, as a crash: the process is not started again. */
    kill(port: number): void {
        this.server(port).process?.kill("SIGKILL");
    }

    private server(port: number): Server {
        const s = this.servers.get(port);
        if (!s) throw new Error(`no server on ${port}`);
        return s;
    }

    /** Starts a server; `fresh` writes its config, otherwise it starts on what it (a Sentinel) rewrote. */
    private spawn(port: number, fresh: boolean): void {
        const s = this.server(port);
        mkdirSync(s.dir, { recursive: true });
        const file = path.join(s.dir, s.sentinel ? "sentinel.conf" : "redis.conf");
        if (fresh) writeFileSync(file, `${s.confLines.join("\n")}\n`, { mode: 0o600 });
        s.process = spawn("redis-server", s.sentinel ? [file, "--sentinel"] : [file], { cwd: s.dir, stdio: "ignore" });
    }

    /** A post-deploy plan for this cluster: the host stack's settings with 127.0.0.1 addresses. */
    plan(): PostDeployPlan {
        return hostPlan(this.nodePorts, this.sentinelPorts);
    }

    name(port: number): string {
        return this.server(port).name;
    }

    files(port: number): TlsFiles {
        return this.server(port).files;
    }

    /** The serial of the leaf last written for the server. */
    serial(port: number): string {
        return this.server(port).serial ?? "";
    }

    /** Writes a new leaf (new serial) over the server's files, as a renewal does; returns the serial. */
    async renewLeaf(port: number, days = 2): Promise<string> {
        const s = this.server(port);
        const leaf = await this.ca.leaf(path.dirname(s.files.cert), "server", "server", days);
        s.serial = leaf.serial;
        return leaf.serial;
    }

    /** Stops a server (SIGTERM) and starts it again on its own, rewritten config file. */
    async restart(port: number): Promise<void> {
        const s = this.server(port);
        if (s.process) await stopProcess(s.process);
        this.spawn(port, false);
    }

    private track(c: Redis): Redis {
        c.on("error", () => undefined);
        this.clients.push(c);
        return c;
    }

    /**
     * A direct connection (closed by stop()); no retries, so a refusal shows at once. `tls`
     * defaults to the CA and the tools' certificate; `false` connects in plain text.
     */
    client(port: number, tls: ClientTlsMaterial | false = this.clientTls, extra: RedisOptions = {}): Redis {
        const { passwords } = this.options;
        return this.track(
            new Redis({
                host: "127.0.0.1",
                port,
                ...(tls === false || !this.tlsOn ? {} : directTlsOptions(tls)),
                ...(passwords ? { password: this.servers.get(port)?.sentinel ? passwords.sentinel : passwords.redis } : {}),
                maxRetriesPerRequest: 0,
                connectTimeout: 5000,
                commandTimeout: 5000,
                retryStrategy: () => null,
                enableReadyCheck: false,
                lazyConnect: false,
                ...extra,
            }),
        );
    }

    /** An application-style client: Sentinel mode with failoverDetector, TLS to Sentinels and nodes alike. */
    sentinelClient(tls: ClientTlsMaterial = this.clientTls, extra: RedisOptions = {}): Redis {
        const { passwords } = this.options;
        return this.track(
            retireDetectorOnClose(
                new Redis({
                    sentinels: this.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
                    name: MASTER_NAME,
                    ...(this.tlsOn ? sentinelTlsOptions(tls) : {}),
                    ...(passwords ? { password: passwords.redis, sentinelPassword: passwords.sentinel } : {}),
                    failoverDetector: true,
                    maxRetriesPerRequest: 1,
                    connectTimeout: 5000,
                    commandTimeout: 2000,
                    ...extra,
                }),
            ),
        );
    }

    /** The last lines of a server's log, for a failing assertion's message. */
    log(port: number, lines = 20): string {
        try {
            return readFileSync(path.join(this.server(port).dir, "log"), "utf8")
                .split("\n")
                .slice(-lines)
                .join("\n");
        } catch {
            return "(no log)";
        }
    }

    async stop(): Promise<void> {
        for (const c of this.clients) c.disconnect();
        await Promise.all([...this.servers.values()].map((s) => (s.process ? stopProcess(s.process) : Promise.resolve())));
        rmSync(this.dir, { recursive: true, force: true });
    }
}
