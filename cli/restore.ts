// npm run restore -- --stack <name> --from <dir> [--force] [--dry-run] [--json]
import { formatTable } from "../ops/verify/report";
import { runRestore } from "../ops/backup/run-restore";
import { loadCredentials, loadEngines, loadPlan } from "./common";
import { RESTORE_CLI, runCli } from "./options";

runCli(RESTORE_CLI, async (options) => {
    const plan = loadPlan(options.stack);
    const result = await runRestore(plan, loadCredentials(options.stack), {
        engines: loadEngines(plan),
        fromDir: options.from,
        force: options.force,
        allowOtherStack: options["allow-other-stack"],
        keepPrevious: options["keep-previous"],
        dryRun: options["dry-run"],
        timeoutMs: options.timeout * 1000,
        log: (line) => console.error(line),
    });
    if (options.json || !process.stdout.isTTY) {
        console.log(JSON.stringify(result, null, 2));
    } else if (result.applied) {
        console.log(`restored ${result.manifest.dataset.keys} keys; keys per node: ${JSON.stringify(result.keys)}`);
        if (result.verification) console.log(formatTable(result.verification));
    } else {
        console.log("dry run: every check passed; nothing was changed");
    }
    const ok = !result.applied || (result.verification?.ok ?? true);
    if (!ok) console.error(`restored, but verification failed: ${result.verification?.failed.join(", ")}`);
    process.exitCode = ok ? 0 : 1;
});
