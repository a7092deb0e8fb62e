import Docker from "dockerode";
import { demultiplex } from "../../ops/docker/container-logs";

/**
 * Every listed container's log since `since` (ms since the epoch), with the Engine's timestamps,
 * each secret masked: what a failed fault test or outage benchmark prints before its teardown
 * removes the containers, and with them the only record of why. The servers never log a password
 * (the live auth tests check it); masking again here keeps a dump from ever being the leak.
 */
export async function serverLogs(
    containers: readonly { readonly name: string; readonly container: string }[],
    since: number,
    secrets: readonly string[],
    docker: Docker = new Docker(),
): Promise<string> {
    const parts = await Promise.all(
        containers.map(async ({ name, container }) => {
            try {
                const raw = await docker.getContainer(container).logs({
                    stdout: true,
                    stderr: true,
                    timestamps: true,
                    since: Math.floor(since / 1000),
                });
                return `--- ${name}\n${demultiplex(raw).trimEnd()}`;
            } catch (err) {
                return `--- ${name}: no logs (${err instanceof Error ? err.message : String(err)})`;
            }
        }),
    );
    return secrets.filter(Boolean).reduce((text, secret) => text.split(secret).join("***"), parts.join("\n"));
}
