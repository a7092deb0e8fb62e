// The containers' scripts of a stack created with cluster.users.enabled, as rendered, run on this
// host against Redis and Sentinel processes that know only the ACL users (tests/support/
// acl-host-cluster.ts): the healthchecks and the master's hand-over log in as the tools' user,
// and no server logs a refusal.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CLIENT_USERS } from "../../render/acl-users";
import { renderHandoverScript, renderHealthcheckScript } from "../../render/container-scripts";
import { CONTAINER_PATHS } from "../../render/paths";
import { REDIS_PORT, SENTINEL_PORT } from "../../settings/address-plan";
import { SCRIPT_ENV } from "../../contracts/env";
import { AclHostCluster, MASTER_NAME } from "../support/acl-host-cluster";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 22700-22701, Sentinels 22720-22722, the AOF case 22710.
const BASE = 22700;

/** Whether process `pid` has exited: gone from /proc, or a zombie nobody has reaped yet (it holds no port or file then). */
function exited(pid: number): boolean {
    try {
        return readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z") ?? false;
    } catch {
        return true;
    }
}

describe("host: the container scripts of a users stack, on servers with only the ACL users", function () {
    this.timeout(120_000);
    const cluster = new AclHostCluster({ basePort: BASE, replicas: 1, sentinels: 3 });
    const pair = (port: number) => `127.0.0.1:${port}`;

    /** One container's files under the cluster's directory: its cluster snapshot and a script, ports moved to `port`. */
    function containerScript(name: string, script: string, port: number, password = cluster.passwords[CLIENT_USERS.tools]): string {
        const dir = path.join(cluster.dir, `container-${name}`);
        mkdirSync(path.join(dir, "etc"), { recursive: true });
        const env = {
            MASTER_NAME,
            SENTINELS: cluster.sentinelPorts.map(pair).join(" "),
            NODES: cluster.nodePorts.map(pair).join(" "),
            FAILOVER_WAIT_SECONDS: "3",
            SENTINEL_PASSWORD: password,
            REDIS_PASSWORD: password,
            AUTH_USER: CLIENT_USERS.tools,
        };
        const envFile = path.join(dir, "etc", "cluster.env");
        writeFileSync(
            envFile,
            `${Object.entries(env)
                .map(([k, v]) => `${k}='${v}'`)
                .join("\n")}\n`,
            { mode: 0o600 },
        );
        const localised = script
            .split(CONTAINER_PATHS.clusterEnv)
            .join(envFile)
            .split(CONTAINER_PATHS.dataDir)
            .join(path.join(dir, "data"))
            .split(`-p ${REDIS_PORT} `)
            .join(`-p ${port} `)
            .split(`-p ${SENTINEL_PORT} `)
            .join(`-p ${port} `);
        const file = path.join(dir, `${name}.sh`);
        writeFileSync(file, localised);
        return file;
    }

    const run = (file: string, self: string) =>
        spawnSync("/bin/sh", [file], { env: { PATH: "/usr/bin:/bin", [SCRIPT_ENV.self]: self }, encoding: "utf8", timeout: 30_000 });

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster.start();
        const [master, replica] = cluster.nodePorts;
        await waitFor("the replica linked", async () =>
            /master_link_status:up/.test(String(await cluster.client(replica, "admin").info("replication"))) ? true : undefined,
        );
        for (const port of cluster.sentinelPorts) {
            await waitFor(`Sentinel ${port} to know its peers and the replica`, async () => {
                const fields = (await cluster.client(port, "admin").call("SENTINEL", "MASTER", MASTER_NAME)) as string[];
                const get = (k: string) => Number(fields[fields.indexOf(k) + 1]);
                return get("num-other-sentinels") === 2 && get("num-slaves") === 1 ? true : undefined;
            });
        }
        void master;
    });

    after(() => cluster.stop());

    it("passes the healthchecks of a master, a replica and a Sentinel as the tools' user", () => {
        const [master, replica] = cluster.nodePorts;
        for (const [name, kind, port] of [
            ["master", "redis", master],
            ["replica", "redis", replica],
            ["sentinel", "sentinel", cluster.sentinelPorts[0]],
        ] as const) {
            const result = run(containerScript(`health-${name}`, renderHealthcheckScript(kind, true), port), pair(port));
            expect(result.status, `${name}: ${result.stdout}${result.stderr}`).to.equal(0);
        }
    });

    it("fails a healthcheck whose password the server refuses", async () => {
        const [master] = cluster.nodePorts;
        const file = containerScript("health-wrong", renderHealthcheckScript("redis", true), master, "x".repeat(32));
        expect(run(file, pair(master)).status).to.not.equal(0);
        // Its refusal, and only that, is logged; cleared so the last case sees the scripts' own.
        const admin = cluster.client(master, "admin");
        const log = JSON.stringify(await admin.call("ACL", "LOG"));
        expect(log).to.include('"reason","auth"').and.include('"username","admin"');
        await admin.call("ACL", "LOG", "RESET");
    });

    it("hands the master role over on stop, as the tools' user", async () => {
        const [master, replica] = cluster.nodePorts;
        const result = run(containerScript("handover", renderHandoverScript(true), master), pair(master));
        expect(result.stdout, result.stderr).to.match(/failover started by Sentinel/);
        expect(result.stdout).to.match(new RegExp(`the Sentinels name 127.0.0.1:${replica} as master`));
        await waitFor("every Sentinel to name the replica", async () => {
            const answers = await Promise.all(
                cluster.sentinelPorts.map(
                    async (p) => (await cluster.client(p, "admin").call("SENTINEL", "get-master-addr-by-name", MASTER_NAME)) as string[],
                ),
            );
            return answers.every((a) => a[1] === String(replica)) ? true : undefined;
        });
    });

    it("leaves ACL LOG empty on every server", async () => {
        for (const port of [...cluster.nodePorts, ...cluster.sentinelPorts]) {
            expect(await cluster.client(port, "admin").call("ACL", "LOG"), String(port)).to.deep.equal([]);
        }
    });
});

describe("host: a node on the ACL users replays the transactions in its AOF", function () {
    this.timeout(60_000);
    // Port 22710 (DEVELOPMENT.md: this file's range).
    const cluster = new AclHostCluster({ basePort: 22710, replicas: 0, sentinels: 0 });

    it("keeps a script's writes across a restart from the AOF (redis/redis#14541)", async function () {
        requirePrograms(this, [REDIS_SERVER]);
        const dir = path.join(cluster.dir, "aof");
        mkdirSync(dir, { recursive: true });
        const file = path.join(dir, "redis.conf");
        const { renderAclUsers } = await import("../../render/acl-users");
        const conf = [
            "port 22710",
            "bind 127.0.0.1",
            `dir ${dir}`,
            "appendonly yes",
            'save ""',
            ...renderAclUsers("node", cluster.passwords),
        ];
        writeFileSync(file, `${conf.join("\n")}\n`, { mode: 0o600 });
        const pidFile = path.join(dir, "redis.pid");
        const start = () =>
            spawnSync("redis-server", [file, "--daemonize", "yes", "--logfile", path.join(dir, "log"), "--pidfile", pidFile]);
        const admin = () => cluster.client(22710, "admin");
        start();
        await waitFor("the node to answer", async () => ((await admin().ping()) === "PONG" ? true : undefined));
        // A script's writes reach the AOF as MULTI ... EXEC, which is what EXEC's ACL re-check refused.
        await admin().eval("redis.call('set', KEYS[1], 'a'); redis.call('set', KEYS[2], 'b')", 2, "screenshots:x", "metadata:x");
        const pid = Number(readFileSync(pidFile, "utf8").trim());
        await admin()
            .call("SHUTDOWN")
            .catch(() => undefined);
        // The restart must find the port free and the AOF closed: wait for the process to exit.
        await waitFor(`redis-server ${pid} to exit after SHUTDOWN`, async () => (exited(pid) ? true : undefined), 10_000, 20);
        start();
        await waitFor("the node to answer again", async () => ((await admin().ping()) === "PONG" ? true : undefined));
        expect(await admin().dbsize()).to.equal(2);
        expect(await admin().call("ACL", "LOG")).to.deep.equal([]);
        await admin()
            .call("SHUTDOWN", "NOSAVE")
            .catch(() => undefined);
    });

    after(() => cluster.stop());
});
