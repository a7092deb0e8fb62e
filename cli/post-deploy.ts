// Run by the stack's post-deploy command after every container is healthy and every settings
// step has run: retire servers a scale-down removed, warm, then verify, all within the stack's
// deadline. stdout carries only the JSON the stack exports (no secrets); people read stderr.
import { withDeadline } from "../ops/deadline";
import { DrillReport, formatDrillReport } from "../ops/drill/drill-report";
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../ops/drill/run-drill";
import { forgetSurplusServers, MembershipReport } from "../ops/cluster/membership";
import { formatTable, VerificationReport } from "../ops/verify/report";
import { formatWarmSummary, summarizeWarm, WarmSummary } from "../ops/warm/summary";
import { verifyUntilSettled } from "../ops/verify/verifier";
import { loadCredentials, loadPlan, preferSmallHeap, progressPrinter, runWarm } from "./common";
import { POST_DEPLOY_CLI, runCli } from "./options";

runCli(POST_DEPLOY_CLI, async () => {
    preferSmallHeap();
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
                keys = report.keySample;
                console.error(formatWarmSummary(warm));
            }
            phase = `verifying (retrying failed checks for up to ${plan.verifier.settleSeconds} s)`;
            const verification: VerificationReport | undefined = plan.verifier.enabled
                ? await verifyUntilSettled(plan, credentials, { expectedKeys: keys })
                : undefined;
            // The drill moves the master: only on request, and only on a cluster that verified.
            let drill: DrillReport | undefined;
            if (plan.drill.afterDeploy && (!verification || verification.ok)) {
                if (verification) console.error(formatTable(verification));
                phase = "running the failover drill (cluster.drill.afterDeploy)";
                drill = await runDrill(plan, credentials, {
                    ...DEFAULT_DRILL_OPTIONS,
                    sampleSize: plan.verifier.sampleSize,
                    log: (line) => console.error(line),
                });
                console.error(formatDrillReport(drill));
            }
            return { membership, warm, verification, drill };
        },
    );
    if (result.verification && !result.drill) console.error(formatTable(result.verification));
    console.log(JSON.stringify({ warm: result.warm, verification: result.verification, drill: result.drill }));
    if (result.verification && !result.verification.ok) {
        console.error(`verification of stack ${plan.stack} failed: ${result.verification.failed.join(", ")}`);
        process.exitCode = 1;
    }
    if (result.drill && !result.drill.ok) {
        console.error(`failover drill of stack ${plan.stack} failed: ${result.drill.verification.failed.join(", ")}`);
        process.exitCode = 1;
    }
});
