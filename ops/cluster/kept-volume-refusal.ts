import Docker from "dockerode";
import { CONTAINER_PATHS } from "../../render/paths";
import { SettingsRequest } from "../../contracts/settings-env";
import { containerLog } from "../docker/container-logs";
import { volumeAt } from "../docker/data-volumes";
import { withDeadline } from "../deadline";
import { keptServerMessage, rejectionKind, volumeWasEmpty } from "./kept-volumes";
import { SettingsApplyError } from "./settings-apply";

/** How long reading the server's volume and log may take when explaining a refusal. */
const EXPLAIN_SECONDS = 10;

export interface RefusalContext {
    /** The settings step's first run for this server in this state (its `create`, FIRST_RUN_FLAG). */
    readonly firstRun: boolean;
    /** The server's container (the step's environment names it). */
    readonly containerId: string | undefined;
    readonly docker?: Docker;
}

/**
 * A server that refuses every configured password (`rejected-passwords`): on a volume an earlier
 * deploy left, a `kept-volumes` error that says so and how to go on, instead of the rotation
 * advice (ops/cluster/kept-volumes.ts decides). Best effort: without Docker's answer, or on any
 * other error, the error stands as it is.
 */
export async function explainRefusal(err: unknown, request: SettingsRequest, context: RefusalContext): Promise<unknown> {
    if (!(err instanceof SettingsApplyError) || err.kind !== "rejected-passwords") return err;
    const { firstRun, containerId } = context;
    if (!firstRun || !containerId) return err;
    const docker = context.docker ?? new Docker();
    const facts = await withDeadline(EXPLAIN_SECONDS, `reading the data volume and log of ${request.target.name}`, async () => {
        const [volume, log] = await Promise.all([
            volumeAt(docker, containerId, CONTAINER_PATHS.dataDir),
            containerLog(docker, containerId),
        ]);
        return { volume, log };
    }).catch(() => undefined);
    if (!facts?.volume) return err;
    if (rejectionKind({ firstRun, volumeWasEmpty: volumeWasEmpty(facts.log) }) !== "kept-volumes") return err;
    const { target, passwords } = request;
    const message = keptServerMessage({
        stack: target.stack,
        server: target.name,
        kind: target.kind,
        volume: facts.volume.name,
        volumeCreatedAt: facts.volume.createdAt,
        refused: err.refused,
        previousConfigured: Boolean(target.kind === "redis" ? passwords.redisPrevious : passwords.sentinelPrevious),
    });
    return new SettingsApplyError("kept-volumes", message, err.refused);
}
