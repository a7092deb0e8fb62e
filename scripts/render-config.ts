// Renders a stack's server configuration into a folder for review (e.g. a PR diff): each
// server's initial config file (runtime settings, applied in place on later deploys), its command
// line (bootstrap settings; a change there replaces the container), the environment its scripts
// read (its container environment and cluster snapshot), the containers' scripts, which are the
// same for every server of a kind, and, with metrics on, the Prometheus scrape config and alerting
// rules. Passwords are masked.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { StackConfigError, StackSettings } from "../settings/validate";
import { renderRedisConf } from "../render/redis-conf";
import { renderSentinelConf } from "../render/sentinel-conf";
import { bootstrapArgs, DIRECTIVES } from "../render/directives";
import { renderAlertRules } from "../render/alert-rules";
import { renderScrapeConfig } from "../render/prometheus";
import {
    renderClusterEnv,
    renderHandoverScript,
    renderHealthcheckScript,
    renderPromotionGuardScript,
    renderRedisStartScript,
    renderScriptEnv,
    renderSentinelStartScript,
} from "../render/container-scripts";
import { Endpoint, ServerKind } from "../settings/address-plan";
import { settingsFromStackFile } from "../settings/stack-file";

export const MASK = "********";
/** The names `npm run render` gives the Prometheus files (the same as the stack outputs' content). */
export const PROMETHEUS_FILES = { scrape: "prometheus-scrape.yml", rules: "prometheus-rules.yml" } as const;

const usage = `Usage: npm run render -- --stack <name> [--out <dir>]

Renders, for every node and Sentinel of Pulumi.<name>.yaml, its initial config (<server>.conf),
its command line (<server>.cmdline, one argument pair per line) and what its scripts read
(<server>.env), the containers' scripts (<kind>-<script>.sh), and with metrics on the
Prometheus scrape config (prometheus-scrape.yml) and rules (prometheus-rules.yml), into <dir>
(default rendered/<name>), with passwords masked as ${MASK}.`;

/** `--name value` pairs, one per line, as a reviewer reads a command line. */
const cmdline = (args: readonly string[]): string =>
    args
        .reduce<string[]>(
            (lines, arg) => (arg.startsWith("--") ? [...lines, arg] : [...lines.slice(0, -1), `${lines[lines.length - 1]} ${arg}`]),
            [],
        )
        .join("\n") + "\n";

/** A server's container environment, then the cluster snapshot its scripts source. */
const scriptEnv = (settings: StackSettings, kind: ServerKind, server: Endpoint): string =>
    [
        "# Container environment",
        ...renderScriptEnv(settings, server),
        renderClusterEnv({ settings, kind, redisPassword: MASK, sentinelPassword: MASK }),
    ].join("\n");

/** Files of one stack as rendered for review: file name -> content. */
export function renderStackForReview(settings: StackSettings): Record<string, string> {
    const files: Record<string, string> = {};
    for (const node of settings.plan.nodes) {
        files[`${node.name}.conf`] = renderRedisConf({ settings, node, password: MASK });
        files[`${node.name}.cmdline`] = cmdline(bootstrapArgs(DIRECTIVES.redis, settings, node));
        files[`${node.name}.env`] = scriptEnv(settings, "redis", node);
    }
    for (const sentinel of settings.plan.sentinels) {
        files[`${sentinel.name}.conf`] = renderSentinelConf({ settings, sentinel, redisPassword: MASK, sentinelPassword: MASK });
        files[`${sentinel.name}.cmdline`] = cmdline(bootstrapArgs(DIRECTIVES.sentinel, settings, sentinel));
        files[`${sentinel.name}.env`] = scriptEnv(settings, "sentinel", sentinel);
    }
    files["redis-start.sh"] = renderRedisStartScript();
    files["redis-handover.sh"] = renderHandoverScript();
    files["redis-promotion-guard.sh"] = renderPromotionGuardScript();
    files["redis-healthcheck.sh"] = renderHealthcheckScript("redis");
    files["sentinel-start.sh"] = renderSentinelStartScript();
    files["sentinel-healthcheck.sh"] = renderHealthcheckScript("sentinel");
    const scrape = renderScrapeConfig(settings);
    const rules = renderAlertRules(settings);
    if (scrape) files[PROMETHEUS_FILES.scrape] = scrape;
    if (rules) files[PROMETHEUS_FILES.rules] = rules;
    return files;
}

function main(): void {
    const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" }, help: { type: "boolean" } } });
    if (values.help || !values.stack) {
        console.log(usage);
        process.exit(values.help ? 0 : 2);
    }
    const out = values.out ?? path.join("rendered", values.stack);
    try {
        const files = renderStackForReview(settingsFromStackFile(values.stack));
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out, { recursive: true });
        for (const [name, content] of Object.entries(files)) writeFileSync(path.join(out, name), content);
        console.log(`Rendered ${Object.keys(files).length} files for stack ${values.stack} into ${out} (passwords masked).`);
    } catch (err) {
        console.error(err instanceof StackConfigError ? err.message : String(err));
        process.exit(1);
    }
}

if (require.main === module) main();
