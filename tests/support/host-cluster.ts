// A Redis master, replicas and Sentinels as plain processes on this host (Debian's redis-server),
// bound to 127.0.0.1, for tests of the operations tools without Docker. Passwords live only in
// the config files (mode 0600) in a temporary directory, never on a command line.
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { Credentials } from "../../ops/redis/connect";
import { plannedFailover } from "../../ops/cluster/planned-failover";
import { waitForSettledCluster } from "../../ops/cluster/settle";
import { buildPostDeployPlan, PlanServer, PostDeployPlan } from "../../contracts/plan";
import { validateStackConfig } from "../../settings/validate";

export interface HostClusterOptions {
    /** First port; nodes take basePort.., Sentinels basePort+20.. */
    readonly basePort: number;
    readonly replicas?: number;
    readonly sentinels?: number;
    readonly downAfterMs?: number;
    readonly failoverTimeoutMs?: number;
}

/**
 * A post-deploy plan for processes on 127.0.0.1 (`redis-<i>` on `nodePorts`, `sentinel-<i>` on
 * `sentinelPorts`): the host stack's settings, every server announcing the address it is reached
 * at (no network between them and the tools).
 */
export function hostPlan(
    nodePorts: readonly number[],
    sentinelPorts: readonly number[],
    /** More of the host stack's `cluster` settings (the warmer's file sources, say). */
    cluster: Record<string, unknown> = {},
): PostDeployPlan {
    const base = buildPostDeployPlan(
        validateStackConfig({
            stack: "host",
            keys: ["cluster"],
            cluster: { ...cluster, replicas: nodePorts.length - 1 },
            secrets: {},
        }),
    );
    const server = (kind: PlanServer["kind"], name: string, port: number): PlanServer => ({
        name,
        kind,
        announced: `127.0.0.1:${port}`,
        host: "127.0.0.1",
        port,
    });
    return {
        ...base,
        servers: [
            ...nodePorts.map((port, i) => server("redis", `redis-${i}`, port)),
            ...sentinelPorts.map((port, i) => server("sentinel", `sentinel-${i}`, port)),
        ],
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class HostCluster {
    private readonly processes: ChildProcess[] = [];
    private readonly servers = new Map<string, { process: ChildProcess; file: string; sentinel: boolean }>();
    readonly credentials: Credentials = {
        redisPassword: randomBytes(16).toString("hex"),
        sentinelPassword: randomBytes(16).toString("hex"),
    };
    readonly dir = mkdtempSync(path.join(tmpdir(), "appscreens-host-cluster-"));
    readonly nodePorts: number[];
    readonly sentinelPorts: number[];

    constructor(private readonly options: HostClusterOptions) {
        const replicas = options.replicas ?? 2;
        this.nodePorts = Array.from({ length: replicas + 1 }, (_, i) => options.basePort + i);
        this.sentinelPorts = Array.from({ length: options.sentinels ?? 3 }, (_, i) => options.basePort + 20 + i);
    }

    /** A post-deploy plan for this cluster: the test stack's settings with host addresses. */
    plan(): PostDeployPlan {
        return hostPlan(this.nodePorts, this.sentinelPorts);
    }

    private spawnServer(name: string, conf: string, sentinel: boolean): void {
        const dir = path.join(this.dir, name);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, sentinel ? "sentinel.conf" : "redis.conf");
        writeFileSync(file, conf, { mode: 0o600 });
        this.launch(name, file, sentinel);
    }

    private launch(name: string, file: string, sentinel: boolean): void {
        const child = spawn("redis-server", sentinel ? [file, "--sentinel"] : [file], { cwd: path.dirname(file), stdio: "ignore" });
        this.processes.push(child);
        this.servers.set(name, { process: child, file, sentinel });
    }

    /** Kills a server (`redis-<i>` or `sentinel-<i>`) with SIGKILL, as a crash would, and waits until it is gone. */
    async kill(name: string): Promise<void> {
        const server = this.servers.get(name);
        if (!server) throw new Error(`no server ${name} in this host cluster`);
        const p = server.process;
        if (p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
        p.kill("SIGKILL");
        await exited;
    }

    /** Freezes (SIGSTOP) or thaws (SIGCONT) a server: it keeps its connections but answers nothing, as a paused container. */
    freeze(name: string, frozen: boolean): void {
        const server = this.servers.get(name);
        if (!server) throw new Error(`no server ${name} in this host cluster`);
        server.process.kill(frozen ? "SIGSTOP" : "SIGCONT");
    }

    /** Starts a killed server again from its config file (which Redis or Sentinel may have rewritten since). */
    restart(name: string): void {
        const server = this.servers.get(name);
        if (!server) throw new Error(`no server ${name} in this host cluster`);
        this.launch(name, server.file, server.sentinel);
    }

    async start(): Promise<void> {
        const { redisPassword, sentinelPassword } = this.credentials;
        const [masterPort] = this.nodePorts;
        this.nodePorts.forEach((port, i) => {
            const dir = path.join(this.dir, `redis-${i}`);
            const lines = [
                `port ${port}`,
                "bind 127.0.0.1",
                `dir ${dir}`,
                `logfile ${path.join(dir, "log")}`,
                `requirepass "${redisPassword}"`,
                `masterauth "${redisPassword}"`,
                "appendonly yes",
                "aof-use-rdb-preamble yes",
                "min-replicas-to-write 1",
                "min-replicas-max-lag 10",
                ...(i > 0 ? [`replicaof 127.0.0.1 ${masterPort}`] : []),
            ];
            this.spawnServer(`redis-${i}`, `${lines.join("\n")}\n`, false);
        });
        await sleep(300);
        this.sentinelPorts.forEach((port, i) => {
            const dir = path.join(this.dir, `sentinel-${i}`);
            const lines = [
                `port ${port}`,
                "bind 127.0.0.1",
                `dir ${dir}`,
                `logfile ${path.join(dir, "log")}`,
                `requirepass "${sentinelPassword}"`,
                `sentinel announce-ip 127.0.0.1`,
                `sentinel monitor mymaster 127.0.0.1 ${masterPort} 2`,
                `sentinel auth-pass mymaster "${redisPassword}"`,
                `sentinel down-after-milliseconds mymaster ${this.options.downAfterMs ?? 1000}`,
                `sentinel failover-timeout mymaster ${this.options.failoverTimeoutMs ?? 3000}`,
                "sentinel parallel-syncs mymaster 1",
            ];
            this.spawnServer(`sentinel-${i}`, `${lines.join("\n")}\n`, true);
        });
        await this.settled();
    }

    /**
     * Until the cluster has settled around whichever node is master now (the product's own
     * judgement, ops/cluster/settle.ts): every Sentinel names it with no failover in progress and
     * knows the others, every replica is linked and reports the replica role, and the master
     * counts them for min-replicas-to-write.
     */
    async settled(timeoutMs = 30_000): Promise<void> {
        await this.settledMaster(timeoutMs);
    }

    /**
     * The master's port once the cluster has settled. Right after a failover the old master
     * reports role master for about 10 s, and a failover sent then fails (-NOGOODSLAVE, or an
     * accepted one that gives up).
     */
    async settledMaster(timeoutMs = 60_000): Promise<number> {
        return (await waitForSettledCluster(this.plan(), this.credentials, { timeoutMs })).port;
    }

    /**
     * A SENTINEL FAILOVER certain to have happened: the product's planned failover (settle, send,
     * resend to the same Sentinel on -INPROG / -NOGOODSLAVE or after one gave up, confirm). Resolves
     * with the new master's port once every Sentinel names it; fails if the master the Sentinels
     * settled on was not `fromPort` (the test's premise is wrong then).
     */
    async failover(fromPort: number, timeoutMs = 60_000): Promise<number> {
        const { from, to } = await plannedFailover(this.plan(), this.credentials, { method: "sentinel", timeoutMs });
        if (from.port !== fromPort) throw new Error(`the master was port ${from.port}, not ${fromPort}, when the failover was sent`);
        return to.port;
    }

    client(port: number, password = this.credentials.redisPassword): Redis {
        const c = new Redis({
            host: "127.0.0.1",
            port,
            password,
            maxRetriesPerRequest: 0,
            commandTimeout: 3000,
            retryStrategy: () => null,
        });
        c.on("error", () => undefined);
        return c;
    }

    async stop(): Promise<void> {
        await Promise.all(this.processes.map((p) => stopProcess(p)));
        rmSync(this.dir, { recursive: true, force: true });
    }
}

/** The pids of a process's children (a server's AOF-rewrite or snapshot child), from /proc. */
function childPids(pid: number): number[] {
    try {
        return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter(Boolean).map(Number);
    } catch {
        return [];
    }
}

/**
 * SIGTERM first (a server then ends its own children), SIGKILL after a grace period: a replica
 * writing its initial AOF refuses to shut down ("Writing initial AOF, can't exit"). Children a
 * killed server leaves behind are killed too, by pid.
 */
export async function stopProcess(p: ChildProcess, graceMs = 3000): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
    const children = childPids(p.pid);
    const exited = new Promise<void>((resolve) => p.once("exit", () => resolve()));
    p.kill("SIGTERM");
    const timer = setTimeout(() => {
        children.push(...childPids(p.pid ?? 0));
        p.kill("SIGKILL");
    }, graceMs);
    await exited;
    clearTimeout(timer);
    for (const child of children) {
        try {
            process.kill(child, "SIGKILL");
        } catch {
            // Already gone.
        }
    }
}
