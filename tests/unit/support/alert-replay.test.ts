import { expect } from "chai";
import {
    encodeValues,
    firedNames,
    parseExposition,
    parseFired,
    promtoolNumber,
    ScrapeRecorder,
    withTargetLabels,
} from "../../support/alert-replay";
import { startServer } from "../../support/http-server";
import { durationSeconds, fastScrapeConfig, scaleRuleDurations } from "../../support/prometheus-process";
import { parse } from "yaml";

describe("alert replay: scraped samples into promtool's input", () => {
    it("reads an exposition page's samples, labels unescaped, non-finite values left out", () => {
        const page = [
            "# HELP redis_up Information about the Redis instance",
            "# TYPE redis_up gauge",
            "redis_up 1",
            'redis_sentinel_master_status{master_address="172.29.0.10:6379",master_name="my\\"master"} 1',
            "redis_mem_fragmentation_ratio NaN",
        ].join("\n");
        expect(parseExposition(page)).to.deep.equal([
            { metric: "redis_up", labels: {}, value: 1 },
            { metric: "redis_sentinel_master_status", labels: { master_address: "172.29.0.10:6379", master_name: 'my"master' }, value: 1 },
        ]);
    });

    it("gives the target's labels precedence and keeps a clashing exporter label as exported_<name>", () => {
        expect(withTargetLabels({ instance: "exporter-said", role: "master" }, { instance: "redis-0", job: "j" })).to.deep.equal({
            exported_instance: "exporter-said",
            role: "master",
            instance: "redis-0",
            job: "j",
        });
    });

    it("marks the first missing round stale, later ones blank, and holds the last value", () => {
        expect(encodeValues([1, 1, 0], 10)).to.equal("1 1 0 0x9");
        expect(encodeValues([1, undefined, undefined, 2], 3)).to.equal("1 stale _ 2 2x2");
        expect(encodeValues([undefined, 5], 2)).to.equal("_ 5 5x1");
        // A series gone at the end stays gone: no hold, no trailing blanks.
        expect(encodeValues([1, undefined, undefined], 100)).to.equal("1 stale");
    });

    it("writes numbers without an exponent, which promtool would read as an increment", () => {
        expect(promtoolNumber(1.5e-7)).to.equal("0.00000015");
        expect(promtoolNumber(1733200000)).to.equal("1733200000");
        expect(promtoolNumber(2e21)).to.equal("2000000000000000000000");
        expect(promtoolNumber(0.25)).to.equal("0.25");
    });

    it("reads what fired from promtool's report of unexpected alerts", () => {
        // promtool 2.42's output for an alert_rule_test expecting none.
        const output = [
            "Unit Testing:  tests.yml",
            "  FAILED:",
            "    alertname: RedisDown, time: 1m30s, ",
            "        exp:[], ",
            "        got:[",
            "            0:",
            '              Labels:{alertname="RedisDown", instance="redis-0", job="j", severity="critical"}',
            '              Annotations:{summary="redis-0 down"}',
            "            ]",
            "    alertname: RedisDisconnectedReplicas, time: 2m, ",
            "        exp:[], ",
            "        got:[",
            "            0:",
            '              Labels:{alertname="RedisDisconnectedReplicas", severity="warning", stack="test"}',
            '              Annotations:{summary="x"}',
            "            ]",
        ].join("\n");
        const fired = parseFired(output);
        expect(fired.map((f) => [f.alertname, f.at])).to.deep.equal([
            ["RedisDown", "1m30s"],
            ["RedisDisconnectedReplicas", "2m"],
        ]);
        expect(firedNames(fired)).to.deep.equal(["RedisDisconnectedReplicas", "RedisDown{redis-0}"]);
    });
});

describe("a real Prometheus with test timings", () => {
    const rules =
        "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        for: 1m\n      - alert: B\n        expr: up == 2\n        for: 30s\n      - alert: C\n        expr: up == 3\n";

    it("divides every for: and keeps at least a second", () => {
        const scaled = parse(scaleRuleDurations(rules, 30)) as { groups: { rules: { alert: string; for?: string }[] }[] };
        expect(scaled.groups[0].rules.map((r) => [r.alert, r.for])).to.deep.equal([
            ["A", "2s"],
            ["B", "1s"],
            ["C", undefined],
        ]);
        expect(durationSeconds("2m")).to.equal(120);
        expect(() => durationSeconds("1m30s")).to.throw(/not a simple duration/);
    });

    it("scrapes every job at the given interval and loads the rules", () => {
        const config = parse(
            fastScrapeConfig(
                "scrape_configs:\n  - job_name: j\n    scrape_interval: 15s\n    scrape_timeout: 10s\n    static_configs: []\n",
                10,
            ),
        ) as { global: Record<string, string>; scrape_configs: Record<string, string>[]; rule_files: string[] };
        expect(config.global).to.deep.equal({ scrape_interval: "10s", evaluation_interval: "1s" });
        expect(config.scrape_configs[0].scrape_interval).to.equal("10s");
        expect(config.scrape_configs[0].scrape_timeout).to.equal("10s");
        expect(config.rule_files).to.deep.equal(["rules.yml"]);
    });
});

describe("alert replay: the scrape recorder", () => {
    it("waits for rounds that start after the call and have finished, each a slow scrape later", async () => {
        let value = 1;
        // Each scrape answers after 80 ms: a round that started before the value changed must not count.
        const server = await startServer(async (_req, res) => {
            const v = value;
            await new Promise((r) => setTimeout(r, 80));
            res.end(`redis_up ${v}\n`);
        });
        const recorder = new ScrapeRecorder([{ address: new URL(server.url).host, labels: { instance: "a" } }], 30, 1000);
        try {
            recorder.start();
            await recorder.nextRounds(1);
            expect(recorder.latest("redis_up", { instance: "a" })).to.equal(1);
            value = 0;
            await recorder.nextRounds(1);
            expect(recorder.latest("redis_up", { instance: "a" })).to.equal(0);
        } finally {
            await recorder.stop();
            await server.close();
        }
    });
});
