// The containers' scripts as rendered, run on this host against real Redis and Sentinel processes
// that share one address (127.0.0.1) and differ only by port: what servers of one kind on one
// Docker host look like to their peers once they announce the host's address and published ports.
// Every decision must follow the address:port pair; a script that compared addresses alone would
// take the master for itself, or itself for the master (redis/redis#2335 is Sentinel doing that).
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import {
    renderHandoverScript,
    renderPromotionGuardScript,
    renderRedisStartScript,
    renderSentinelStartScript,
} from "../../render/container-scripts";
import { CONTAINER_PATHS } from "../../render/paths";
import { MASTER_PLACEHOLDER } from "../../render/sentinel-conf";
import { REDIS_PORT } from "../../settings/address-plan";
import { SCRIPT_ENV } from "../../contracts/env";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";

// 22300-22319: this suite (DEVELOPMENT.md, Ports).
const MASTER = 22300;
const REPLICA = 22301;
const SENTINEL_A = 22310;
const SENTINEL_B = 22311;
const HOST = "127.0.0.1";
const pair = (port: number) => `${HOST}:${port}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("host: container scripts with two servers of one kind on one address, told apart by port", function () {
    this.timeout(120_000);
    const redisPassword = randomBytes(16).toString("hex");
    const sentinelPassword = randomBytes(16).toString("hex");
    let root: string;
    const children: ChildProcess[] = [];

    /** A container's paths, moved under `dir`: the scripts are the rendered ones otherwise. */
    const localised = (script: string, dir: string, localPort?: number) => {
        let out = script.split("/usr/local/etc/").join(`${dir}/etc/`).split(CONTAINER_PATHS.dataDir).join(`${dir}/data`);
        // Inside a container a node listens on the container port; here on its own port.
        if (localPort !== undefined) out = out.split(`-p ${REDIS_PORT} `).join(`-p ${localPort} `);
        return out;
    };

    /** A container's file system for one server: its scripts, cluster snapshot and initial config. */
    function container(
        name: string,
        files: { scripts: Record<string, string>; env: Record<string, string>; initialConf: string; localPort?: number },
    ): string {
        const dir = path.join(root, name);
        mkdirSync(path.join(dir, "etc"), { recursive: true });
        mkdirSync(path.join(dir, "data"), { recursive: true });
        for (const [file, content] of Object.entries(files.scripts)) {
            writeFileSync(localised(file, dir), localised(content, dir, files.localPort));
        }
        const env = Object.entries(files.env).map(([k, v]) => `${k}='${v}'`);
        writeFileSync(localised(CONTAINER_PATHS.clusterEnv, dir), `${env.join("\n")}\n`, { mode: 0o600 });
        writeFileSync(localised(CONTAINER_PATHS.initialConf, dir), files.initialConf, { mode: 0o600 });
        return dir;
    }

    /** Runs a container's start script as its entrypoint would, in a process group of its own. */
    function start(
        dir: string,
        self: string,
        args: string[],
    ): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
        let output = "";
        const child = spawn("/bin/sh", [localised(CONTAINER_PATHS.startScript, dir), ...args], {
            env: {
                PATH: `${path.join(root, "bin")}:/usr/bin:/bin`,
                [SCRIPT_ENV.self]: self,
                [SCRIPT_ENV.initialMaster]: pair(MASTER),
            },
            detached: true,
        });
        children.push(child);
        child.stdout?.on("data", (d: Buffer) => (output += d.toString()));
        child.stderr?.on("data", (d: Buffer) => (output += d.toString()));
        const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
        return { child, output: () => output, exited };
    }

    function server(name: string, conf: string[], sentinel = false): void {
        const dir = path.join(root, name);
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, sentinel ? "sentinel.conf" : "redis.conf");
        writeFileSync(file, `${[...conf, `dir ${dir}`].join("\n")}\n`, { mode: 0o600 });
        const child = spawn("redis-server", sentinel ? [file, "--sentinel"] : [file], { stdio: "ignore", detached: true });
        children.push(child);
    }

    const client = (port: number, password: string) => {
        const c = new Redis({ host: HOST, port, password, lazyConnect: false, retryStrategy: (n) => (n > 100 ? null : 100) });
        c.on("error", () => undefined);
        return c;
    };

    async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
        const end = Date.now() + timeoutMs;
        for (;;) {
            const value = await probe().catch(() => undefined);
            if (value !== undefined) return value;
            if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
            await sleep(200);
        }
    }

    const mastersNamedBy = async (port: number) => {
        const c = client(port, sentinelPassword);
        try {
            const reply = (await c.call("SENTINEL", "get-master-addr-by-name", "mymaster")) as [string, string] | null;
            return reply ? `${reply[0]}:${reply[1]}` : undefined;
        } finally {
            c.disconnect();
        }
    };

    const nodeEnv = (sentinels: string, nodes: string) => ({
        MASTER_NAME: "mymaster",
        SENTINELS: sentinels,
        NODES: nodes,
        FAILOVER_WAIT_SECONDS: "3",
        SENTINEL_PASSWORD: sentinelPassword,
    });
    const nodeConf = [`requirepass "${redisPassword}"`, `masterauth "${redisPassword}"`, 'save ""', "appendonly no", ""].join("\n");
    const nodeScripts = {
        [CONTAINER_PATHS.startScript]: renderRedisStartScript(),
        [CONTAINER_PATHS.handoverScript]: renderHandoverScript(),
        [CONTAINER_PATHS.promotionGuardScript]: renderPromotionGuardScript(),
    };

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        root = mkdtempSync(path.join(tmpdir(), "appscreens-container-scripts-"));
        // What the image has and a host process must not do: chown to the redis user, and gosu,
        // which here runs the command as the test's own user.
        const bin = path.join(root, "bin");
        mkdirSync(bin);
        writeFileSync(path.join(bin, "chown"), "#!/bin/sh\nexit 0\n");
        writeFileSync(path.join(bin, "gosu"), '#!/bin/sh\nshift\nexec "$@"\n');
        chmodSync(path.join(bin, "chown"), 0o755);
        chmodSync(path.join(bin, "gosu"), 0o755);
        server("master", [`port ${MASTER}`, `bind ${HOST}`, `requirepass "${redisPassword}"`, `masterauth "${redisPassword}"`, 'save ""']);
        server(
            "sentinel-a",
            [
                `port ${SENTINEL_A}`,
                `bind ${HOST}`,
                `requirepass "${sentinelPassword}"`,
                `sentinel sentinel-pass "${sentinelPassword}"`,
                `sentinel monitor mymaster ${HOST} ${MASTER} 1`,
                `sentinel auth-pass mymaster "${redisPassword}"`,
                "sentinel down-after-milliseconds mymaster 1000",
                "sentinel failover-timeout mymaster 5000",
            ],
            true,
        );
        await until("the Sentinel to name the master", async () =>
            (await mastersNamedBy(SENTINEL_A)) === pair(MASTER) ? true : undefined,
        );
    });

    after(() => {
        for (const c of children) {
            try {
                if (c.pid && c.exitCode === null) process.kill(-c.pid, "SIGKILL");
            } catch {
                // already gone
            }
        }
        if (root) rmSync(root, { recursive: true, force: true });
    });

    it("a node on the master's address with another port follows the master: not itself", async () => {
        // The Sentinels answer `127.0.0.1 22300`; this node is 127.0.0.1:22301.
        const dir = container("replica", {
            scripts: nodeScripts,
            env: nodeEnv(pair(SENTINEL_A), `${pair(MASTER)} ${pair(REPLICA)}`),
            initialConf: nodeConf,
            localPort: REPLICA,
        });
        const run = start(dir, pair(REPLICA), ["--port", String(REPLICA), "--bind", HOST, "--dir", path.join(dir, "data")]);
        const info = await until("the node to replicate from the master", async () => {
            const c = client(REPLICA, redisPassword);
            try {
                const text = await c.info("replication");
                return /master_link_status:up/.test(text) ? text : undefined;
            } finally {
                c.disconnect();
            }
        });
        expect(info).to.include(`master_port:${MASTER}`);
        expect(run.output()).to.include(`role from the Sentinels: replicaof ${HOST} ${MASTER}`);
        expect(readFileSync(path.join(dir, "data", "redis.conf"), "utf8")).to.match(new RegExp(`^replicaof ${HOST} ${MASTER}$`, "m"));
    });

    it("the promotion guard finds this replica in SENTINEL replicas by its address:port", async () => {
        const guard = path.join(root, "replica", "data", path.basename(CONTAINER_PATHS.promotionGuard));
        // The guard file goes once every Sentinel reports this replica's priority (at most 15 s after sync).
        await until("the promotion guard to finish", async () => (existsSync(guard) ? undefined : true), 40_000);
        const c = client(SENTINEL_A, sentinelPassword);
        try {
            const replicas = (await c.call("SENTINEL", "replicas", "mymaster")) as string[][];
            const me = replicas.map((r) => Object.fromEntries(r.flatMap((v, i) => (i % 2 === 0 ? [[v, r[i + 1]]] : []))));
            expect(me.map((r) => `${r.ip}:${r.port}:${r["slave-priority"]}`)).to.include(`${HOST}:${REPLICA}:100`);
        } finally {
            c.disconnect();
        }
    });

    it("an empty node whose own address:port the Sentinels name as master refuses to start empty", async () => {
        const dir = container("lost-master", { scripts: nodeScripts, env: nodeEnv(pair(SENTINEL_A), pair(MASTER)), initialConf: nodeConf });
        const run = start(dir, pair(MASTER), ["--port", "22309", "--bind", HOST, "--dir", path.join(dir, "data")]);
        expect(await run.exited).to.equal(1);
        expect(run.output()).to.include("refusing to start an empty master over live replicas");
    });

    it("a new Sentinel on a peer's address asks only the peer (not itself) and monitors the master's address:port", async () => {
        const dir = container("sentinel-b", {
            scripts: { [CONTAINER_PATHS.startScript]: renderSentinelStartScript() },
            env: {
                ...nodeEnv(`${pair(SENTINEL_A)} ${pair(SENTINEL_B)}`, `${pair(REPLICA)} ${pair(MASTER)}`),
                REDIS_PASSWORD: redisPassword,
            },
            initialConf: [
                `requirepass "${sentinelPassword}"`,
                `sentinel sentinel-pass "${sentinelPassword}"`,
                // As rendered on one host: the placeholder and a default port, both replaced.
                `sentinel monitor mymaster ${MASTER_PLACEHOLDER} ${REDIS_PORT} 1`,
                `sentinel auth-pass mymaster "${redisPassword}"`,
                "sentinel down-after-milliseconds mymaster 1000",
                "sentinel failover-timeout mymaster 5000",
                "",
            ].join("\n"),
        });
        const run = start(dir, pair(SENTINEL_B), ["--port", String(SENTINEL_B), "--bind", HOST, "--dir", path.join(dir, "data")]);
        expect(await until("the new Sentinel to name the master", () => mastersNamedBy(SENTINEL_B))).to.equal(pair(MASTER));
        expect(run.output()).to.include(`monitoring ${pair(MASTER)} from the other Sentinels`);
        expect(readFileSync(path.join(dir, "data", "sentinel.conf"), "utf8")).to.match(
            new RegExp(`^sentinel monitor mymaster ${HOST} ${MASTER} 1$`, "m"),
        );
    });

    it("a Sentinel with no peer answering picks the master among nodes on one address by role, and monitors its port", () => {
        // Only the script's choice is run: the node loop of the Sentinel start script, up to the sed.
        const dir = container("sentinel-c", {
            scripts: { [CONTAINER_PATHS.startScript]: renderSentinelStartScript().replace(/exec gosu .*\n/, "") },
            env: { ...nodeEnv(pair(22312), `${pair(REPLICA)} ${pair(MASTER)}`), REDIS_PASSWORD: redisPassword },
            initialConf: `sentinel monitor mymaster ${MASTER_PLACEHOLDER} ${REDIS_PORT} 1\n`,
        });
        const result = spawnSync("/bin/sh", [localised(CONTAINER_PATHS.startScript, dir)], {
            env: {
                PATH: `${path.join(root, "bin")}:/usr/bin:/bin`,
                [SCRIPT_ENV.self]: pair(22312),
                [SCRIPT_ENV.initialMaster]: pair(REPLICA),
            },
            encoding: "utf8",
        });
        expect(result.status, result.stderr).to.equal(0);
        expect(result.stdout).to.include(`monitoring ${pair(MASTER)} from the nodes`);
        expect(readFileSync(path.join(dir, "data", "sentinel.conf"), "utf8")).to.equal(`sentinel monitor mymaster ${HOST} ${MASTER} 1\n`);
    });

    it("a stopping master on the replica's address hands over and sees the new master as another server", async () => {
        // The master 127.0.0.1:22300 runs its hand-over: the Sentinels then name 127.0.0.1:22301.
        const dir = container("master-handover", {
            scripts: nodeScripts,
            env: nodeEnv(`${pair(SENTINEL_A)} ${pair(SENTINEL_B)}`, `${pair(MASTER)} ${pair(REPLICA)}`),
            initialConf: nodeConf,
            localPort: MASTER,
        });
        writeFileSync(path.join(dir, "data", "redis.conf"), `masterauth "${redisPassword}"\n`);
        const result = spawnSync("/bin/sh", [localised(CONTAINER_PATHS.handoverScript, dir)], {
            env: { PATH: "/usr/bin:/bin", [SCRIPT_ENV.self]: pair(MASTER) },
            encoding: "utf8",
            timeout: 30_000,
        });
        expect(result.stdout, result.stderr).to.include(`the Sentinels name ${pair(REPLICA)} as master; stopping`);
        expect(await mastersNamedBy(SENTINEL_A)).to.equal(pair(REPLICA));
    });
});
