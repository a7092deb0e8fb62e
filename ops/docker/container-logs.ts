import Docker from "dockerode";

/** A non-TTY container's log stream: frames of an 8-byte header (stream, 0, 0, 0, size) then the text. */
export function demultiplex(raw: Buffer): string {
    const parts: string[] = [];
    let offset = 0;
    while (offset + 8 <= raw.length && raw[offset + 1] === 0 && raw[offset] <= 2) {
        const size = raw.readUInt32BE(offset + 4);
        parts.push(raw.subarray(offset + 8, offset + 8 + size).toString("utf8"));
        offset += 8 + size;
    }
    return offset === 0 ? raw.toString("utf8") : parts.join("");
}

/** A container's whole log, stdout and stderr as written (the start script's lines and the server's). */
export async function containerLog(docker: Docker, containerId: string): Promise<string> {
    const raw = (await docker.getContainer(containerId).logs({ stdout: true, stderr: true, follow: false })) as Buffer;
    return demultiplex(raw);
}

/**
 * The last lines a server's container logged, for the error of a step that found it down: the
 * docker provider's `wait` reports only "container failed to be in healthy state". Best effort:
 * a Docker Engine the step cannot reach gives a sentence saying so. `docker` is the engine the
 * container is on (its host's, with `hosts`). The servers never log a
 * password (the live tests check it), so the lines are safe to print.
 */
export async function lastLogLines(containerId: string | undefined, docker: Docker = new Docker(), lines = 20): Promise<string> {
    if (!containerId) return "(no container id to read logs from)";
    try {
        const container = docker.getContainer(containerId);
        const [info, logs] = await Promise.all([container.inspect(), container.logs({ stdout: true, stderr: true, tail: lines })]);
        const state = `${info.State.Status}${info.State.Health ? `, ${info.State.Health.Status}` : ""}, exit code ${info.State.ExitCode}, restarts ${info.RestartCount}`;
        const text = demultiplex(logs);
        return `container ${info.Name.replace(/^\//, "")} (${state}); last ${lines} log lines:\n${text.trimEnd()}`;
    } catch (err) {
        return `(could not read the container's logs: ${err instanceof Error ? err.message : String(err)})`;
    }
}
