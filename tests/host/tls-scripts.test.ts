// The containers' scripts of a stack created with cluster.tls.enabled, as rendered, run on this
// host against Redis and Sentinel processes that listen TLS-only (tests/support/tls-host-cluster.ts):
// the healthchecks of a master, a replica and a Sentinel, and the master's hand-over, each with
// its paths moved into a directory of its own that holds what /data holds in a container (the
// live config's password line and /data/tls, copied from the server's own files).
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { renderHandoverScript, renderHealthcheckScript } from "../../render/container-scripts";
import { CONTAINER_PATHS } from "../../render/paths";
import { TLS_CONTAINER_FILES } from "../../render/tls-conf";
import { REDIS_PORT, SENTINEL_PORT, ServerKind } from "../../settings/address-plan";
import { SCRIPT_ENV } from "../../contracts/env";
import { parsePairs } from "../../ops/redis/replies";
import { MASTER_NAME, TlsHostCluster } from "../support/tls-host-cluster";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 22730-22731, Sentinels 22750-22752.
const BASE = 22730;
const PASSWORD = "TlsScriptsPassw0rdTlsScriptsPass";

describe("host: the container scripts of a TLS stack, on TLS-only servers", function () {
    this.timeout(120_000);
    const cluster = new TlsHostCluster({
        basePort: BASE,
        authClients: "yes",
        replicas: 1,
        sentinels: 3,
        passwords: { redis: PASSWORD, sentinel: PASSWORD },
    });
    const pair = (port: number) => `127.0.0.1:${port}`;

    /**
     * One container's files for the server on `port`: the cluster snapshot, the live config's line
     * the script reads its password from, /data/tls from the server's own leaf, key and CA, and the
     * script with its paths and its server's port moved there.
     */
    function containerScript(name: string, kind: ServerKind, script: string, port: number): string {
        const dir = path.join(cluster.dir, `container-${name}`);
        const data = path.join(dir, "data");
        const tlsDir = path.join(data, path.relative(CONTAINER_PATHS.dataDir, CONTAINER_PATHS.tlsDir));
        mkdirSync(path.join(dir, "etc"), { recursive: true });
        mkdirSync(tlsDir, { recursive: true });
        const env = {
            MASTER_NAME,
            SENTINELS: cluster.sentinelPorts.map(pair).join(" "),
            NODES: cluster.nodePorts.map(pair).join(" "),
            FAILOVER_WAIT_SECONDS: "3",
            SENTINEL_PASSWORD: PASSWORD,
            REDIS_PASSWORD: PASSWORD,
        };
        const envFile = path.join(dir, "etc", "cluster.env");
        writeFileSync(
            envFile,
            `${Object.entries(env)
                .map(([k, v]) => `${k}='${v}'`)
                .join("\n")}\n`,
            { mode: 0o600 },
        );
        const moved = (file: string) => path.join(data, path.relative(CONTAINER_PATHS.dataDir, file));
        if (kind === "redis") writeFileSync(moved(CONTAINER_PATHS.redisLive), `masterauth "${PASSWORD}"\n`, { mode: 0o600 });
        else writeFileSync(moved(CONTAINER_PATHS.sentinelLive), `sentinel sentinel-pass "${PASSWORD}"\n`, { mode: 0o600 });
        const files = cluster.files(port);
        copyFileSync(files.caCert, moved(TLS_CONTAINER_FILES.caCert));
        copyFileSync(files.cert, moved(TLS_CONTAINER_FILES.cert));
        copyFileSync(files.key, moved(TLS_CONTAINER_FILES.key));
        const localised = script
            .split(CONTAINER_PATHS.clusterEnv)
            .join(envFile)
            .split(`${CONTAINER_PATHS.dataDir}/`)
            .join(`${data}/`)
            .split(`-p ${REDIS_PORT} `)
            .join(`-p ${port} `)
            .split(`-p ${SENTINEL_PORT} `)
            .join(`-p ${port} `);
        // Nothing of the container's own paths is left: every file the script reads is the test's.
        expect(localised, name).to.not.match(/ \/data\//);
        const file = path.join(dir, `${name}.sh`);
        writeFileSync(file, localised);
        return file;
    }

    const run = (file: string, self: string) =>
        spawnSync("/bin/sh", [file], { env: { PATH: "/usr/bin:/bin", [SCRIPT_ENV.self]: self }, encoding: "utf8", timeout: 30_000 });

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        await cluster.start();
        const [master, replica] = cluster.nodePorts;
        await waitFor("the replica linked over TLS", async () =>
            /master_link_status:up/.test(String(await cluster.client(replica).info("replication"))) ? true : undefined,
        );
        for (const port of cluster.sentinelPorts) {
            await waitFor(`Sentinel ${port} to know its peers and the replica`, async () => {
                const m = parsePairs(await cluster.client(port).call("SENTINEL", "MASTER", MASTER_NAME));
                return m.port === String(master) && m["num-other-sentinels"] === "2" && m["num-slaves"] === "1" ? true : undefined;
            });
        }
    });

    after(() => cluster.stop());

    const servers = () =>
        [
            ["master", "redis", cluster.nodePorts[0]],
            ["replica", "redis", cluster.nodePorts[1]],
            ["sentinel", "sentinel", cluster.sentinelPorts[0]],
        ] as const;

    it("refuses plain text on every server: the scripts rendered without TLS fail their healthchecks", () => {
        for (const [name, kind, port] of servers()) {
            const result = run(containerScript(`plain-${name}`, kind, renderHealthcheckScript(kind), port), pair(port));
            expect(result.status, `${name}: ${result.stdout}${result.stderr}`).to.not.equal(0);
        }
    });

    it("passes the healthchecks of a master, a replica and a Sentinel over TLS", () => {
        for (const [name, kind, port] of servers()) {
            const result = run(containerScript(`health-${name}`, kind, renderHealthcheckScript(kind, false, true), port), pair(port));
            expect(result.status, `${name}: ${result.stdout}${result.stderr}`).to.equal(0);
        }
    });

    it("fails a healthcheck whose client certificate another CA signed", async () => {
        const [master] = cluster.nodePorts;
        const file = containerScript("health-foreign", "redis", renderHealthcheckScript("redis", false, true), master);
        const { TestCa } = await import("../support/tls-host-cluster");
        const foreign = await TestCa.create(path.join(cluster.dir, "foreign-ca"), "another CA");
        const leaf = await foreign.leaf(path.join(cluster.dir, "foreign-ca"), "server", "server");
        const tlsDir = path.join(cluster.dir, "container-health-foreign", "data", "tls");
        copyFileSync(leaf.cert, path.join(tlsDir, path.basename(TLS_CONTAINER_FILES.cert)));
        copyFileSync(leaf.key, path.join(tlsDir, path.basename(TLS_CONTAINER_FILES.key)));
        expect(run(file, pair(master)).status).to.not.equal(0);
    });

    it("hands the master role over on stop, over TLS to the node and the Sentinels", async () => {
        const [master, replica] = cluster.nodePorts;
        const result = run(containerScript("handover", "redis", renderHandoverScript(false, true), master), pair(master));
        expect(result.stdout, result.stderr).to.match(/stopping master: pausing writes, waiting for 1 replica/);
        expect(result.stdout, result.stderr).to.match(/replicas behind the master before failing over: 0/);
        expect(result.stdout, result.stderr).to.match(/failover started by Sentinel/);
        expect(result.stdout).to.match(new RegExp(`the Sentinels name 127.0.0.1:${replica} as master`));
        await waitFor("every Sentinel to name the replica", async () => {
            const answers = await Promise.all(
                cluster.sentinelPorts.map(
                    async (p) => (await cluster.client(p).call("SENTINEL", "get-master-addr-by-name", MASTER_NAME)) as string[],
                ),
            );
            return answers.every((a) => a[1] === String(replica)) ? true : undefined;
        });
        // The new master passes its healthcheck as a master.
        const health = run(
            containerScript("health-new-master", "redis", renderHealthcheckScript("redis", false, true), replica),
            pair(replica),
        );
        expect(health.status, `${health.stdout}${health.stderr}`).to.equal(0);
    });
});
