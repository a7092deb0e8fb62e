// npm run volumes -- --stack <name> [--remove] [--json]
import Docker from "dockerode";
import { possibleDataVolumes } from "../settings/docker-names";
import { settingsFromStackFile } from "../settings/stack-file";
import { readVolumes, removeVolumes } from "../ops/docker/data-volumes";
import { withDeadline } from "../ops/deadline";
import { formatVolumesReport, planRemoval, VolumesReport } from "../ops/cluster/kept-volumes";
import { runCli, VOLUMES_CLI } from "./options";

runCli(VOLUMES_CLI, async (options) => {
    const settings = settingsFromStackFile(options.stack);
    const docker = new Docker();
    const report = await withDeadline(
        options.timeout,
        `reading${options.remove ? " and removing" : ""} the data volumes of ${options.stack}`,
        async () => {
            const candidates = possibleDataVolumes(settings);
            const facts = await readVolumes(
                docker,
                candidates.map((c) => c.name),
            );
            const volumes = candidates.flatMap((c) =>
                facts.filter((f) => f.name === c.name).map((f) => ({ ...c, createdAt: f.createdAt, usedBy: f.usedBy })),
            );
            const base: VolumesReport = { stack: options.stack, volumes };
            if (!options.remove) return base;
            const plan = planRemoval(facts);
            const outcome = await removeVolumes(docker, plan.remove);
            return { ...base, removed: outcome.removed, refused: [...plan.refuse, ...outcome.refused] };
        },
    );
    console.log(options.json || !process.stdout.isTTY ? JSON.stringify(report, null, 2) : formatVolumesReport(report));
    if (report.refused && report.refused.length > 0) {
        console.error(
            `refused to remove ${report.refused.length} volume(s): ${report.refused.map((r) => `${r.name} (${r.reason})`).join(", ")}; ` +
                "destroy the stack (npm run destroy) first",
        );
        process.exitCode = 1;
    }
});
