// A server container's TLS files, as a renewal changes them (ops/cluster/tls-renewal.ts): the new
// leaf and key go into the container through the Engine's archive API (the key never on a command
// line or in an environment), staged beside the old files on the data volume, then a root `exec`
// renames them over (render/tls-conf.ts tlsRenewalCommand). A Sentinel, which cannot reload, is
// restarted through the Engine as `docker restart` would.
import type Docker from "dockerode";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { pack } from "tar-stream";
import type { ServerLeaf } from "../../contracts/tls-env";
import { stagedTlsFile, TLS_CONTAINER_FILES, tlsRenewalCommand } from "../../render/tls-conf";

/** Writes a leaf and its key over a server's TLS files, and restarts its container. */
export interface LeafInstaller {
    install(leaf: ServerLeaf): Promise<void>;
    restart(): Promise<void>;
}

/** A tar of the staged pair, root's and 0400 until the command hands them to the redis user. */
function stagedPair(leaf: ServerLeaf): PassThrough {
    const tar = pack();
    const entries: [string, string][] = [
        [TLS_CONTAINER_FILES.cert, leaf.cert],
        [TLS_CONTAINER_FILES.key, leaf.key],
    ];
    for (const [file, content] of entries) tar.entry({ name: path.basename(stagedTlsFile(file)), mode: 0o400, uid: 0, gid: 0 }, content);
    tar.finalize();
    // tar-stream's streams are streamx streams; a PassThrough gives the Engine client a Node stream.
    const body = new PassThrough();
    (tar as unknown as NodeJS.ReadableStream).pipe(body);
    return body;
}

/** Runs `cmd` in the container as root and fails with its output unless it exits 0. */
async function execAsRoot(container: Docker.Container, cmd: string[]): Promise<void> {
    const exec = await container.exec({ Cmd: cmd, User: "root", AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const output: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
        stream.on("data", (chunk: Buffer) => output.push(chunk));
        stream.on("end", resolve);
        stream.on("error", reject);
    });
    const { ExitCode } = await exec.inspect();
    // The stream is multiplexed (8-byte frame headers): keep the printable text for the message.
    const text = Buffer.concat(output)
        .toString("utf8")
        .replace(/[^\x20-\x7e\n]/g, "")
        .trim();
    if (ExitCode !== 0) throw new Error(`\`${cmd.join(" ")}\` exited ${String(ExitCode)}${text ? `: ${text}` : ""}`);
}

/** The installer a settings step uses for its server's container. `stopSeconds`: how long a restart lets it stop. */
export function dockerLeafInstaller(docker: Docker, containerId: string, stopSeconds: number): LeafInstaller {
    const container = docker.getContainer(containerId);
    return {
        async install(leaf) {
            await container.putArchive(stagedPair(leaf), { path: path.dirname(TLS_CONTAINER_FILES.cert) });
            await execAsRoot(container, tlsRenewalCommand());
        },
        async restart() {
            await container.restart({ t: stopSeconds });
        },
    };
}
