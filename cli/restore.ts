// npm run restore -- --stack <name> --from <dir> [--force] [--dry-run] [--json]
import { formatTable } from "../ops/verify/report";
import { runRestore } from "../ops/backup/run-restore";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, STACK_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run restore --",
    summary: `Loads a backup (npm run backup) into a deployed stack so that the master and every replica hold
exactly the backup's data, then verifies. The backup REPLACES the dataset: keys written since
are gone. Before anything is touched it refuses, changing nothing, when:
  - a file is missing or does not match its sha256 (corrupt), or the RDB disagrees with the
    manifest;
  - the backup is of another stack (--allow-other-stack loads it anyway) or from a Redis version
    the stack's servers cannot load (another major version, or newer);
  - the master holds keys and --force is not given;
  - a node is not running or the Sentinels do not agree on the master.
Then (a short outage: writes are refused until the master is back): the RDB is staged in the
master's volume and checked there; replicas, then the master, are stopped; the master's data is
moved to pre-restore-<time>/ and the RDB installed (as the AOF base too, with AOF on); replicas'
data is moved aside; the master starts and loads it, every Sentinel sees it up, the replicas
start empty and full-sync; the cluster is verified; the moved-aside data is deleted. If a step
after the stop fails, every node gets its previous data back and is started again.`,
    options: {
        stack: STACK_OPTION,
        from: { type: "string", value: "<dir>", required: true, help: "The backup directory (with manifest.json)." },
        force: { type: "flag", help: "Replace a dataset that holds keys." },
        "allow-other-stack": { type: "flag", help: "Load a backup taken from another stack." },
        "keep-previous": { type: "flag", help: "Keep pre-restore-<time>/ in every volume (delete it by hand later)." },
        "dry-run": { type: "flag", help: "Run every check and print the steps; change nothing." },
        timeout: { type: "seconds", value: "<s>", default: 300, help: "Bound of each wait." },
        json: { type: "flag", help: "Print the result as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 restored and verified, 1 refused or failed (the message says which and whether
anything changed), 2 usage error.`,
});

runCli(cli, async (options) => {
    const result = await runRestore(loadPlan(options.stack), loadCredentials(options.stack), {
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
