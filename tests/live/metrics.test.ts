import { expect } from "chai";
import { mergeConfig, StackConfigObject } from "../../settings/stack-file";
import { ChangeSummary } from "../support/deployer";
import { sampleValue } from "../support/exporter-metrics";
import { LiveCluster } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";
import { parse } from "yaml";
import { firedNames, replayAlerts, ScrapeRecorder, scrapeTargets, Target } from "../support/alert-replay";
import { fastScrapeConfig, PrometheusProcess, scaleRuleDurations } from "../support/prometheus-process";
import { PROMTOOL, PROMETHEUS, requirePrograms } from "../support/require-program";

// The alerting rules against real failures: for each fault the exporters are scraped
// as the stack's scrape config says (every 15 s, 10 s timeout) while it is in effect; the samples go through the rules with their real `for:`
// durations (tests/support/alert-replay.ts), and the alerts that fired must be exactly the ones
// the fault breaks. A real Prometheus, with its timings scaled down 30 times, runs beside.

interface OutputsWithMetrics {
    prometheusScrapeConfig?: string;
    prometheusRules?: string;
}

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

// One deploy of the test stack with metrics on serves both parts: the alerting rules first (each
// fault is undone before the next), then the exporters through day-2 changes, which end by turning
// metrics off. They were two suites with a deploy each; sharing it saves about 90 s of CI.
describe("live: the test stack with metrics on", function () {
    this.timeout(900_000);
    const metricsOn: StackConfigObject = { cluster: { metrics: { enabled: true } } };
    const cluster = useLiveCluster(this, { overrides: metricsOn, logsOnFailure: true });

    describe("the alerting rules against real failures", function () {
        let targets: Target[];
        let rules: string;
        let alertNames: string[];
        let prometheus: PrometheusProcess | undefined;

        before(async function () {
            requirePrograms(this, [PROMTOOL, PROMETHEUS]);
            const outputs = cluster.outputs as unknown as OutputsWithMetrics;
            if (!outputs.prometheusScrapeConfig || !outputs.prometheusRules) throw new Error("the stack gave no scrape config or rules");
            targets = scrapeTargets(outputs.prometheusScrapeConfig);
            rules = outputs.prometheusRules;
            alertNames = (parse(rules) as { groups: { rules: { alert: string }[] }[] }).groups.flatMap((g) => g.rules.map((r) => r.alert));
            for (const t of targets) {
                await waitFor(`redis_up 1 at ${t.address}`, async () => {
                    const page = await fetch(`http://${t.address}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
                    return sampleValue(page, "redis_up") === 1 ? true : undefined;
                });
            }
            await cluster.settled();
            // Scrapes every 10 s (a just-killed server's exporter answers only after its connection
            // attempt fails, up to 5 s), rules every second, `for:` 30 times shorter: RedisDown's 1m becomes 2 s.
            prometheus = await PrometheusProcess.start(fastScrapeConfig(outputs.prometheusScrapeConfig, 10), scaleRuleDurations(rules, 30));
        });

        after(async () => {
            await prometheus?.stop();
        });

        /**
         * Records every exporter from one healthy round before `inject` until `settle` returns and one
         * round more, then replays the recording; returns the `Alert{instance}` names that fired.
         */
        async function alertsOf(inject: () => Promise<void>, settle: (recorder: ScrapeRecorder) => Promise<unknown>): Promise<string[]> {
            const recorder = new ScrapeRecorder(targets);
            recorder.start();
            try {
                await recorder.nextRounds(1);
                await inject();
                await settle(recorder);
                // One more round of the state the fault left: the replay holds the last one.
                await recorder.nextRounds(1);
            } finally {
                await recorder.stop();
            }
            const fired = firedNames(await replayAlerts(recorder, rules, alertNames));
            console.log(`      ${recorder.roundCount} scrape rounds; fired: ${fired.length ? fired.join(", ") : "none"}`);
            return fired;
        }

        /** Starts `server` again if a fault left it stopped, and waits for the cluster to settle. */
        async function restore(server: string): Promise<void> {
            if (!(await cluster.container(server).inspect()).State.Running) await cluster.container(server).start();
            await cluster.settled(120_000);
        }

        /** Waits until the recorder's newest round shows `redis_up 0` for `server`: the fault is in the samples. */
        const seenDown = (recorder: ScrapeRecorder, server: string): Promise<true> =>
            waitFor(
                `redis_up 0 for ${server} in a scrape`,
                async () => (recorder.latest("redis_up", { instance: server }) === 0 ? true : undefined),
                60_000,
                500,
            );

        it("a planned failover pages no one", async () => {
            const before = await cluster.settled();
            let after = before;
            const fired = await alertsOf(
                async () => {
                    after = await cluster.failover();
                },
                () => cluster.settled(),
            );
            expect(after, "the failover moved the master").to.not.equal(before);
            expect(fired).to.deep.equal([]);
        });

        it("a killed replica: RedisDown for it and too few replicas on the master, nothing else", async () => {
            const master = await cluster.settled();
            const replica = cluster.nodeNames.find((n) => n !== master)!;
            try {
                const fired = await alertsOf(
                    async () => {
                        await cluster.container(replica).kill();
                    },
                    async (recorder) => {
                        expect((await cluster.container(replica).inspect()).State.Running, "the replica is down").to.equal(false);
                        await seenDown(recorder, replica);
                    },
                );
                expect(fired).to.deep.equal([`RedisDown{${replica}}`, "RedisDisconnectedReplicas"].sort());
            } finally {
                await restore(replica);
            }
        });

        it("a stopped Sentinel: SentinelDown for it, and the others warn that the quorum is at risk", async () => {
            await cluster.settled();
            const [stopped, ...running] = cluster.sentinelNames;
            try {
                const fired = await alertsOf(
                    async () => {
                        await cluster.container(stopped).stop({ t: 5 });
                    },
                    async (recorder) => {
                        expect((await cluster.container(stopped).inspect()).State.Running, "the Sentinel is down").to.equal(false);
                        await seenDown(recorder, stopped);
                    },
                );
                expect(fired).to.deep.equal([`SentinelDown{${stopped}}`, ...running.map((s) => `SentinelQuorumAtRisk{${s}}`)].sort());
            } finally {
                await restore(stopped);
            }
        });

        it("a killed master: the replay and a real Prometheus both raise RedisDown for it, which clears once it is back", async () => {
            const master = await cluster.settled();
            try {
                let newMaster = master;
                const fired = await alertsOf(
                    async () => {
                        await cluster.container(master).kill();
                    },
                    async (recorder) => {
                        expect((await cluster.container(master).inspect()).State.Running, "the master is down").to.equal(false);
                        await seenDown(recorder, master);
                        newMaster = await waitFor(
                            "the Sentinels to promote another node",
                            async () => {
                                const now = cluster.nodeAt(await cluster.agreedMaster());
                                return now !== master ? now : undefined;
                            },
                            60_000,
                            500,
                        );
                    },
                );
                expect(newMaster, "Sentinel failed over").to.not.equal(master);
                expect(fired).to.deep.equal([`RedisDown{${master}}`, "RedisDisconnectedReplicas"].sort());

                const firing = await waitFor(
                    `a real Prometheus to fire RedisDown for ${master}`,
                    async () => {
                        const alerts = await prometheus!.alerts();
                        return alerts.find(
                            (a) => a.labels.alertname === "RedisDown" && a.labels.instance === master && a.state === "firing",
                        );
                    },
                    60_000,
                    1000,
                ).catch((err: Error) => {
                    throw new Error(`${err.message}\nprometheus log:\n${prometheus!.output}`);
                });
                expect(firing.labels.severity).to.equal("critical");

                await restore(master);
                await waitFor(
                    "RedisDown to clear in the real Prometheus",
                    async () => {
                        const alerts = await prometheus!.alerts();
                        return alerts.some((a) => a.labels.alertname === "RedisDown") ? undefined : true;
                    },
                    60_000,
                    1000,
                );
            } finally {
                await restore(master);
            }
        });
    });

    describe("an exporter per node and Sentinel, through day-2 changes", function () {
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
                return sampleValue(page, "redis_sentinel_master_slaves", { master_name: cluster.outputs.masterName }) === 3
                    ? true
                    : undefined;
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
});
