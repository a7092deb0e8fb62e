// Files put into a running container and commands run in it as root, through the Engine's API
// (`PUT /containers/<id>/archive`, exec): what changes a server's files without replacing its
// container, for a TLS renewal (ops/docker/tls-files.ts) and for migration step 1b
// (ops/users/container-scripts.ts). The content goes in the archive body, never on a command
// line or in an environment, so a key or password in it shows nowhere `docker inspect` looks.
import type Docker from "dockerode";
import { PassThrough } from "node:stream";
import { extract, pack } from "tar-stream";

/** One file of an archive: its name within the directory it is put into, its content and mode. */
export interface ArchiveFile {
    readonly name: string;
    readonly content: string;
    readonly mode: number;
}

/** A tar of `files`, every entry root's. */
function archiveOf(files: readonly ArchiveFile[]): PassThrough {
    const tar = pack();
    for (const f of files) tar.entry({ name: f.name, mode: f.mode, uid: 0, gid: 0 }, f.content);
    tar.finalize();
    // tar-stream's streams are streamx streams; a PassThrough gives the Engine client a Node stream.
    const body = new PassThrough();
    (tar as unknown as NodeJS.ReadableStream).pipe(body);
    return body;
}

/** Writes `files` into `dir` of the container (an existing directory), root's with their modes. */
export async function putFiles(container: Docker.Container, dir: string, files: readonly ArchiveFile[]): Promise<void> {
    await container.putArchive(archiveOf(files), { path: dir });
}

/** Runs `cmd` in the container as root and fails with its output unless it exits 0. */
export async function execAsRoot(container: Docker.Container, cmd: string[]): Promise<void> {
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

/**
 * The text of one file in the container (`GET /containers/<id>/archive`), undefined when it does
 * not exist. For files that are not secret only (a CA bundle): the content crosses the Engine's API.
 */
export async function readFile(container: Docker.Container, file: string): Promise<string | undefined> {
    let archive: NodeJS.ReadableStream;
    try {
        archive = (await container.getArchive({ path: file })) as NodeJS.ReadableStream;
    } catch (err) {
        if ((err as { statusCode?: number }).statusCode === 404) return undefined;
        throw err;
    }
    const tar = extract();
    const chunks: Buffer[] = [];
    let files = 0;
    const done = new Promise<void>((resolve, reject) => {
        tar.on("entry", (_header, stream, next) => {
            files += 1;
            stream.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
            stream.on("end", next);
            stream.resume();
        });
        tar.on("finish", resolve);
        tar.on("error", reject);
    });
    archive.pipe(tar as unknown as NodeJS.WritableStream);
    await done;
    if (files !== 1) throw new Error(`${file}: the Engine's archive holds ${files} entries, not the one file`);
    return Buffer.concat(chunks).toString("utf8");
}
