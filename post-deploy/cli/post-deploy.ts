// Run by the stack's post-deploy command after every container is healthy and every settings
// step has run: retire servers a scale-down removed, warm, then verify, all within the stack's
// deadline. stdout carries only the JSON the stack exports (no secrets); people read stderr.
import { withDeadline } from "../deadline";
import { forgetSurplusServers, MembershipReport } from "../membership";
import { formatTable, formatWarmSummary, summarizeWarm, VerificationReport, WarmSummary } from "../report";
import { verifyUntilSettled } from "../verifier";
import { fail, loadCredentials, loadPlan, progressPrinter, runWarm } from "./common";

const usage = "post-deploy runs from the stack's command resource; use npm run warm / npm run verify by hand.";

async function main(): Promise<void> {
    const plan = loadPlan(undefined);
    const credentials = loadCredentials(undefined);
    let phase = "starting";
    const result = await withDeadline(
        plan.deadlineSeconds,
        () => `the post-deploy step of stack ${plan.stack} (cluster.deadlines.postDeploySeconds; it was ${phase})`,
        async () => {
            phase = "retiring servers the stack no longer declares";
            const membership: MembershipReport = await forgetSurplusServers(plan, credentials, (line) => console.error(line));
            let warm: WarmSummary | undefined;
            let keys: string[] | undefined;
            if (plan.warmer.enabled) {
                phase = "warming the cache";
                const report = await runWarm(plan, credentials, {
                    force: false,
                    vantage: "host",
                    progress: progressPrinter(process.stderr),
                });
                warm = summarizeWarm(report);
                keys = report.keys;
                console.error(formatWarmSummary(warm));
            }
            phase = `verifying (retrying failed checks for up to ${plan.verifier.settleSeconds} s)`;
            const verification: VerificationReport | undefined = plan.verifier.enabled
                ? await verifyUntilSettled(plan, credentials, { expectedKeys: keys })
                : undefined;
            return { membership, warm, verification };
        },
    );
    if (result.verification) console.error(formatTable(result.verification));
    console.log(JSON.stringify({ warm: result.warm, verification: result.verification }));
    if (result.verification && !result.verification.ok) {
        console.error(`verification of stack ${plan.stack} failed: ${result.verification.failed.join(", ")}`);
        process.exitCode = 1;
    }
}

main().catch((err: unknown) => fail(err, usage));
