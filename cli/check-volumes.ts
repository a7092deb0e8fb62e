// Run by the stack's volume check (a `local.Command` that every data volume and the network wait
// for) on a stack state's first deploy only: it stops a deploy whose servers would start on data
// volumes an earlier deploy left, with passwords this state generated anew (ops/cluster/kept-volumes.ts).
// stdout is what it found (kept in the state as the record of how the state began); never a secret.
import Docker from "dockerode";
import { parseVolumeCheckRequest, VolumeCheckEnvError } from "../contracts/volume-check";
import { formatStepFailure } from "../contracts/step-failure";
import { readVolumes } from "../ops/docker/data-volumes";
import { DeadlineError, withDeadline } from "../ops/deadline";
import { judgeDataVolumes, keptVolumesMessage, VolumeCheckError } from "../ops/cluster/kept-volumes";

async function main(): Promise<void> {
    const request = parseVolumeCheckRequest(process.env);
    const docker = new Docker();
    const names = request.volumes.map((v) => v.name);
    const found = await withDeadline(request.deadlineSeconds, "reading the stack's data volumes from Docker", async () => {
        try {
            return await readVolumes(docker, names);
        } catch (err) {
            throw new VolumeCheckError(
                "unreachable",
                `the Docker Engine did not answer: ${err instanceof Error ? err.message : String(err)}`,
            );
        }
    });
    const judgement = judgeDataVolumes(request, found);
    switch (judgement.verdict) {
        case "kept-volumes":
            throw new VolumeCheckError("kept-volumes", keptVolumesMessage(request.stack, judgement));
        case "new":
            console.error("data volumes: none yet; the servers start empty");
            break;
        case "in-use":
            console.error(`data volumes: ${judgement.inUse.length} already mounted by the stack's servers`);
            break;
        case "adopt":
            console.error(
                `data volumes: adopting ${judgement.kept.length} an earlier deploy left (${judgement.kept.map((v) => v.name).join(", ")}); ` +
                    "their servers must accept the configured or previous passwords",
            );
            break;
    }
    console.log(JSON.stringify(judgement));
}

main().catch((err: unknown) => {
    const kind =
        err instanceof VolumeCheckError || err instanceof VolumeCheckEnvError || err instanceof DeadlineError ? err.kind : undefined;
    console.error(formatStepFailure("volume check", kind, err instanceof Error ? err.message : String(err)));
    process.exit(1);
});
