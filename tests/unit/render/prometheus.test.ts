import { expect } from "chai";
import { parse } from "yaml";
import { exporterEndpoint, planExporters } from "../../../settings/address-plan";
import { settingsFromStackFile } from "../../../settings/stack-file";
import { alertRules, missingMasterFor, renderAlertRules, sentinelsNeeded } from "../../../render/alert-rules";
import { exporterArgs, renderExporterPasswordFile } from "../../../render/exporter";
import { renderScrapeConfig } from "../../../render/prometheus";
import { alertRuleCases, expandTemplate, storyNames } from "../../support/alert-rule-cases";
import { metricsInExpr, PROMETHEUS_SERIES, readExporterMetricList } from "../../support/exporter-metrics";
import { settingsFor } from "../../support/settings";

interface ScrapeFile {
    scrape_configs: {
        job_name: string;
        scrape_interval: string;
        scrape_timeout: string;
        static_configs: { targets: string[]; labels: Record<string, string> }[];
    }[];
}
interface RulesFile {
    groups: {
        name: string;
        rules: { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }[];
    }[];
}

const exprOf = (settings: ReturnType<typeof settingsFor>, alert: string): string => {
    const rule = alertRules(settings).find((r) => r.alert === alert);
    if (!rule) throw new Error(`no rule ${alert}`);
    return rule.expr;
};

describe("the exporters' address plan", () => {
    it("publishes node i's exporter on base + i and Sentinel i's on base + 20 + i, so scaling moves none", () => {
        const server = {
            name: "sentinel-2",
            address: "172.28.0.42",
            port: 26379,
            hostPort: 26381,
            publishAddress: "127.0.0.1",
            announce: { address: "172.28.0.42", port: 26379 },
        };
        expect(exporterEndpoint(9121, "sentinel", 2, server)).to.deep.equal({
            name: "sentinel-2-exporter",
            kind: "sentinel",
            server,
            serverUri: "redis://172.28.0.42:26379",
            port: 9121,
            hostPort: 9143,
        });
        const small = planExporters(settingsFor().plan, 9121);
        const large = planExporters(
            settingsFor({ replicas: 16, sentinels: 15, sentinel: { quorum: 8 }, network: { subnet: "10.1.0.0/24" } }).plan,
            9121,
        );
        expect(small.map((e) => e.hostPort)).to.deep.equal([9121, 9122, 9123, 9141, 9142, 9143]);
        for (const e of small) expect(large.find((x) => x.name === e.name)?.hostPort, e.name).to.equal(e.hostPort);
        expect(new Set(large.map((e) => e.hostPort)).size).to.equal(large.length);
    });
});

describe("the exporter's command line and password file", () => {
    const [node] = planExporters(settingsFor().plan, 9121);

    it("names the server, the password file and the listen address, never a password", () => {
        expect(exporterArgs(node)).to.deep.equal([
            "--redis.addr=redis://172.28.0.10:6379",
            "--redis.password-file=/etc/appscreens-exporter-passwords.json",
            "--web.listen-address=:9121",
            "--connection-timeout=5s",
        ]);
    });

    it("keys the password by exactly the URI given as --redis.addr (exporter 1.45 looks it up by that string)", () => {
        const file = JSON.parse(renderExporterPasswordFile(node, "Zq8mN2vR5tY7uI9oP1aS")) as Record<string, string>;
        expect(file).to.deep.equal({ "redis://172.28.0.10:6379": "Zq8mN2vR5tY7uI9oP1aS" });
        expect(exporterArgs(node)[0]).to.equal(`--redis.addr=${Object.keys(file)[0]}`);
    });
});

describe("renderScrapeConfig", () => {
    const dev = parse(renderScrapeConfig(settingsFromStackFile("dev"))!) as ScrapeFile;

    it("has one job per kind of server, each exporter a target on its published port with the labels the rules use", () => {
        expect(dev.scrape_configs.map((j) => j.job_name)).to.deep.equal(["appscreens-redis-dev-redis", "appscreens-redis-dev-sentinel"]);
        const [nodes, sentinels] = dev.scrape_configs;
        expect(nodes.scrape_interval).to.equal("15s");
        expect(nodes.scrape_timeout).to.equal("10s");
        expect(nodes.static_configs.map((s) => s.targets)).to.deep.equal([["127.0.0.1:9121"], ["127.0.0.1:9122"], ["127.0.0.1:9123"]]);
        expect(nodes.static_configs[1].labels).to.deep.equal({
            stack: "dev",
            kind: "redis",
            instance: "redis-1",
            server_address: "172.28.0.11:6379",
        });
        expect(sentinels.static_configs.map((s) => s.labels.instance)).to.deep.equal(["sentinel-0", "sentinel-1", "sentinel-2"]);
        expect(sentinels.static_configs[0].labels.server_address).to.equal("172.28.0.40:26379");
    });

    it("scrapes 127.0.0.1 when the ports are published on every interface, and follows the stack's ports", () => {
        const settings = settingsFor(
            { publish: { host: "0.0.0.0", allowAllInterfaces: true }, metrics: { exporterBasePort: 19000 } },
            "edge",
        );
        const file = parse(renderScrapeConfig(settings)!) as ScrapeFile;
        expect(file.scrape_configs[0].static_configs[0].targets).to.deep.equal(["127.0.0.1:19000"]);
        expect(file.scrape_configs[1].static_configs[0].targets).to.deep.equal(["127.0.0.1:19020"]);
        expect(file.scrape_configs[0].static_configs[0].labels.stack).to.equal("edge");
    });

    it("renders nothing for a stack without metrics", () => {
        const off = settingsFor({ metrics: { enabled: false } });
        expect(renderScrapeConfig(off)).to.equal(undefined);
        expect(renderAlertRules(off)).to.equal(undefined);
    });
});

describe("the alerting rules", () => {
    const dev = settingsFromStackFile("dev");
    const file = parse(renderAlertRules(dev)!) as RulesFile;
    const variants = [
        dev,
        settingsFromStackFile("prod"),
        settingsFor({ replicas: 1, redis: { minReplicasToWrite: 0, appendonly: false } }),
        settingsFor({ sentinels: 7, sentinel: { quorum: 6 } }),
    ];

    it("come in two groups per stack, every rule labelled with the stack and a severity", () => {
        expect(file.groups.map((g) => g.name)).to.deep.equal(["appscreens-redis-dev.standard", "appscreens-redis-dev.this-stack"]);
        for (const rule of file.groups.flatMap((g) => g.rules)) {
            expect(rule.labels.stack, rule.alert).to.equal("dev");
            expect(rule.labels.severity, rule.alert).to.be.oneOf(["critical", "warning"]);
            expect(rule.annotations.summary, rule.alert).to.be.a("string").and.not.equal("");
            expect(rule.annotations.description, rule.alert).to.be.a("string").and.not.equal("");
        }
        const names = file.groups.flatMap((g) => g.rules.map((r) => r.alert));
        expect(new Set(names).size).to.equal(names.length);
        expect(file.groups[0].rules.map((r) => r.alert)).to.include.members([
            "RedisDown",
            "RedisMissingMaster",
            "RedisTooManyMasters",
            "RedisDisconnectedReplicas",
            "RedisReplicationBroken",
            "RedisReplicationFlapping",
            "RedisMemoryNearMax",
            "RedisRejectedConnections",
            "RedisBackupTooOld",
        ]);
        expect(file.groups[1].rules.map((r) => r.alert)).to.include.members([
            "RedisMasterBelowMinReplicas",
            "RedisReplicaLagHigh",
            "SentinelsDisagreeOnMaster",
            "SentinelWatchesNonMaster",
            "SentinelQuorumAtRisk",
            "SentinelQuorumLost",
            "SentinelTilt",
            "RedisRdbSaveFailing",
            "RedisAofWriteFailing",
            "RedisAuthFailures",
            "RedisHitRatioLow",
        ]);
    });

    it('select only their own stack\'s series: every metric selector starts with stack="<stack>"', () => {
        for (const settings of variants) {
            for (const rule of alertRules(settings)) {
                const unquoted = rule.expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
                for (const metric of metricsInExpr(rule.expr)) {
                    const uses = unquoted.match(new RegExp(`\\b${metric}\\b(?!\\{stack="")`, "g")) ?? [];
                    expect(uses, `${settings.stack} ${rule.alert}: ${metric} without a stack matcher`).to.deep.equal([]);
                }
                expect(rule.expr, rule.alert).to.include(`{stack="${settings.stack}"`);
            }
        }
    });

    it("name only metrics that redis_exporter 1.45.0 shows (the list a real scrape produced) or Prometheus's up", () => {
        const known = new Set([...readExporterMetricList(), ...PROMETHEUS_SERIES]);
        for (const settings of variants) {
            for (const rule of alertRules(settings)) {
                const metrics = metricsInExpr(rule.expr);
                expect(metrics, rule.alert).to.not.deep.equal([]);
                for (const metric of metrics) expect(known.has(metric), `${rule.alert} names ${metric}`).to.equal(true);
            }
        }
    });

    it("take each stack-specific threshold from the stack's settings", () => {
        const custom = settingsFor({
            replicas: 4,
            sentinels: 5,
            sentinel: { quorum: 4, masterName: "appscreens", downAfterMilliseconds: 20_000, failoverTimeout: 60_000 },
            redis: { minReplicasToWrite: 2, minReplicasMaxLag: 30 },
            verifier: { lastSaveMaxAgeSeconds: 3600 },
            metrics: { alerts: { memoryUsedRatio: 0.8, hitRatioFloor: 0.7, hitRatioMinLookupsPerSecond: 5, authFailuresPerMinute: 3 } },
        });
        expect(exprOf(custom, "RedisMasterBelowMinReplicas"))
            .to.match(/<= 30\)/)
            .and.match(/< 2 and on \(instance\)/);
        expect(exprOf(custom, "RedisReplicaLagHigh")).to.match(/ > 30$/);
        expect(exprOf(custom, "RedisDisconnectedReplicas")).to.match(/ < 4$/);
        expect(exprOf(custom, "SentinelsDisagreeOnMaster")).to.include('master_name="appscreens"');
        expect(exprOf(custom, "SentinelWatchesNonMaster")).to.include('master_name="appscreens"');
        expect(sentinelsNeeded(custom)).to.equal(4);
        expect(exprOf(custom, "SentinelQuorumAtRisk")).to.match(/ <= 4$/);
        expect(exprOf(custom, "RedisBackupTooOld")).to.match(/ > 3600$/);
        expect(exprOf(custom, "RedisMemoryNearMax")).to.match(/ > 0\.8$/);
        expect(exprOf(custom, "RedisAuthFailures")).to.match(/ \* 60 > 3$/);
        expect(exprOf(custom, "RedisHitRatioLow"))
            .to.match(/ < 0\.7 and /)
            .and.match(/ > 5$/);
        expect(missingMasterFor(custom)).to.equal("80s");
        expect(missingMasterFor(settingsFor())).to.equal("30s");
    });

    it("need a majority even when the quorum is smaller", () => {
        expect(sentinelsNeeded(settingsFor())).to.equal(2);
        expect(sentinelsNeeded(settingsFor({ sentinels: 7, sentinel: { quorum: 4 } }))).to.equal(4);
        expect(sentinelsNeeded(settingsFor({ sentinels: 7, sentinel: { quorum: 6 } }))).to.equal(6);
    });

    it("leave out what the stack does not have: min-replicas-to-write 0, no AOF", () => {
        const names = alertRules(settingsFor({ redis: { minReplicasToWrite: 0, appendonly: false } })).map((r) => r.alert);
        expect(names).to.not.include.members(["RedisMasterBelowMinReplicas"]);
        expect(names).to.not.include("RedisAofWriteFailing");
        expect(names).to.not.include("RedisAofRewriteFailing");
        expect(names).to.include("RedisRdbSaveFailing");
    });

    it("use only the template forms their tests can expand", () => {
        for (const settings of variants) {
            for (const rule of alertRules(settings)) {
                expect(() => expandTemplate(rule.summary, {}, 1), rule.alert).to.not.throw();
                expect(() => expandTemplate(rule.description, {}, 1), rule.alert).to.not.throw();
            }
        }
        expect(expandTemplate('{{ $labels.instance }} at {{ printf "%.2f" $value }}', { instance: "redis-1" }, 0.951)).to.equal(
            "redis-1 at 0.95",
        );
        expect(() => expandTemplate("{{ $value | humanize }}", {}, 1)).to.throw(/not supported/);
    });

    it("each have a promtool story (tests/host/prometheus-rules.test.ts runs them), and no story is left without a rule", () => {
        const ruleNames = new Set(variants.flatMap((s) => alertRules(s).map((r) => r.alert)));
        expect(storyNames(dev).sort()).to.deep.equal([...ruleNames].sort());
        for (const settings of variants) {
            const cases = alertRuleCases(settings);
            expect(cases.map((c) => c.alert)).to.deep.equal(alertRules(settings).map((r) => r.alert));
            for (const c of cases) {
                expect(c.firesAt, c.alert).to.be.greaterThan(c.quietAt);
                expect(c.expected, c.alert).to.not.deep.equal([]);
            }
        }
        // Where a target disappears, its series end in a stale marker.
        const down = alertRuleCases(dev).find((c) => c.alert === "RedisExporterDown")!;
        expect(
            down.series.filter((s) => s.labels.instance === "redis-1" && s.metric !== "up").every((s) => s.values.endsWith("stale")),
        ).to.equal(true);
    });
});
