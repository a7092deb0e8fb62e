// npm run volumes -- --stack <name> [--remove] [--json]
import { possibleDataVolumes } from "../settings/docker-names";
import { settingsFromStackFile } from "../settings/stack-file";
import { readVolumesEverywhere, removeVolumesEverywhere } from "../ops/docker/data-volumes";
import { DockerEngines } from "../ops/docker/engines";
import { dockerHostRef, parseDockerTls } from "../contracts/docker-hosts";
import { DOCKER_TLS_ENV } from "../contracts/env";
import { withDeadline } from "../ops/deadline";
import { formatVolumesReport, planRemoval, VolumesReport } from "../ops/cluster/kept-volumes";
import { runCli, VOLUMES_CLI } from "./options";

runCli(VOLUMES_CLI, async (options) => {
    const settings = settingsFromStackFile(options.stack);
    const { hosts } = settings.cluster;
    // With hosts, every host's engine: a kept volume may be on any of them.
    const engines = hosts
        ? DockerEngines.placed(hosts.map(dockerHostRef), {}, parseDockerTls(process.env[DOCKER_TLS_ENV]))
        : DockerEngines.single();
    const report = await withDeadline(
        options.timeout,
        `reading${options.remove ? " and removing" : ""} the data volumes of ${options.stack}`,
        async () => {
            const candidates = possibleDataVolumes(settings);
            const facts = await readVolumesEverywhere(
                engines,
                candidates.map((c) => c.name),
            );
            const volumes = candidates.flatMap((c) =>
                facts
                    .filter((f) => f.name === c.name)
                    .map((f) => ({ ...c, createdAt: f.createdAt, usedBy: f.usedBy, ...(f.host ? { host: f.host } : {}) })),
            );
            const base: VolumesReport = { stack: options.stack, volumes };
            if (!options.remove) return base;
            const plan = planRemoval(facts);
            const outcome = await removeVolumesEverywhere(
                engines,
                facts.filter((f) => plan.remove.includes(f.name)),
            );
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
