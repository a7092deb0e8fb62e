// npm run drill -- --stack <name> [--timeout 60] [--sample 50] [--method handover|sentinel] [--json]
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../ops/drill/run-drill";
import { formatDrillReport } from "../ops/drill/drill-report";
import { FAILOVER_METHODS } from "../ops/cluster/planned-failover";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, STACK_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run drill --",
    summary: `A failover drill on a deployed stack. It refuses, changing nothing, unless every Sentinel agrees
on the master, the master has an online replica and every Sentinel has its quorum. Then it:
  1. samples warmed keys and their TTLs on the master, starts numbered probe writes through
     Sentinel (each SET followed by WAIT 1) and writes a marker confirmed by a replica;
  2. hands the master role over (SENTINEL FAILOVER, see --method) and measures: Sentinels
     agreeing on the new master, writes confirmed again on it, the longest gap between confirmed
     writes, the old master rejoining as a replica, every Sentinel settled;
  3. reads the marker, every acknowledged probe and the sampled keys back from the new master.
Writes go on during the drill; the master moves to another node, as in a real failover.`,
    options: {
        stack: STACK_OPTION,
        timeout: {
            type: "seconds",
            value: "<s>",
            default: DEFAULT_DRILL_OPTIONS.timeoutMs / 1000,
            help: "Bound of each wait; a step that does not finish in time is named in the report and fails the drill.",
        },
        sample: { type: "count", value: "<n>", help: "Warmed keys checked on the new master (default: cluster.verifier.sampleSize)." },
        method: {
            type: "choice",
            value: "<m>",
            choices: FAILOVER_METHODS,
            default: "handover",
            help: "handover: writes paused on the master until every replica has them, then SENTINEL FAILOVER, as `npm run failover` does. sentinel: the bare SENTINEL FAILOVER, to measure what it loses.",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when every check passes, 1 when any fails or the drill is refused, 2 on a usage error.`,
});

runCli(cli, async (options) => {
    const plan = loadPlan(options.stack);
    const report = await runDrill(plan, loadCredentials(options.stack), {
        ...DEFAULT_DRILL_OPTIONS,
        timeoutMs: options.timeout * 1000,
        sampleSize: options.sample ?? plan.verifier.sampleSize,
        method: options.method,
        log: (line) => console.error(line),
    });
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatDrillReport(report));
    if (!report.ok) console.error(`drill failed: ${report.verification.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
});
