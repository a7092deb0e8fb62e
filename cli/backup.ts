// npm run backup -- --stack <name> --out <dir> [--timeout 300] [--json]
import { runBackup } from "../ops/backup/run-backup";
import { loadCredentials, loadEngines, loadPlan } from "./common";
import { BACKUP_CLI, runCli } from "./options";

runCli(BACKUP_CLI, async (options) => {
    const plan = loadPlan(options.stack);
    const { dir, manifest } = await runBackup(plan, loadCredentials(options.stack), {
        engines: loadEngines(plan),
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
