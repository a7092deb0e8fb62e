// npm run restore -- --stack <name> --from <dir> [--force] [--dry-run] [--json]
import { parseArgs } from "node:util";
import { formatTable } from "../report";
import { runRestore } from "../backup/run-restore";
import { fail, loadCredentials, loadPlan, required, secondsOption } from "./common";

const usage = `Usage: npm run restore -- --stack <name> --from <dir> [options]

Loads a backup (npm run backup) into a deployed stack so that the master and every replica hold
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
after the stop fails, every node gets its previous data back and is started again.

Options:
  --stack <name>        Stack whose Pulumi.<name>.yaml and outputs to use.
  --from <dir>          The backup directory (with manifest.json).
  --force               Replace a dataset that holds keys.
  --allow-other-stack   Load a backup taken from another stack.
  --keep-previous       Keep pre-restore-<time>/ in every volume (delete it by hand later).
  --dry-run             Run every check and print the steps; change nothing.
  --timeout <s>         Bound of each wait (default 300).
  --json                Print the result as JSON (default when stdout is not a terminal).
  --help                Show this help.

Exit status: 0 restored and verified, 1 refused or failed (the message says which and whether
anything changed), 2 usage error.`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            from: { type: "string" },
            force: { type: "boolean" },
            "allow-other-stack": { type: "boolean" },
            "keep-previous": { type: "boolean" },
            "dry-run": { type: "boolean" },
            timeout: { type: "string" },
            json: { type: "boolean" },
            help: { type: "boolean" },
        },
    });
    if (values.help) {
        console.log(usage);
        return;
    }
    const stack = required(values.stack, "name the stack with --stack <name>");
    const result = await runRestore(loadPlan(stack), loadCredentials(stack), {
        fromDir: required(values.from, "name the backup directory with --from <dir>"),
        force: values.force ?? false,
        allowOtherStack: values["allow-other-stack"] ?? false,
        keepPrevious: values["keep-previous"] ?? false,
        dryRun: values["dry-run"] ?? false,
        timeoutMs: secondsOption(values.timeout, "--timeout", 300),
        log: (line) => console.error(line),
    });
    if (values.json || !process.stdout.isTTY) {
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
}

main().catch((err: unknown) => fail(err, usage));
