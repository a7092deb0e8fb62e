// A master, replicas and Sentinels as processes on 127.0.0.1 that know only the rendered ACL users
// (render/acl-users.ts): `default` off, replication as `masteruser`, the Sentinels logging in as
// `auth-user` and `sentinel-user`. Passwords are random per run and live only in the config files
// (mode 0600) of a temporary directory, never on a command line.
import { ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import {
    AclPasswords,
    AclUserName,
    NODE_ROLES,
    renderAclUsers,
    renderNodeLinks,
    renderSentinelLinks,
    SENTINEL_ROLES,
} from "../../render/acl-users";
import { stopProcess } from "./host-cluster";
import { retireDetectorOnClose } from "../../ops/redis/failover-detector";

export const MASTER_NAME = "mymaster";

export interface AclHostClusterOptions {
    /** Nodes take basePort.., Sentinels basePort+20.. */
    readonly basePort: number;
    readonly replicas?: number;
    readonly sentinels?: number;
    readonly downAfterMs?: number;
    readonly failoverTimeoutMs?: number;
    /** Changes the nodes' rendered `user` lines before they start (experiments on a role's rules). */
    readonly editNodeUsers?: (lines: string[]) => string[];
}

const userNames = [...new Set([...Object.keys(NODE_ROLES), ...Object.keys(SENTINEL_ROLES)])] as AclUserName[];

export class AclHostCluster {
    readonly passwords: AclPasswords = Object.fromEntries(userNames.map((u) => [u, randomBytes(16).toString("hex")])) as AclPasswords;
    readonly dir = mkdtempSync(path.join(tmpdir(), "appscreens-acl-cluster-"));
    readonly nodePorts: number[];
    readonly sentinelPorts: number[];
    private readonly processes: ChildProcess[] = [];
    private readonly clients: Redis[] = [];

    constructor(private readonly options: AclHostClusterOptions) {
        this.nodePorts = Array.from({ length: (options.replicas ?? 1) + 1 }, (_, i) => options.basePort + i);
        this.sentinelPorts = Array.from({ length: options.sentinels ?? 3 }, (_, i) => options.basePort + 20 + i);
    }

    private spawnServer(name: string, lines: readonly string[], sentinel: boolean): void {
        const dir = path.join(this.dir, name);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, sentinel ? "sentinel.conf" : "redis.conf");
        writeFileSync(file, `${[...lines, `dir ${dir}`, `logfile ${path.join(dir, "log")}`].join("\n")}\n`, { mode: 0o600 });
        const child = spawn("redis-server", sentinel ? [file, "--sentinel"] : [file], { cwd: dir, stdio: "ignore" });
        this.processes.push(child);
    }

    /** Starts every node, then every Sentinel, on the rendered users. */
    start(): void {
        const [masterPort] = this.nodePorts;
        this.nodePorts.forEach((port, i) =>
            this.spawnServer(
                `redis-${i}`,
                [
                    `port ${port}`,
                    "bind 127.0.0.1",
                    "save ''",
                    ...(this.options.editNodeUsers ?? ((l: string[]) => l))(renderAclUsers("node", this.passwords)),
                    ...renderNodeLinks(this.passwords),
                    ...(i > 0 ? [`replicaof 127.0.0.1 ${masterPort}`] : []),
                ],
                false,
            ),
        );
        this.sentinelPorts.forEach((port, i) =>
            this.spawnServer(
                `sentinel-${i}`,
                [
                    `port ${port}`,
                    "bind 127.0.0.1",
                    "sentinel announce-ip 127.0.0.1",
                    ...renderAclUsers("sentinel", this.passwords),
                    `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
                    ...renderSentinelLinks(MASTER_NAME, this.passwords),
                    `sentinel down-after-milliseconds ${MASTER_NAME} ${this.options.downAfterMs ?? 1000}`,
                    `sentinel failover-timeout ${MASTER_NAME} ${this.options.failoverTimeoutMs ?? 3000}`,
                ],
                true,
            ),
        );
    }

    /** A direct connection as `user` (closed by stop()); no retries, so a refusal shows at once. */
    client(port: number, user: AclUserName | undefined, options: { protocol?: 2 | 3 } = {}): Redis {
        const c = new Redis({
            host: "127.0.0.1",
            port,
            username: user,
            password: user === undefined ? undefined : this.passwords[user],
            maxRetriesPerRequest: 0,
            commandTimeout: 5000,
            retryStrategy: () => null,
            enableReadyCheck: false,
            protocol: options.protocol ?? 2,
        });
        c.on("error", () => undefined);
        this.clients.push(c);
        return c;
    }

    /** An application-style client: Sentinel mode with failoverDetector, on the given users. */
    sentinelClient(user: AclUserName, sentinelUser: AclUserName = "discovery"): Redis {
        const c = new Redis({
            sentinels: this.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
            name: MASTER_NAME,
            username: user,
            password: this.passwords[user],
            sentinelUsername: sentinelUser,
            sentinelPassword: this.passwords[sentinelUser],
            failoverDetector: true,
            maxRetriesPerRequest: 3,
            connectTimeout: 5000,
            commandTimeout: 5000,
        });
        c.on("error", () => undefined);
        this.clients.push(c);
        return retireDetectorOnClose(c);
    }

    async stop(): Promise<void> {
        for (const c of this.clients) c.disconnect();
        await Promise.all(this.processes.map((p) => stopProcess(p)));
        rmSync(this.dir, { recursive: true, force: true });
    }
}
