// npm run volumes -- --stack <name> [--remove] [--json]
import Docker from "dockerode";
import { possibleDataVolumes } from "../../config/docker-names";
import { settingsFromStackFile } from "../../config/stack-file";
import { readVolumes, removeVolumes } from "../data-volumes";
import { withDeadline } from "../deadline";
import { formatVolumesReport, planRemoval, VolumesReport } from "../kept-volumes";
import { STACK_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run volumes --",
    summary: `Lists a stack's data volumes on the Docker Engine (every name the stack's servers can have,
at any scale): when each was created and which containers use it. \`destroy\` and scale-downs keep
them (retainOnDelete); a stack deployed again on them starts from their data and needs their
passwords. With --remove, deletes them all with their data, or none: while a container (running or
stopped) uses one of them, it removes nothing and names the containers.`,
    options: {
        stack: STACK_OPTION,
        remove: { type: "flag", help: "Delete the stack's data volumes, their data gone for good; none while a container uses one." },
        json: { type: "flag", help: "Print JSON (default when stdout is not a terminal)." },
        timeout: { type: "seconds", value: "<s>", default: 60, help: "Bound of the whole run." },
    },
    notes: `No password is read or printed.
Exit status: 0 when done (with --remove: every data volume of the stack removed), 1 when one is in use
or could not be removed (each is named), 2 on a usage error.`,
});

runCli(cli, async (options) => {
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
