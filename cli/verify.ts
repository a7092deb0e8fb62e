// npm run verify -- --stack <name> [--wait 60] [--json]
import { formatTable } from "../ops/verify/report";
import { verifyUntilSettled } from "../ops/verify/verifier";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, STACK_OR_PLAN_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run verify --",
    summary: `Verifies a deployed stack's live cluster, check by check with expected and actual values:
persistence settings and statuses on every node, one master with every replica linked and
little lag, every Sentinel reachable and agreeing with a quorum, warmed keys on every node with
TTLs in range (a sample of what the master holds).`,
    options: {
        stack: STACK_OR_PLAN_OPTION,
        wait: {
            type: "seconds",
            value: "<seconds>",
            default: 0,
            allowZero: true,
            help: "Retry failing checks this long before reporting (the post-deploy command uses cluster.verifier.settleSeconds).",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when every check passes, 1 when any fails (they are named), 2 on a usage error.`,
});

runCli(cli, async (options) => {
    const report = await verifyUntilSettled(loadPlan(options.stack), loadCredentials(options.stack), {}, options.wait);
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatTable(report));
    if (!report.ok) console.error(`verification failed: ${report.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
});
