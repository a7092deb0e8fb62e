// npm run drill -- --stack <name> [--timeout 60] [--sample 50] [--method handover|sentinel] [--json] [--out reports]
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../ops/drill/run-drill";
import { formatDrillReport } from "../ops/drill/drill-report";
import { drillTimelineFigures, timelineSpec } from "../ops/drill/timeline-spec";
import { DEFAULT_REPORT_DIR, fileTime, writeReportAndTimeline } from "../ops/drill/timeline-svg";
import { emitDrillReport } from "../contracts/report";
import { loadCredentials, loadPlan } from "./common";
import { DRILL_CLI, runCli } from "./options";

runCli(DRILL_CLI, async (options) => {
    const plan = loadPlan(options.stack);
    const report = await runDrill(plan, loadCredentials(options.stack), {
        ...DEFAULT_DRILL_OPTIONS,
        timeoutMs: options.timeout * 1000,
        sampleSize: options.sample ?? plan.verifier.sampleSize,
        method: options.method,
        log: (line) => console.error(line),
    });
    // Checked against its schema before it is printed or written: the file is what the picture and later readers parse.
    const json = emitDrillReport(report);
    const files = await writeReportAndTimeline(
        options.out ?? DEFAULT_REPORT_DIR,
        `drill-${report.stack}-${fileTime(report.startedAt)}`,
        json,
        timelineSpec(drillTimelineFigures(report)),
    );
    console.error(`drill: report ${files.json}, timeline ${files.svg}`);
    console.log(options.json || !process.stdout.isTTY ? json : formatDrillReport(report));
    if (!report.ok) console.error(`drill failed: ${report.verification.failed.join(", ")}`);
    process.exitCode = report.ok ? 0 : 1;
});
