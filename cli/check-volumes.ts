// Run by the stack's volume check (a `local.Command` that every data volume and the network wait
// for) on a stack state's first deploy only: it stops a deploy whose servers would start on data
// volumes an earlier deploy left, with passwords this state generated anew (ops/cluster/kept-volumes.ts).
// stdout is what it found (kept in the state as the record of how the state began); never a secret.
import { parseVolumeCheckRequest, VolumeCheckEnvError } from "../contracts/volume-check";
import { formatStepFailure } from "../contracts/step-failure";
import { readVolumes, VolumeFacts } from "../ops/docker/data-volumes";
import { volumeEngines } from "../ops/docker/engines";
import { parseDockerTls } from "../contracts/docker-hosts";
import { DOCKER_TLS_ENV } from "../contracts/env";
import { DeadlineError, withDeadline } from "../ops/deadline";
import { judgeDataVolumes, keptVolumesMessage, usersCheckRefusal, VolumeCheckError } from "../ops/cluster/kept-volumes";

async function main(): Promise<void> {
    const request = parseVolumeCheckRequest(process.env);
    const engines = volumeEngines(request, parseDockerTls(process.env[DOCKER_TLS_ENV]));
    const found = await withDeadline(request.deadlineSeconds, "reading the stack's data volumes from Docker", async () => {
        const facts: VolumeFacts[] = [];
        // Each host's engine for the volumes made there: a kept volume matters only where its server will start.
        for (const { host, docker } of engines.all()) {
            const names = request.volumes.filter((v) => v.dockerHost === host).map((v) => v.name);
            if (!names.length) continue;
            try {
                await engines.reachable(host);
                facts.push(...(await readVolumes(docker, names)));
            } catch (err) {
                throw new VolumeCheckError(
                    "unreachable",
                    `the Docker Engine${host ? ` of ${host}` : ""} did not answer: ${err instanceof Error ? err.message : String(err)}`,
                );
            }
        }
        return facts;
    });
    const judgement = judgeDataVolumes(request, found);
    const refusal = request.users ? usersCheckRefusal(request.stack, judgement) : undefined;
    if (refusal) throw refusal;
    if (request.users) {
        console.error("users check: no data volume of this stack exists yet; its servers start with the ACL users");
        console.log(JSON.stringify(judgement));
        return;
    }
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
