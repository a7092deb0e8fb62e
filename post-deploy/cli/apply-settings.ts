// Run by a server's settings step (one `local.Command` per node and Sentinel) on every deploy:
// applies the runtime settings and passwords to the running server. stdout is a JSON summary
// with no secret in it; a failure exits 1 with a message naming the server and the fix.
// `--first-run` is on the step's `create` only: its first run for this server in this state.
import Docker from "dockerode";
import { CONTAINER_PATHS } from "../../config-templates/paths";
import { volumeAt } from "../data-volumes";
import { keptServerMessage, rejectionKind, volumeWasEmpty } from "../kept-volumes";
import { applySettings, SettingsApplyError } from "../settings-apply";
import { FIRST_RUN_FLAG, parseSettingsEnvironment, SETTINGS_ENV, SettingsRequest } from "../settings-env";
import { containerLog, lastLogLines } from "../container-logs";
import { withDeadline } from "../deadline";
import { formatStepFailure } from "../step-failure";

/** How long reading the server's volume and log may take when explaining a refusal. */
const EXPLAIN_SECONDS = 10;

/**
 * A server that refuses every configured password: on a volume an earlier deploy left, say that
 * and how to go on (not the rotation advice). Best effort: without Docker's answer, the refusal
 * stands as it is.
 */
async function explainRefusal(err: SettingsApplyError, request: SettingsRequest, firstRun: boolean): Promise<SettingsApplyError> {
    const containerId = process.env[SETTINGS_ENV.container];
    if (!firstRun || !containerId) return err;
    const docker = new Docker();
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

async function main(): Promise<void> {
    const request = parseSettingsEnvironment(process.env);
    const firstRun = process.argv.slice(2).includes(FIRST_RUN_FLAG);
    const result = await withDeadline(request.deadlineSeconds, `applying settings to ${request.target.name}`, () =>
        applySettings(request).catch(async (err: unknown) => {
            throw err instanceof SettingsApplyError && err.kind === "rejected-passwords"
                ? await explainRefusal(err, request, firstRun)
                : err;
        }),
    );
    const what = result.changed.map((c) => `${c.name} ${c.from ?? "(unset)"} -> ${c.to}`);
    if (result.passwordsChanged) what.push("passwords");
    console.error(`${result.server}: ${what.length ? `changed ${what.join(", ")}` : "already as configured"}`);
    console.log(JSON.stringify(result));
}

main().catch(async (err: unknown) => {
    const kind = err instanceof SettingsApplyError ? err.kind : undefined;
    console.error(formatStepFailure("settings step", kind, err instanceof Error ? err.message : String(err)));
    // A server that does not answer usually failed to start: show why.
    if (err instanceof SettingsApplyError && err.kind === "unreachable")
        console.error(await lastLogLines(process.env[SETTINGS_ENV.container]));
    process.exit(1);
});
