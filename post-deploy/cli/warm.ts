// npm run warm -- --stack <name> [--force] [--json] [--from host|network]
import { parseArgs } from "node:util";
import { formatWarmSummary, summarizeWarm } from "../report";
import { fail, loadCredentials, loadPlan, preferSmallHeap, progressPrinter, runWarm, vantageOf } from "./common";

const usage = `Usage: npm run warm -- --stack <name> [options]

Warms the cache of a deployed stack: the popular apps of both stores (top charts plus
cluster.warmer.apps), their screenshots and metadata, written through Sentinel to the master
with the stack's TTLs (jittered), each batch confirmed by a replica (WAIT).

Options:
  --stack <name>      Stack whose Pulumi.<name>.yaml and outputs to use.
  --force             Rewrite every key, not only those below the refresh threshold.
  --from <vantage>    host (default): through the published ports; network: from a container
                      on the stack's network.
  --json              Print the report as JSON (default when stdout is not a terminal).
  --help              Show this help.

Passwords come from REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, or from
\`pulumi stack output --show-secrets\` when those are unset. They are never printed.
Exit status: 0 when warmed; 1 when a whole store's source is unreachable or nothing could be
written; 2 on a usage error.`;

async function main(): Promise<void> {
    preferSmallHeap();
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            force: { type: "boolean" },
            json: { type: "boolean" },
            from: { type: "string" },
            help: { type: "boolean" },
        },
    });
    if (values.help) {
        console.log(usage);
        return;
    }
    const plan = loadPlan(values.stack);
    const report = await runWarm(plan, loadCredentials(values.stack), {
        force: values.force ?? false,
        vantage: vantageOf(values.from),
        progress: progressPrinter(process.stderr),
    });
    const summary = summarizeWarm(report);
    console.log(values.json || !process.stdout.isTTY ? JSON.stringify(summary, null, 2) : formatWarmSummary(summary));
    process.exitCode = report.ok ? 0 : 1;
}

main().catch((err: unknown) => fail(err, usage));
