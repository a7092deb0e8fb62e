import Docker from "dockerode";
import { execFile } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { RigError } from "./errors";
import { HostPlan } from "./plan";

export interface RigEngine {
    readonly host: HostPlan;
    readonly docker: Docker;
}

const hasImage = (docker: Docker, image: string): Promise<boolean> =>
    docker
        .getImage(image)
        .inspect()
        .then(
            () => true,
            () => false,
        );

/** Loads an image archive into an engine and waits for the load to finish. */
async function load(engine: RigEngine, archive: string): Promise<void> {
    const progress = await engine.docker.loadImage(createReadStream(archive));
    await new Promise<void>((resolve, reject) =>
        engine.docker.modem.followProgress(progress, (err: Error | null) => (err ? reject(err) : resolve())),
    );
}

/** `work`, or an `image` RigError naming the host once `timeoutMs` has passed (a stuck engine never answers). */
async function withDeadline<T>(host: string, what: string, timeoutMs: number, work: () => Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new RigError("image", host, `${what}: not done within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
        return await Promise.race([work(), late]);
    } finally {
        clearTimeout(timer);
    }
}

/** Runs scripts/build-test-image.sh against one rig engine: it talks to whatever DOCKER_HOST names. */
function buildInto(engine: RigEngine, image: string, timeoutMs: number): Promise<void> {
    const script = path.resolve(__dirname, "../../../scripts/build-test-image.sh");
    return new Promise((resolve, reject) => {
        execFile(
            "bash",
            [script],
            { timeout: timeoutMs, env: { ...process.env, DOCKER_HOST: engine.host.endpoint, TEST_IMAGE: image } },
            (err, _stdout, stderr) =>
                err
                    ? reject(new RigError("image", engine.host.name, `build-test-image.sh failed: ${stderr.trim() || err.message}`))
                    : resolve(),
        );
    });
}

/**
 * Puts the test image into every engine of the rig that lacks it, as an operator's `docker save
 * | docker load` would (nothing can be pulled here). It comes from `source` (the machine's own
 * engine, which the live set-up gave the image) when that has it; otherwise it is built into the
 * first engine the way the live set-up builds it and copied from there.
 */
export async function importImage(engines: readonly RigEngine[], image: string, source?: Docker, timeoutMs = 300_000): Promise<string> {
    const missing: RigEngine[] = [];
    for (const e of engines) if (!(await hasImage(e.docker, image))) missing.push(e);
    if (missing.length === 0) return "present";
    let from: Docker;
    let how: string;
    if (source && (await hasImage(source, image))) {
        from = source;
        how = "copied from the machine's engine";
    } else {
        const first = missing.shift() as RigEngine;
        await buildInto(first, image, timeoutMs);
        from = first.docker;
        how = `built in ${first.host.name}`;
    }
    if (missing.length === 0) return how;
    const dir = mkdtempSync(path.join(tmpdir(), "rig-image-"));
    try {
        const archive = path.join(dir, "image.tar");
        await withDeadline("", `saving ${image}`, timeoutMs, async () =>
            pipeline(await from.getImage(image).get(), createWriteStream(archive)),
        );
        await Promise.all(
            missing.map((e) =>
                withDeadline(e.host.name, `loading ${image}`, timeoutMs, () => load(e, archive)).catch((err: unknown) => {
                    if (err instanceof RigError) throw err;
                    throw new RigError("image", e.host.name, `loading ${image}: ${(err as Error).message}`, { cause: err });
                }),
            ),
        );
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
    return how;
}
