// npm run drill -- --stack <name> [--timeout 60] [--sample 50] [--method handover|sentinel] [--json]
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../ops/drill/run-drill";
import { formatDrillReport } from "../ops/drill/drill-report";
import { loadCredentials, loadPlan } from "./common";
import { DRILL_CLI, runCli } from "./options";

runCli(DRILL_CLI, async (options) => {
    const plan = loadPlan(options.stack);
    const report = await runDrill(plan, loadCredentials(options.stack), {
        ...DEFAULT_DRILL_OPTIONS,
        timeoutMs: options.timeout * 1000,
        sampleSize: options.sample ?? plan.verifier.sampleSize,
        method: options.method,
        log: (line) => console.error(line),
    });
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatDrillReport(report));
    if (!report.ok) console.error(`drill failed: ${report.verification.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
});
