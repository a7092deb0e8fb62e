import type Docker from "dockerode";

/**
 * Runs `cmd` in a running container and returns its stdout and stderr; `env` keeps a password off
 * the command line (REDISCLI_AUTH). The container's engine is whichever `docker` it is on.
 */
export async function execIn(
    docker: Docker,
    container: Docker.Container,
    cmd: string[],
    env: Record<string, string> = {},
): Promise<string> {
    const exec = await container.exec({
        Cmd: cmd,
        Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
        AttachStdout: true,
        AttachStderr: true,
    });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
        docker.modem.demuxStream(
            stream,
            { write: (c: Buffer) => chunks.push(c) } as never,
            { write: (c: Buffer) => chunks.push(c) } as never,
        );
        stream.on("end", resolve);
        stream.on("error", reject);
    });
    return Buffer.concat(chunks).toString("utf8");
}
