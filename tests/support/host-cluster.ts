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
import { replyCode } from "../../ops/redis/errors";
import { sentinelCommands } from "../../ops/redis/sentinel-commands";
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
        const base = buildPostDeployPlan(
            validateStackConfig({ stack: "host", keys: [], cluster: { replicas: this.nodePorts.length - 1 }, secrets: {} }),
        );
        // Every server announces the address it is reached at: no network between them and the tools.
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
                ...this.nodePorts.map((port, i) => server("redis", `redis-${i}`, port)),
                ...this.sentinelPorts.map((port, i) => server("sentinel", `sentinel-${i}`, port)),
            ],
        };
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

    /** Until every Sentinel sees the others and every replica, and the replicas are linked. */
    async settled(timeoutMs = 30_000): Promise<void> {
        const deadline = Date.now() + timeoutMs;
        for (;;) {
            if (await this.isSettled().catch(() => false)) return;
            if (Date.now() > deadline) throw new Error(`host cluster in ${this.dir} did not settle within ${timeoutMs} ms`);
            await sleep(200);
        }
    }

    private async isSettled(): Promise<boolean> {
        // min-replicas-to-write counts a replica only after the master's next cron: until then it refuses writes.
        const master = this.client(this.nodePorts[0]);
        try {
            const info = await master.info("replication");
            if (!info.includes(`min_slaves_good_slaves:${this.nodePorts.length - 1}`)) return false;
        } finally {
            master.disconnect();
        }
        for (const port of this.sentinelPorts) {
            const s = sentinelCommands(this.client(port, this.credentials.sentinelPassword));
            try {
                const watched = await s.master("mymaster");
                if (watched.otherSentinels !== this.sentinelPorts.length - 1) return false;
                if (watched.replicas !== this.nodePorts.length - 1 || watched.flags.join(",") !== "master") return false;
            } finally {
                s.disconnect();
            }
        }
        return true;
    }

    /**
     * The master's port once the cluster has settled around whichever node is master now: every
     * Sentinel names it with flags exactly "master" (no failover in progress), and it has every
     * replica online. Right after a failover the old master takes about 10 s to rejoin, and a
     * Sentinel refuses another failover meanwhile (-INPROG, -NOGOODSLAVE).
     */
    async settledMaster(timeoutMs = 60_000): Promise<number> {
        const deadline = Date.now() + timeoutMs;
        let last: string;
        for (;;) {
            try {
                const views = await Promise.all(
                    this.sentinelPorts.map(async (port) => {
                        const s = sentinelCommands(this.client(port, this.credentials.sentinelPassword));
                        try {
                            return { address: await s.masterAddress("mymaster"), watched: await s.master("mymaster") };
                        } finally {
                            s.disconnect();
                        }
                    }),
                );
                const addresses = new Set(views.map((v) => v.address));
                const flags = views.map((v) => v.watched.flags.join(","));
                last = `Sentinels name ${[...addresses].join(" / ")} with flags ${flags.join(" / ")}`;
                const [address] = addresses;
                if (addresses.size === 1 && address && flags.every((f) => f === "master")) {
                    const port = Number(address.split(":")[1]);
                    const master = this.client(port);
                    try {
                        const info = await master.info("replication");
                        const online = (info.match(/^slave\d+:.*state=online/gm) ?? []).length;
                        last += `; the master has ${online} replica(s) online`;
                        if (info.includes("role:master") && online === this.nodePorts.length - 1) return port;
                    } finally {
                        master.disconnect();
                    }
                }
            } catch (err) {
                last = String(err);
            }
            if (Date.now() > deadline) throw new Error(`the host cluster did not settle within ${timeoutMs} ms: ${last}`);
            await sleep(250);
        }
    }

    /**
     * SENTINEL FAILOVER, certain to happen: resent to the same Sentinel while it answers -INPROG or
     * -NOGOODSLAVE (asking another one could start a second failover) or after a failover it
     * accepted gave up (seen: accepted, then no replica fit at selection time), and resolved with
     * the new master's port only once the Sentinels name another master.
     */
    async failover(fromPort: number, timeoutMs = 60_000): Promise<number> {
        const deadline = Date.now() + timeoutMs;
        const s = sentinelCommands(this.client(this.sentinelPorts[0], this.credentials.sentinelPassword));
        const attempts: string[] = [];
        try {
            for (;;) {
                try {
                    await s.failover("mymaster");
                    attempts.push("OK");
                } catch (err) {
                    const code = replyCode(err);
                    if (!["INPROG", "NOGOODSLAVE"].includes(code)) throw err;
                    attempts.push(code);
                }
                const sent = Date.now();
                for (;;) {
                    const address = await s.masterAddress("mymaster");
                    const port = Number(address?.split(":")[1]);
                    if (address && port !== fromPort) return port;
                    if (Date.now() > deadline)
                        throw new Error(
                            `the Sentinels still name port ${fromPort} ${timeoutMs} ms after SENTINEL FAILOVER (${attempts.join(", ")})`,
                        );
                    const flags = (await s.master("mymaster")).flags;
                    // Nothing in progress any more, and the master did not move: send it again.
                    if (Date.now() - sent > 500 && !flags.includes("failover_in_progress")) break;
                    await sleep(100);
                }
                await sleep(250);
            }
        } finally {
            s.disconnect();
        }
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
async function stopProcess(p: ChildProcess, graceMs = 3000): Promise<void> {
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
