// npm run warm -- --stack <name> [--force] [--json] [--from host|network]
import { formatWarmSummary, summarizeWarm } from "../ops/warm/summary";
import { runWarm } from "../ops/warm/run";
import { loadCredentials, loadPlan, preferSmallHeap, progressPrinter } from "./common";
import { WARM_CLI, runCli } from "./options";

runCli(WARM_CLI, async (options) => {
    preferSmallHeap();
    const plan = loadPlan(options.stack);
    const credentials = loadCredentials(options.stack);
    // On a users stack the warmer runs as its own users when its logins are given (APPSCREENS_USERS), else as the tools'.
    const report = await runWarm(plan, credentials.warmer ?? credentials, {
        force: options.force,
        vantage: options.from,
        progress: progressPrinter(process.stderr),
    });
    const summary = summarizeWarm(report);
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(summary, null, 2) : formatWarmSummary(summary));
    process.exitCode = report.ok ? 0 : 1;
});
