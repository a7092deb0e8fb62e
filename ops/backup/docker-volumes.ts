import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdirSync, statSync } from "node:fs";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { PassThrough, Transform } from "node:stream";
import type Docker from "dockerode";
import type { DockerEngines } from "../docker/engines";
import { findServerContainers, missingContainers, ServerContainerError, ServerContainerRef } from "../docker/server-containers";
import { extract, pack } from "tar-stream";
import { FileDigest } from "./manifest";

/** A stack's Redis node container as the Docker Engine shows it. */
export interface NodeContainer {
    readonly node: string;
    readonly id: string;
    readonly name: string;
    readonly image: string;
    /** The named volume mounted on /data. */
    readonly volume: string;
    readonly running: boolean;
    readonly labels: Readonly<Record<string, string>>;
    /** The Docker Engine it is on (its host's, with `hosts`): every later call about it goes there. */
    readonly engine: Docker;
}

export class DockerStepError extends Error {
    constructor(
        readonly kind: "missing-container" | "helper-failed" | "unsafe-archive",
        message: string,
    ) {
        super(message);
        this.name = "DockerStepError";
    }
}

/**
 * The stack's Redis containers with their data volumes (ops/docker/server-containers.ts finds
 * them by label, each on its own host's engine). A node whose container has no /data volume is
 * missing as surely as one with no container: there is nothing to back up or restore into.
 */
export async function findNodeContainers(
    engines: DockerEngines,
    stack: string,
    nodes: readonly string[],
): Promise<Map<string, NodeContainer>> {
    let refs: Map<string, ServerContainerRef>;
    try {
        refs = await findServerContainers(
            engines,
            stack,
            nodes.map((name) => ({ name, kind: "redis" as const })),
        );
    } catch (err) {
        if (err instanceof ServerContainerError) throw new DockerStepError("missing-container", err.message);
        throw err;
    }
    const found = new Map<string, NodeContainer>();
    for (const [node, c] of refs)
        if (c.dataVolume)
            found.set(node, {
                node,
                id: c.id,
                name: c.name,
                image: c.image,
                volume: c.dataVolume,
                running: c.running,
                labels: c.labels,
                engine: c.engine,
            });
    const missing = nodes.filter((n) => !found.has(n));
    if (missing.length) throw new DockerStepError("missing-container", missingContainers(engines, stack, missing).message);
    return found;
}

/**
 * Copies `containerPath` (a file or a directory) out of a container through the Engine's archive
 * API into `destRoot`, hashing each file as it is written. Only plain files and directories are
 * accepted, and only names `accept` allows: nothing else of the volume leaves it.
 */
export async function copyOut(
    container: Docker.Container,
    containerPath: string,
    destRoot: string,
    accept: (name: string) => boolean,
): Promise<FileDigest[]> {
    const archive = await container.getArchive({ path: containerPath });
    const digests: FileDigest[] = [];
    // A refused entry is skipped to the end of the archive, then the whole copy fails.
    let refused: DockerStepError | undefined;
    const tar = extract();
    const done = new Promise<void>((resolve, reject) => {
        tar.on("finish", resolve);
        tar.on("error", reject);
    });
    tar.on("entry", (header, stream, next) => {
        const name = path.posix.normalize(header.name).replace(/\/$/, "");
        const skip = (message?: string) => {
            if (message) refused ??= new DockerStepError("unsafe-archive", message);
            stream.on("end", next);
            stream.resume();
        };
        if (refused) return skip();
        if (name.startsWith("..") || path.posix.isAbsolute(name)) return skip(`refusing archive entry ${header.name}`);
        if (header.type === "directory") {
            mkdirSync(path.join(destRoot, name), { recursive: true, mode: 0o700 });
            return skip();
        }
        if (header.type !== "file") return skip(`refusing ${header.type} ${header.name}: only plain files are copied`);
        if (!accept(name)) return skip(`refusing ${name}: not a data file of the backup`);
        mkdirSync(path.dirname(path.join(destRoot, name)), { recursive: true, mode: 0o700 });
        const hash = createHash("sha256");
        let bytes = 0;
        const counter = new Transform({
            transform(chunk: Buffer, _enc, cb) {
                hash.update(chunk);
                bytes += chunk.length;
                cb(null, chunk);
            },
        });
        pipeline(stream as unknown as NodeJS.ReadableStream, counter, createWriteStream(path.join(destRoot, name), { mode: 0o600 }))
            .then(() => {
                digests.push({ path: name, bytes, sha256: hash.digest("hex") });
                next();
            })
            .catch((err: unknown) => tar.destroy(err as Error));
    });
    (archive as NodeJS.ReadableStream).pipe(tar as unknown as NodeJS.WritableStream);
    await done;
    if (refused) throw refused;
    return digests;
}

/** Puts one host file into a container at `dir/<subdir>/<name>`, owned by `uid`, mode 0600. */
export async function putFile(container: Docker.Container, dir: string, subdir: string, name: string, hostFile: string, uid: number) {
    const tar = pack();
    tar.entry({ name: `${subdir}/`, type: "directory", mode: 0o700, uid, gid: uid });
    const written = new Promise<void>((resolve, reject) => {
        const entry = tar.entry({ name: `${subdir}/${name}`, size: statSync(hostFile).size, mode: 0o600, uid, gid: uid }, (err) =>
            err ? reject(err) : resolve(),
        );
        createReadStream(hostFile)
            .on("error", reject)
            .pipe(entry as unknown as NodeJS.WritableStream);
    }).then(() => tar.finalize());
    // tar-stream's streams are streamx streams; a PassThrough gives the Engine client a Node stream.
    const body = new PassThrough();
    (tar as unknown as NodeJS.ReadableStream).pipe(body);
    await Promise.all([container.putArchive(body, { path: dir }), written]);
}

/** The `redis` user's uid in the official image and in the test image (scripts/build-test-image.sh). */
export const REDIS_UID = 999;

export interface HelperRun {
    readonly exitCode: number;
    readonly output: string;
}

/**
 * Runs a shell script in a short-lived container of the node's image with the node's volume on
 * /data, as `options.user` (the redis user), without a network. It carries the node's labels (so whatever sweeps
 * the stack's objects finds it) with the role `volume-helper`, and is always removed.
 */
export async function runHelper(
    node: NodeContainer,
    script: string,
    options: { user: string; timeoutMs: number; purpose: string },
): Promise<HelperRun> {
    // On the node's own engine: the volume exists only there.
    const helper = await node.engine.createContainer({
        Image: node.image,
        Entrypoint: ["/bin/sh", "-c"],
        Cmd: [script],
        User: options.user,
        WorkingDir: "/data",
        // A terminal makes the logs plain text (no stream headers); nobody attaches to it.
        Tty: true,
        Labels: { ...node.labels, "appscreens.role": "volume-helper", "appscreens.purpose": options.purpose },
        HostConfig: { Mounts: [{ Type: "volume", Source: node.volume, Target: "/data" }], NetworkMode: "none" },
    });
    try {
        await helper.start();
        const timer = new Promise<never>((_, reject) =>
            setTimeout(
                () =>
                    reject(
                        new DockerStepError(
                            "helper-failed",
                            `${options.purpose} on ${node.node} did not finish within ${options.timeoutMs / 1000} s`,
                        ),
                    ),
                options.timeoutMs,
            ).unref(),
        );
        const { StatusCode } = (await Promise.race([helper.wait(), timer])) as { StatusCode: number };
        const output = (await helper.logs({ stdout: true, stderr: true })).toString("utf8");
        return { exitCode: StatusCode, output };
    } finally {
        await helper.remove({ force: true }).catch(() => undefined);
    }
}

/** Runs a helper and fails, with its output, unless it exits 0. */
export async function runHelperOrFail(
    node: NodeContainer,
    script: string,
    options: { user: string; timeoutMs: number; purpose: string },
): Promise<string> {
    const run = await runHelper(node, script, options);
    if (run.exitCode !== 0) {
        throw new DockerStepError(
            "helper-failed",
            `${options.purpose} on ${node.node} failed (exit ${run.exitCode}): ${run.output.trim()}`,
        );
    }
    return run.output;
}
