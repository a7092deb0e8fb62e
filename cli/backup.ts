// npm run backup -- --stack <name> --out <dir> [--timeout 300] [--json]
import { runBackup } from "../ops/backup/run-backup";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, STACK_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run backup --",
    summary: `Takes a consistent snapshot of a deployed stack from an in-sync replica (the master is never
forked for it): BGSAVE on the replica, wait until it has finished, then copy dump.rdb and the
AOF directory out of the replica's volume through the Docker Engine, with manifest.json:
sha256 and size of every file, Redis version, key count (from the RDB itself), time, stack,
source node. No configuration file is copied and no secret is written; every file is checked
for the passwords before the backup is kept.`,
    options: {
        stack: STACK_OPTION,
        out: { type: "string", value: "<dir>", required: true, help: "New or empty directory for the backup." },
        timeout: { type: "seconds", value: "<s>", default: 300, help: "Bound of each wait (BGSAVE, AOF rewrite)." },
        json: { type: "flag", help: "Print the manifest as JSON (default when stdout is not a terminal)." },
    },
    notes: `Restore with: npm run restore -- --stack <name> --from <dir>
${PASSWORDS_NOTE}
Exit status: 0 done, 1 failed (nothing kept), 2 usage error.`,
});

runCli(cli, async (options) => {
    const { dir, manifest } = await runBackup(loadPlan(options.stack), loadCredentials(options.stack), {
        outDir: options.out,
        timeoutMs: options.timeout * 1000,
        log: (line) => console.error(line),
    });
    if (options.json || !process.stdout.isTTY) {
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
});
