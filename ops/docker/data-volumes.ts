import Docker from "dockerode";
import type { DockerEngines } from "./engines";

/**
 * Reading and removing a stack's data volumes through the Docker Engine: what `destroy` and a
 * scale-down keep (`retainOnDelete`). What to make of them is decided in ops/cluster/kept-volumes.ts.
 */

/** What Docker says of one data volume. */
export interface VolumeFacts {
    readonly name: string;
    /**
     * Docker's `CreatedAt`, shown to people only: Docker 20.10 reports the last change of the
     * volume's top directory (its ctime), so a volume a server used reads as created when that
     * server last started or wrote a new file there.
     */
    readonly createdAt?: string;
    /** Containers, running or not, that mount it: Docker refuses to remove it while there is one. */
    readonly usedBy: readonly string[];
}

/** The data volumes among `names` that exist on the engine, with their creation time and the containers mounting them. */
export async function readVolumes(docker: Docker, names: readonly string[]): Promise<VolumeFacts[]> {
    const wanted = new Set(names);
    // Docker's `name` filter matches substrings: list them all and keep the exact names.
    const { Volumes } = await docker.listVolumes();
    const found = (Volumes ?? []).filter((v) => wanted.has(v.Name));
    const facts = await Promise.all(
        found.map(async (v) => ({
            name: v.Name,
            createdAt: (v as { CreatedAt?: string }).CreatedAt,
            usedBy: await containersUsing(docker, v.Name),
        })),
    );
    // In the order asked for, so lists read redis-0, redis-1, ..., sentinel-0, ...
    return names.flatMap((n) => facts.filter((f) => f.name === n));
}

/** Names of the containers (any state) that mount `volume`. */
export async function containersUsing(docker: Docker, volume: string): Promise<string[]> {
    const list = await docker.listContainers({ all: true, filters: JSON.stringify({ volume: [volume] }) });
    return list.map((c) => (c.Names[0] ?? c.Id).replace(/^\//, ""));
}

/** The volume mounted at `path` in a container, with its creation time; undefined if it has none there. */
export async function volumeAt(
    docker: Docker,
    containerId: string,
    path: string,
): Promise<{ name: string; createdAt?: string } | undefined> {
    const info = await docker.getContainer(containerId).inspect();
    const mount = info.Mounts.find((m) => m.Destination === path && m.Type === "volume");
    if (!mount?.Name) return undefined;
    const volume = (await docker.getVolume(mount.Name).inspect()) as { CreatedAt?: string };
    return { name: mount.Name, createdAt: volume.CreatedAt };
}

export interface RemovalOutcome {
    readonly removed: string[];
    readonly refused: { name: string; reason: string }[];
}

/**
 * Removes the volumes `planRemoval` (ops/cluster/kept-volumes.ts) allowed. Docker itself refuses
 * a volume a container mounts (409), so one that a container started using meanwhile is refused
 * too, not removed.
 */
export async function removeVolumes(docker: Docker, names: readonly string[]): Promise<RemovalOutcome> {
    const outcome: RemovalOutcome = { removed: [], refused: [] };
    for (const name of names) {
        try {
            await docker.getVolume(name).remove();
            outcome.removed.push(name);
        } catch (err) {
            const status = (err as { statusCode?: number }).statusCode;
            if (status === 404) continue;
            outcome.refused.push({
                name,
                reason: status === 409 ? "in use (Docker refused)" : err instanceof Error ? err.message : String(err),
            });
        }
    }
    return outcome;
}

/** A volume's facts and the host whose engine holds it (undefined on a single host). */
export type PlacedVolumeFacts = VolumeFacts & { readonly host?: string };

/**
 * The data volumes among `names` on every engine of the stack: with `hosts`, a volume can be on
 * any of them (its server moved, or a host was replaced), so each is asked for all. An engine that
 * does not answer fails naming its host.
 */
export async function readVolumesEverywhere(engines: DockerEngines, names: readonly string[]): Promise<PlacedVolumeFacts[]> {
    const found: PlacedVolumeFacts[] = [];
    for (const { host, docker } of engines.all()) {
        await engines.reachable(host);
        found.push(...(await readVolumes(docker, names)).map((f) => ({ ...f, ...(host ? { host } : {}) })));
    }
    return found;
}

/** Removes each volume on the engine that holds it. */
export async function removeVolumesEverywhere(engines: DockerEngines, volumes: readonly PlacedVolumeFacts[]): Promise<RemovalOutcome> {
    const outcome: RemovalOutcome = { removed: [], refused: [] };
    for (const { host, docker } of engines.all()) {
        const here = await removeVolumes(
            docker,
            volumes.filter((v) => v.host === host).map((v) => v.name),
        );
        outcome.removed.push(...here.removed);
        outcome.refused.push(...here.refused);
    }
    return outcome;
}
