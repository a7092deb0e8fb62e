// The post-deploy sequence, run by the stack's post-deploy command after every container is
// healthy and every settings step has run: retire servers a scale-down removed, warm, verify,
// then (on request, on a cluster that verified) drill, all within the stack's deadline. It
// returns the post-deploy report (contracts/report.ts); people read the log lines.
import { PostDeployPlan } from "../contracts/plan";
import { PostDeployReport } from "../contracts/report";
import { forgetSurplusServers, MembershipReport } from "./cluster/membership";
import { withDeadline } from "./deadline";
import { DrillReport, formatDrillReport, summarizeDrill } from "./drill/drill-report";
import { DEFAULT_DRILL_OPTIONS, DrillOptions, runDrill } from "./drill/run-drill";
import { Credentials } from "./redis/connect";
import { formatTable, VerificationReport } from "./verify/report";
import { verifyUntilSettled, VerifyOptions } from "./verify/verifier";
import { runWarm, WarmRunOptions } from "./warm/run";
import { formatWarmSummary, summarizeWarm, WarmSummary } from "./warm/summary";
import { ProgressEvent, WarmReport } from "./warm/warmer";

/** The four steps, each against the live cluster by default; fakes in the unit tests. */
export interface PostDeploySteps {
    readonly retire: (plan: PostDeployPlan, credentials: Credentials, log: (line: string) => void) => Promise<MembershipReport>;
    readonly warm: (plan: PostDeployPlan, credentials: Credentials, options: WarmRunOptions) => Promise<WarmReport>;
    readonly verify: (plan: PostDeployPlan, credentials: Credentials, options: VerifyOptions) => Promise<VerificationReport>;
    readonly drill: (plan: PostDeployPlan, credentials: Credentials, options: DrillOptions) => Promise<DrillReport>;
}

export const LIVE_POST_DEPLOY_STEPS: PostDeploySteps = {
    retire: forgetSurplusServers,
    warm: (plan, credentials, options) => runWarm(plan, credentials, options),
    verify: (plan, credentials, options) => verifyUntilSettled(plan, credentials, options),
    drill: runDrill,
};

export interface PostDeployOptions {
    /** Lines for people (the command's stderr): summaries, tables, progress of each step. */
    readonly log: (line: string) => void;
    readonly progress?: (event: ProgressEvent) => void;
    readonly steps?: PostDeploySteps;
}

/**
 * Runs the sequence within `plan.deadlineSeconds`; past it, rejects with a DeadlineError naming
 * the step it was in. A failed verification or drill is in the report, not thrown: the caller
 * decides (postDeployFailures).
 */
export async function runPostDeploy(plan: PostDeployPlan, credentials: Credentials, options: PostDeployOptions): Promise<PostDeployReport> {
    const { log, progress } = options;
    const steps = options.steps ?? LIVE_POST_DEPLOY_STEPS;
    let phase = "starting";
    const report = await withDeadline(
        plan.deadlineSeconds,
        () => `the post-deploy step of stack ${plan.stack} (cluster.deadlines.postDeploySeconds; it was ${phase})`,
        async (): Promise<PostDeployReport> => {
            phase = "retiring servers the stack no longer declares";
            const membership = await steps.retire(plan, credentials, log);
            let warm: WarmSummary | undefined;
            let keys: string[] | undefined;
            if (plan.warmer.enabled) {
                phase = "warming the cache";
                const run = await steps.warm(plan, credentials.warmer ?? credentials, { force: false, vantage: "host", progress });
                warm = summarizeWarm(run);
                keys = run.keySample;
                log(formatWarmSummary(warm));
            }
            phase = `verifying (retrying failed checks for up to ${plan.verifier.settleSeconds} s)`;
            const verification = plan.verifier.enabled ? await steps.verify(plan, credentials, { expectedKeys: keys }) : undefined;
            // The drill moves the master: only on request, and only on a cluster that verified.
            if (!plan.drill.afterDeploy || (verification && !verification.ok)) return { membership, warm, verification };
            if (verification) log(formatTable(verification));
            phase = "running the failover drill (cluster.drill.afterDeploy)";
            const drill = await steps.drill(plan, credentials, { ...DEFAULT_DRILL_OPTIONS, sampleSize: plan.verifier.sampleSize, log });
            log(formatDrillReport(drill));
            return { membership, warm, verification, drill: summarizeDrill(drill) };
        },
    );
    // Printed last when no drill followed it (the drill's own report is the last word otherwise).
    if (report.verification && !report.drill) log(formatTable(report.verification));
    return report;
}

/** Why the deploy must fail, one line each for the operator; none when it may go on. */
export function postDeployFailures(stack: string, report: PostDeployReport): string[] {
    const failures: string[] = [];
    if (report.verification && !report.verification.ok)
        failures.push(`verification of stack ${stack} failed: ${report.verification.failed.join(", ")}`);
    if (report.drill && !report.drill.ok)
        failures.push(`failover drill of stack ${stack} failed: ${report.drill.failed.map((c) => c.name).join(", ")}`);
    return failures;
}
