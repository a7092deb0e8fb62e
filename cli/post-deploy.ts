// Run by the stack's post-deploy command after every container is healthy and every settings
// step has run: the sequence (retire, warm, verify, drill) is ops/post-deploy.ts. stdout carries
// only the post-deploy report the stack exports (contracts/report.ts; no secrets); people read stderr.
import { emitPostDeployReport } from "../contracts/report";
import { postDeployFailures, runPostDeploy } from "../ops/post-deploy";
import { loadCredentials, loadPlan, preferSmallHeap, progressPrinter } from "./common";
import { POST_DEPLOY_CLI, runCli } from "./options";

runCli(POST_DEPLOY_CLI, async () => {
    preferSmallHeap();
    const plan = loadPlan(undefined);
    const report = await runPostDeploy(plan, loadCredentials(undefined), {
        log: (line) => console.error(line),
        progress: progressPrinter(process.stderr),
    });
    console.log(emitPostDeployReport(report));
    for (const failure of postDeployFailures(plan.stack, report)) {
        console.error(failure);
        process.exitCode = 1;
    }
});
