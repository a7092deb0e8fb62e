// Run by a server's settings step (one `local.Command` per node and Sentinel) on every deploy:
// applies the runtime settings and passwords to the running server. stdout is a JSON summary
// with no secret in it; a failure exits 1 with a message naming the server and the fix.
// `--first-run` is on the step's `create` only: its first run for this server in this state.
import { applySettings, SettingsApplyError } from "../ops/cluster/settings-apply";
import { explainRefusal } from "../ops/cluster/kept-volume-refusal";
import type Docker from "dockerode";
import { FIRST_RUN_FLAG, parseSettingsEnvironment, SettingsRequest } from "../contracts/settings-env";
import { parseDockerTls } from "../contracts/docker-hosts";
import { engineOfServer } from "../ops/docker/engines";
import { DOCKER_TLS_ENV, SETTINGS_ENV } from "../contracts/env";
import { formatStepFailure } from "../contracts/step-failure";
import { lastLogLines } from "../ops/docker/container-logs";
import { errorMessage, withDeadline } from "../ops/deadline";
import { dockerLeafInstaller } from "../ops/docker/tls-files";
import { TlsRenewalError } from "../ops/cluster/tls-renewal";

/** How long a Sentinel restarted for its renewed certificate may take to stop (it holds no data to write). */
const SENTINEL_STOP_SECONDS = 10;

/**
 * The engine the server's container is on: its host's with `hosts` (a tcp:// one with the PEMs in
 * DOCKER_TLS_ENV), else the local one. Only for explaining a failure, so a host the step cannot
 * reach leaves it unexplained rather than failing the step itself.
 */
function engineOf(request: SettingsRequest): Docker | undefined {
    const { name, dockerHost } = request.target;
    try {
        return engineOfServer(name, dockerHost, parseDockerTls(process.env[DOCKER_TLS_ENV]));
    } catch (err) {
        console.error(`(cannot reach ${dockerHost?.name ?? "the"} Docker Engine to read ${name}'s log: ${errorMessage(err)})`);
        return undefined;
    }
}

async function main(): Promise<void> {
    const request = parseSettingsEnvironment(process.env);
    const docker = engineOf(request);
    const context = {
        firstRun: process.argv.slice(2).includes(FIRST_RUN_FLAG),
        // Without the container's engine there is nothing to read: the refusal stands unexplained.
        containerId: docker ? process.env[SETTINGS_ENV.container] : undefined,
        docker,
    };
    // A TLS stack's step may install a renewed leaf: through the container's engine.
    const installer =
        request.leaf && docker && context.containerId ? dockerLeafInstaller(docker, context.containerId, SENTINEL_STOP_SECONDS) : undefined;
    const result = await withDeadline(request.deadlineSeconds, `applying settings to ${request.target.name}`, () =>
        applySettings(request, { installer }).catch(async (err: unknown) => {
            throw await explainRefusal(err, request, context);
        }),
    );
    const what = result.changed.map((c) => `${c.name} ${c.from ?? "(unset)"} -> ${c.to}`);
    if (result.passwordsChanged) what.push("passwords");
    if (result.tls?.renewed) what.push(`certificate ${result.tls.fromSerial} -> ${result.tls.toSerial}`);
    if (result.tls?.trustChanged) what.push("trusted CAs");
    console.error(`${result.server}: ${what.length ? `changed ${what.join(", ")}` : "already as configured"}`);
    console.log(JSON.stringify(result));
}

main().catch(async (err: unknown) => {
    const kind = err instanceof SettingsApplyError || err instanceof TlsRenewalError ? err.kind : undefined;
    console.error(formatStepFailure("settings step", kind, err instanceof Error ? err.message : String(err)));
    // A server that does not answer usually failed to start: show why.
    if (err instanceof SettingsApplyError && err.kind === "unreachable") {
        const docker = engineOf(parseSettingsEnvironment(process.env));
        if (docker) console.error(await lastLogLines(process.env[SETTINGS_ENV.container], docker));
    }
    process.exit(1);
});
