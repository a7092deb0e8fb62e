import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { renderAlertRules } from "../../render/alert-rules";
import { renderScrapeConfig } from "../../render/prometheus";
import { settingsFromStackFile } from "../../settings/stack-file";
import { StackSettings } from "../../settings/validate";
import { alertRuleCases, renderRuleTests } from "../support/alert-rule-cases";
import { PROMTOOL, requirePrograms } from "../support/require-program";
import { settingsFor } from "../support/settings";

/** promtool with a deadline; its output (both streams) whether it passes or not. */
function promtool(dir: string, ...args: string[]): { ok: boolean; output: string } {
    try {
        const out = execFileSync("promtool", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 60_000 });
        return { ok: true, output: out };
    } catch (err) {
        const e = err as { stdout?: string; stderr?: string; message: string };
        return { ok: false, output: `${e.stdout ?? ""}${e.stderr ?? ""}` || e.message };
    }
}

/** The shipped stacks with metrics, and variants that change which rules exist and their thresholds. */
const stacks: [string, StackSettings][] = [
    ["dev", settingsFromStackFile("dev")],
    ["prod", settingsFromStackFile("prod")],
    ["test (metrics on)", settingsFor({ ...settingsFromStackFile("test").cluster, metrics: { enabled: true } }, "test")],
    [
        "one replica, no min-replicas-to-write, no AOF, 5 Sentinels",
        settingsFor({
            replicas: 1,
            sentinels: 5,
            sentinel: { quorum: 4, masterName: "appscreens" },
            redis: { minReplicasToWrite: 0, appendonly: false, minReplicasMaxLag: 30 },
            verifier: { lastSaveMaxAgeSeconds: 86_400 },
            metrics: { alerts: { hitRatioFloor: 0.9, authFailuresPerMinute: 5 } },
        }),
    ],
];

describe("host: promtool checks the rendered scrape config and rules, and runs their unit tests", function () {
    this.timeout(180_000);
    let dir: string;

    before(function () {
        requirePrograms(this, [PROMTOOL]);
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-promtool-"));
    });

    after(() => {
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    for (const [name, settings] of stacks) {
        it(`${name}: check config, check rules, and one passing test per alert`, () => {
            const rules = renderAlertRules(settings)!;
            const scrape = renderScrapeConfig(settings)!;
            const prefix = settings.stack;
            writeFileSync(path.join(dir, `${prefix}-rules.yml`), rules);
            // The scrape config as rendered, plus the rules: `check config` then checks both together.
            writeFileSync(path.join(dir, `${prefix}-prometheus.yml`), `${scrape}rule_files:\n  - ${prefix}-rules.yml\n`);
            writeFileSync(path.join(dir, `${prefix}-tests.yml`), renderRuleTests(settings, `${prefix}-rules.yml`));

            const config = promtool(dir, "check", "config", `${prefix}-prometheus.yml`);
            expect(config.ok, config.output).to.equal(true);
            const checked = promtool(dir, "check", "rules", `${prefix}-rules.yml`);
            expect(checked.ok, checked.output).to.equal(true);
            expect(checked.output).to.include(`SUCCESS: ${alertRuleCases(settings).length} rules found`);
            const tested = promtool(dir, "test", "rules", `${prefix}-tests.yml`);
            expect(tested.ok, tested.output).to.equal(true);
            expect(tested.output).to.include("SUCCESS");
        });
    }

    it("fails a rule whose threshold moved: the tests check the rules, not just their syntax", () => {
        const settings = settingsFromStackFile("dev");
        const lag = settings.cluster.redis.minReplicasMaxLag;
        const broken = renderAlertRules(settings)!.replace(
            `redis_connected_slave_lag_seconds{stack="dev",kind="redis"} > ${lag}`,
            `redis_connected_slave_lag_seconds{stack="dev",kind="redis"} > ${lag * 10}`,
        );
        expect(broken).to.not.equal(renderAlertRules(settings));
        writeFileSync(path.join(dir, "broken-rules.yml"), broken);
        writeFileSync(path.join(dir, "broken-tests.yml"), renderRuleTests(settings, "broken-rules.yml"));
        const tested = promtool(dir, "test", "rules", "broken-tests.yml");
        expect(tested.ok).to.equal(false);
        expect(tested.output).to.include("alertname: RedisReplicaLagHigh");
    });
});
