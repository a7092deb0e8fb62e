// npm run verify -- --stack <name> [--json]
import { parseArgs } from "node:util";
import { formatTable } from "../report";
import { verifyUntilSettled } from "../verifier";
import { fail, loadCredentials, loadPlan, UsageError } from "./common";

const usage = `Usage: npm run verify -- --stack <name> [options]

Verifies a deployed stack's live cluster, check by check with expected and actual values:
persistence settings and statuses on every node, one master with every replica linked and
little lag, every Sentinel reachable and agreeing with a quorum, warmed keys on every node with
TTLs in range (a sample of what the master holds).

Options:
  --stack <name>   Stack whose Pulumi.<name>.yaml and outputs to use.
  --wait <seconds> Retry failing checks this long before reporting (default 0; the
                   post-deploy command uses cluster.verifier.settleSeconds).
  --json           Print the report as JSON (default when stdout is not a terminal).
  --help           Show this help.

Passwords come from REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, or from
\`pulumi stack output --show-secrets\` when those are unset. They are never printed.
Exit status: 0 when every check passes, 1 when any fails (they are named), 2 on a usage error.`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { stack: { type: "string" }, json: { type: "boolean" }, wait: { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
        console.log(usage);
        return;
    }
    const wait = Number(values.wait ?? 0);
    if (!Number.isFinite(wait) || wait < 0) throw new UsageError(`--wait takes seconds, not ${values.wait}`);
    const report = await verifyUntilSettled(loadPlan(values.stack), loadCredentials(values.stack), {}, wait);
    console.log(values.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatTable(report));
    if (!report.ok) console.error(`verification failed: ${report.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
}

main().catch((err: unknown) => fail(err, usage));
