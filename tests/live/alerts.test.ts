import { expect } from "chai";
import { parse } from "yaml";
import { StackConfigObject } from "../../settings/stack-file";
import { firedNames, replayAlerts, ScrapeRecorder, scrapeTargets, Target } from "../support/alert-replay";
import { sampleValue } from "../support/exporter-metrics";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";
import { fastScrapeConfig, PrometheusProcess, scaleRuleDurations } from "../support/prometheus-process";
import { PROMTOOL, PROMETHEUS, requirePrograms } from "../support/require-program";

// The stack's alerting rules against real failures. For each fault the exporters are scraped
// as the stack's scrape config says (every 15 s, 10 s timeout) while it is in effect; the samples go through the rules with their real `for:`
// durations (tests/support/alert-replay.ts), and the alerts that fired must be exactly the ones
// the fault breaks. A real Prometheus, with its timings scaled down 30 times, runs beside.

interface OutputsWithMetrics {
    prometheusScrapeConfig?: string;
    prometheusRules?: string;
}

describe("live: the alerting rules against real failures", function () {
    this.timeout(900_000);
    const metricsOn: StackConfigObject = { cluster: { metrics: { enabled: true } } };
    const cluster = useLiveCluster(this, { overrides: metricsOn, logsOnFailure: true });
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
                    return alerts.find((a) => a.labels.alertname === "RedisDown" && a.labels.instance === master && a.state === "firing");
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
