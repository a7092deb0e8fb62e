// Run by the stack's post-deploy command after every container is healthy: warm, then verify.
// stdout carries only the JSON the stack exports (no secrets); people read stderr.
import { formatTable, formatWarmSummary, summarizeWarm, WarmSummary } from "../report";
import { verifyUntilSettled } from "../verifier";
import { fail, loadCredentials, loadPlan, preferSmallHeap, progressPrinter, runWarm } from "./common";

const usage = "post-deploy runs from the stack's command resource; use npm run warm / npm run verify by hand.";

async function main(): Promise<void> {
    preferSmallHeap();
    const plan = loadPlan(undefined);
    const credentials = loadCredentials(undefined);
    let warm: WarmSummary | undefined;
    let keys: string[] | undefined;
    if (plan.warmer.enabled) {
        const report = await runWarm(plan, credentials, { force: false, vantage: "host", progress: progressPrinter(process.stderr) });
        warm = summarizeWarm(report);
        keys = report.keySample;
        console.error(formatWarmSummary(warm));
    }
    const verification = plan.verifier.enabled ? await verifyUntilSettled(plan, credentials, { expectedKeys: keys }) : undefined;
    if (verification) console.error(formatTable(verification));
    console.log(JSON.stringify({ warm, verification }));
    if (verification && !verification.ok) {
        console.error(`verification of stack ${plan.stack} failed: ${verification.failed.join(", ")}`);
        process.exitCode = 1;
    }
}

main().catch((err: unknown) => fail(err, usage));
