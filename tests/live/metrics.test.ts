import { expect } from "chai";
import { mergeConfig, StackConfigObject } from "../../settings/stack-file";
import { ChangeSummary } from "../support/deployer";
import { scrapeTargets, Target } from "../support/alert-replay";
import { sampleValue } from "../support/exporter-metrics";
import { LiveCluster } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

const CONTAINER = "docker:index/container:Container::";

/** Names of the containers a change touched in one way (`replaced`, `created`, `deleted`). */
const containersIn = (keys: readonly string[]): string[] =>
    keys
        .filter((k) => k.startsWith(CONTAINER))
        .map((k) => k.slice(CONTAINER.length))
        .sort();

/** The targets of the stack's scrape config output, as Prometheus would read them. */
function targetsOf(cluster: LiveCluster): Target[] {
    const text = (cluster.outputs as unknown as { prometheusScrapeConfig?: string }).prometheusScrapeConfig;
    if (!text) throw new Error("no prometheusScrapeConfig output");
    return scrapeTargets(text);
}

async function scrape(address: string): Promise<string> {
    const response = await fetch(`http://${address}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${address}: HTTP ${response.status}`);
    return response.text();
}

/** Polls one exporter until its `redis_up` is `value`; returns the page. */
const redisUp = (address: string, value: 0 | 1, timeoutMs = 60_000): Promise<string> =>
    waitFor(
        `redis_up ${value} at ${address}`,
        async () => {
            const page = await scrape(address);
            return sampleValue(page, "redis_up") === value ? page : undefined;
        },
        timeoutMs,
        500,
    );

describe("live: an exporter per node and Sentinel, through day-2 changes", function () {
    this.timeout(900_000);
    const metricsOn: StackConfigObject = { cluster: { metrics: { enabled: true } } };
    const cluster = useLiveCluster(this, { overrides: metricsOn });

    const exporterName = (server: string) => cluster.containerName(`${server}-exporter`);

    it("scrapes every server through the published port the scrape config names, redis_up 1, no password in sight", async () => {
        const targets = targetsOf(cluster);
        expect(targets.map((t) => t.labels.instance)).to.deep.equal([...cluster.nodeNames, ...cluster.sentinelNames]);
        for (const t of targets) {
            const page = await redisUp(t.address, 1);
            if (t.labels.kind === "sentinel") {
                expect(
                    sampleValue(page, "redis_sentinel_master_ok_sentinels", { master_name: cluster.outputs.masterName }),
                    t.labels.instance,
                ).to.equal(3);
            }
        }
        const { redisPassword, sentinelPassword } = cluster.credentials;
        for (const server of [...cluster.nodeNames, ...cluster.sentinelNames]) {
            const info = await cluster.docker.getContainer(exporterName(server)).inspect();
            expect(info.Config.User, server).to.equal("59000:0");
            const visible = JSON.stringify({
                cmd: info.Config.Cmd,
                entrypoint: info.Config.Entrypoint,
                env: info.Config.Env,
                labels: info.Config.Labels,
                args: info.Args,
            });
            for (const secret of [redisPassword, sentinelPassword]) expect(visible, server).to.not.include(secret);
            // Nor in what the exporter logged (it logs its connection errors with the server's URI).
            const logged = (
                await cluster.docker.getContainer(exporterName(server)).logs({ stdout: true, stderr: true, follow: false })
            ).toString("utf8");
            for (const secret of [redisPassword, sentinelPassword]) expect(logged, `${server}'s exporter log`).to.not.include(secret);
            // The password file: root's, readable by the exporter's group only.
            const listing = await cluster.docker
                .getContainer(exporterName(server))
                .exec({ Cmd: ["ls", "-ln", "/etc/appscreens-exporter-passwords.json"], AttachStdout: true, AttachStderr: true });
            const stream = await listing.start({});
            const text = await new Promise<string>((resolve) => {
                let out = "";
                stream.on("data", (c: Buffer) => (out += c.toString("utf8")));
                stream.on("end", () => resolve(out));
            });
            expect(text, server).to.match(/-r--r-----\s+1\s+0\s+0\s/);
        }
        const outputs = JSON.stringify({
            scrape: (cluster.outputs as unknown as Record<string, unknown>).prometheusScrapeConfig,
            rules: (cluster.outputs as unknown as Record<string, unknown>).prometheusRules,
            endpoints: (cluster.outputs as unknown as Record<string, unknown>).metricsEndpoints,
        });
        for (const secret of [redisPassword, sentinelPassword]) expect(outputs).to.not.include(secret);
    });

    it("shows redis_up 0 while its server's container is stopped, and 1 once it runs again", async () => {
        const replica = cluster.nodeNames[cluster.nodeNames.length - 1];
        const target = targetsOf(cluster).find((t) => t.labels.instance === replica)!;
        await cluster.container(replica).stop({ t: 30 });
        const down = await redisUp(target.address, 0);
        expect(sampleValue(down, "redis_instance_info"), "the server's own series are gone").to.equal(undefined);
        await cluster.container(replica).start();
        await redisUp(target.address, 1, 120_000);
        await cluster.settled();
    });

    it("adds and removes exporters with the servers a scale adds and removes", async () => {
        const up = await cluster.up(mergeConfig(metricsOn, { cluster: { replicas: 3 } }));
        expect(containersIn(up.changes.created)).to.include("redis-3-exporter");
        expect(containersIn(up.changes.replaced)).to.deep.equal([]);
        const added = targetsOf(cluster).find((t) => t.labels.instance === "redis-3")!;
        expect(added.address).to.equal("127.0.0.1:18124");
        await redisUp(added.address, 1);
        const sentinel = targetsOf(cluster).find((t) => t.labels.instance === "sentinel-0")!;
        await waitFor("sentinel-0's exporter counting 3 replicas", async () => {
            const page = await scrape(sentinel.address);
            return sampleValue(page, "redis_sentinel_master_slaves", { master_name: cluster.outputs.masterName }) === 3 ? true : undefined;
        });

        const down = await cluster.up(metricsOn);
        expect(containersIn(down.changes.deleted)).to.include.members(["redis-3", "redis-3-exporter"]);
        expect(targetsOf(cluster).map((t) => t.labels.instance)).to.not.include("redis-3");
        const gone = await cluster.docker
            .getContainer(exporterName("redis-3"))
            .inspect()
            .then(
                () => false,
                (err: { statusCode?: number }) => err.statusCode === 404,
            );
        expect(gone, "redis-3's exporter container is removed").to.equal(true);
        await fetch(`http://${added.address}/metrics`, { signal: AbortSignal.timeout(5000) }).then(
            () => expect.fail(`${added.address} still answers`),
            () => undefined,
        );
    });

    it("replaces the node exporters when the Redis password rotates, and they authenticate with the new one", async () => {
        const old = cluster.outputs.redisPassword;
        const fresh = "RotatedMetricsPassw0rdRotated42";
        const first: ChangeSummary = (await cluster.up(mergeConfig(metricsOn, { redisPassword: fresh, redisPasswordPrevious: old })))
            .changes;
        // The exporters read their password file once, at start: a new file means a new container.
        expect(containersIn(first.replaced)).to.deep.equal(cluster.nodeNames.map((n) => `${n}-exporter`).sort());
        for (const t of targetsOf(cluster)) await redisUp(t.address, 1);
        // The old password retired: nothing of the exporters changes again, and they still get in.
        const second = (await cluster.up(mergeConfig(metricsOn, { redisPassword: fresh }))).changes;
        expect(containersIn(second.replaced)).to.deep.equal([]);
        for (const t of targetsOf(cluster)) await redisUp(t.address, 1);
    });

    it("deletes every exporter, and touches no server, when metrics are turned off", async () => {
        const off = await cluster.up({ cluster: { metrics: { enabled: false } }, redisPassword: cluster.outputs.redisPassword });
        expect(containersIn(off.changes.deleted)).to.deep.equal(
            [...cluster.nodeNames, ...cluster.sentinelNames].map((n) => `${n}-exporter`).sort(),
        );
        expect(containersIn(off.changes.replaced)).to.deep.equal([]);
        expect((cluster.outputs as unknown as Record<string, unknown>).prometheusScrapeConfig).to.equal(undefined);
    });
});
