// npm run backup -- --stack <name> --out <dir> [--timeout 300] [--json]
import { parseArgs } from "node:util";
import { runBackup } from "../backup/run-backup";
import { fail, loadCredentials, loadPlan, required, secondsOption } from "./common";

const usage = `Usage: npm run backup -- --stack <name> --out <dir> [options]

Takes a consistent snapshot of a deployed stack from an in-sync replica (the master is never
forked for it): BGSAVE on the replica, wait until it has finished, then copy dump.rdb and the
AOF directory out of the replica's volume through the Docker Engine, with manifest.json:
sha256 and size of every file, Redis version, key count (from the RDB itself), time, stack,
source node. No configuration file is copied and no secret is written; every file is checked
for the passwords before the backup is kept.

Options:
  --stack <name>   Stack whose Pulumi.<name>.yaml and outputs to use.
  --out <dir>      New or empty directory for the backup.
  --timeout <s>    Bound of each wait (BGSAVE, AOF rewrite; default 300).
  --json           Print the manifest as JSON (default when stdout is not a terminal).
  --help           Show this help.

Restore with: npm run restore -- --stack <name> --from <dir>
Passwords come from REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD, or from
\`pulumi stack output --show-secrets\`. Exit status: 0 done, 1 failed (nothing kept), 2 usage error.`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            stack: { type: "string" },
            out: { type: "string" },
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
    const { dir, manifest } = await runBackup(loadPlan(stack), loadCredentials(stack), {
        outDir: required(values.out, "name a new directory for the backup with --out <dir>"),
        timeoutMs: secondsOption(values.timeout, "--timeout", 300),
        log: (line) => console.error(line),
    });
    if (values.json || !process.stdout.isTTY) {
        console.log(JSON.stringify(manifest, null, 2));
    } else {
        console.log(
            [
                `backup of stack ${manifest.stack} in ${dir}`,
                `  taken       ${manifest.createdAt} from ${manifest.source.node} (replica of ${manifest.source.master})`,
                `  Redis       ${manifest.redis.version} (RDB format ${manifest.redis.rdbVersion})`,
                `  keys        ${manifest.dataset.keys} (${manifest.dataset.expires} with a TTL)`,
                ...manifest.files.map(
                    (f) => `  ${f.path.padEnd(40)} ${String(f.bytes).padStart(12)} B  sha256 ${f.sha256.slice(0, 16)}...`,
                ),
            ].join("\n"),
        );
    }
}

main().catch((err: unknown) => fail(err, usage));
