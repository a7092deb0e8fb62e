// npm run warm -- --stack <name> [--force] [--json] [--from host|network]
import { formatWarmSummary, summarizeWarm } from "../ops/warm/summary";
import { runWarm } from "../ops/warm/run";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, preferSmallHeap, progressPrinter, STACK_OR_PLAN_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run warm --",
    summary: `Warms the cache of a deployed stack: the popular apps of both stores (top charts plus
cluster.warmer.apps), their screenshots and metadata, written through Sentinel to the master
with the stack's TTLs (jittered), each batch confirmed by a replica (WAIT).`,
    options: {
        stack: STACK_OR_PLAN_OPTION,
        force: { type: "flag", help: "Rewrite every key, not only those below the refresh threshold." },
        from: {
            type: "choice",
            value: "<vantage>",
            choices: ["host", "network"],
            default: "host",
            help: "host: through the published ports; network: from a container on the stack's network.",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when warmed; 1 when a whole store's source is unreachable or nothing could be
written; 2 on a usage error.`,
});

runCli(cli, async (options) => {
    preferSmallHeap();
    const plan = loadPlan(options.stack);
    const report = await runWarm(plan, loadCredentials(options.stack), {
        force: options.force,
        vantage: options.from,
        progress: progressPrinter(process.stderr),
    });
    const summary = summarizeWarm(report);
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(summary, null, 2) : formatWarmSummary(summary));
    process.exitCode = report.ok ? 0 : 1;
});
