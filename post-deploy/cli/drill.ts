// npm run drill -- --stack <name> [--timeout 60] [--sample 50] [--json]
import { parseArgs } from "node:util";
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../drill/run-drill";
import { formatDrillReport } from "../drill/drill-report";
import { fail, loadCredentials, loadPlan, required, secondsOption, UsageError } from "./common";

const usage = `Usage: npm run drill -- --stack <name> [options]

A failover drill on a deployed stack. It refuses, changing nothing, unless every Sentinel agrees
on the master, the master has an online replica and every Sentinel has its quorum. Then it:
  1. samples warmed keys and their TTLs on the master, starts numbered probe writes through
     Sentinel (each SET followed by WAIT 1) and writes a marker confirmed by a replica;
  2. hands the master role over (SENTINEL FAILOVER, see --method) and measures: Sentinels agreeing on the new master, writes
     confirmed again on it, the longest gap between confirmed writes, the old master rejoining
     as a replica, every Sentinel settled;
  3. reads the marker, every acknowledged probe and the sampled keys back from the new master.
Writes go on during the drill; the master moves to another node, as in a real failover.

Options:
  --stack <name>     Stack whose Pulumi.<name>.yaml and outputs to use.
  --timeout <s>      Bound of each wait (default ${DEFAULT_DRILL_OPTIONS.timeoutMs / 1000}); a step that does not finish
                     in time is named in the report and fails the drill.
  --sample <n>       Warmed keys checked on the new master (default: cluster.verifier.sampleSize).
  --method <m>       handover (default): writes paused on the master until every replica has
                     them, then SENTINEL FAILOVER, as \`npm run failover\` does. sentinel: the bare
                     SENTINEL FAILOVER, to measure what it loses.
  --json             Print the report as JSON (default when stdout is not a terminal).
  --help             Show this help.

Passwords come from REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, or from
\`pulumi stack output --show-secrets\` when those are unset. They are never printed.
Exit status: 0 when every check passes, 1 when any fails or the drill is refused, 2 on a usage error.`;

function positive(value: string | undefined, flag: string, fallback: number): number {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${flag} takes a positive number, not ${value}`);
    return n;
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            timeout: { type: "string" },
            sample: { type: "string" },
            method: { type: "string" },
            json: { type: "boolean" },
            help: { type: "boolean" },
        },
    });
    if (values.help) {
        console.log(usage);
        return;
    }
    const stack = required(values.stack, "name the stack with --stack <name>");
    const method = values.method ?? "handover";
    if (method !== "handover" && method !== "sentinel") throw new UsageError(`--method is handover or sentinel, not ${method}`);
    const plan = loadPlan(stack);
    const report = await runDrill(plan, loadCredentials(stack), {
        ...DEFAULT_DRILL_OPTIONS,
        timeoutMs: secondsOption(values.timeout, "--timeout", DEFAULT_DRILL_OPTIONS.timeoutMs / 1000),
        sampleSize: Math.round(positive(values.sample, "--sample", plan.verifier.sampleSize)),
        method,
        log: (line) => console.error(line),
    });
    console.log(values.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatDrillReport(report));
    if (!report.ok) console.error(`drill failed: ${report.verification.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
}

main().catch((err: unknown) => fail(err, usage));
