// Run by a server's settings step (one `local.Command` per node and Sentinel) on every deploy:
// applies the runtime settings and passwords to the running server. stdout is a JSON summary
// with no secret in it; a failure exits 1 with a message naming the server and the fix.
import { applySettings, SettingsApplyError } from "../ops/cluster/settings-apply";
import { parseSettingsEnvironment } from "../contracts/settings-env";
import { SETTINGS_ENV } from "../contracts/env";
import { lastLogLines } from "../ops/docker/container-logs";
import { withDeadline } from "../ops/deadline";

async function main(): Promise<void> {
    const request = parseSettingsEnvironment(process.env);
    const result = await withDeadline(request.deadlineSeconds, `applying settings to ${request.target.name}`, () => applySettings(request));
    const what = result.changed.map((c) => `${c.name} ${c.from ?? "(unset)"} -> ${c.to}`);
    if (result.passwordsChanged) what.push("passwords");
    console.error(`${result.server}: ${what.length ? `changed ${what.join(", ")}` : "already as configured"}`);
    console.log(JSON.stringify(result));
}

main().catch(async (err: unknown) => {
    const kind = err instanceof SettingsApplyError ? ` [${err.kind}]` : "";
    console.error(`settings step failed${kind}: ${err instanceof Error ? err.message : String(err)}`);
    // A server that does not answer usually failed to start: show why.
    if (err instanceof SettingsApplyError && err.kind === "unreachable")
        console.error(await lastLogLines(process.env[SETTINGS_ENV.container]));
    process.exit(1);
});
