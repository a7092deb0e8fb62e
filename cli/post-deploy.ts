// Run by the stack's post-deploy command after every container is healthy and every settings
// step has run: the sequence (retire, warm, verify, drill) is ops/post-deploy.ts. stdout carries
// only the post-deploy report the stack exports (contracts/report.ts; no secrets); people read stderr.
import { emitPostDeployReport } from "../contracts/report";
import { postDeployFailures, runPostDeploy } from "../ops/post-deploy";
import { loadCredentials, loadPlan, preferSmallHeap, progressPrinter } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "node --import tsx cli/post-deploy.ts",
    summary:
        "Runs from the stack's post-deploy command (the plan and passwords in its environment); by hand, use npm run warm / npm run verify.",
    options: {},
});

runCli(cli, async () => {
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
