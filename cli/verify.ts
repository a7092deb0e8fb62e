// npm run verify -- --stack <name> [--wait 60] [--json]
import { formatTable } from "../ops/verify/report";
import { verifyUntilSettled } from "../ops/verify/verifier";
import { loadCredentials, loadPlan } from "./common";
import { VERIFY_CLI, runCli } from "./options";

runCli(VERIFY_CLI, async (options) => {
    const report = await verifyUntilSettled(loadPlan(options.stack), loadCredentials(options.stack), {}, options.wait);
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatTable(report));
    if (!report.ok) console.error(`verification failed: ${report.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
});
