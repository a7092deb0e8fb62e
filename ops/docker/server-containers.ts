// A stack's server containers (nodes and Sentinels), found by the labels every server carries
// (components/server-container.ts stackLabels), not by name, each on its own host's engine.
import type Docker from "dockerode";
import type { DockerEngines } from "./engines";

export interface ServerContainerRef {
    readonly server: string;
    readonly kind: "redis" | "sentinel";
    readonly id: string;
    /** The container's name, without Docker's leading slash. */
    readonly name: string;
    readonly image: string;
    /** The named volume mounted on /data, if any (a node's data, a Sentinel's config). */
    readonly dataVolume?: string;
    readonly running: boolean;
    readonly labels: Readonly<Record<string, string>>;
    /** The engine it is on: every later call about it goes there. */
    readonly engine: Docker;
}

export class ServerContainerError extends Error {
    readonly kind = "missing-container" as const;
}

/** The containers of `servers` of `stack`; fails naming every server without one on its host's engine. */
export async function findServerContainers(
    engines: DockerEngines,
    stack: string,
    servers: readonly { readonly name: string; readonly kind: "redis" | "sentinel" }[],
): Promise<Map<string, ServerContainerRef>> {
    const found = new Map<string, ServerContainerRef>();
    for (const { host, docker } of engines.all()) {
        const here = servers.filter((s) => engines.hostOf(s.name) === host);
        if (!here.length) continue;
        await engines.reachable(host);
        const listed = await docker.listContainers({
            all: true,
            filters: JSON.stringify({ label: ["appscreens.project=appscreens-redis", `appscreens.stack=${stack}`] }),
        });
        for (const c of listed) {
            // A container of the same name left on another host, or of another role, is not this server.
            const server = here.find((s) => s.name === c.Labels["appscreens.node"] && s.kind === c.Labels["appscreens.role"]);
            if (server) {
                const dataVolume = c.Mounts.find((m) => m.Destination === "/data")?.Name;
                found.set(server.name, {
                    server: server.name,
                    kind: server.kind,
                    id: c.Id,
                    name: c.Names[0]?.replace(/^\//, "") ?? c.Id,
                    image: c.Image,
                    ...(dataVolume ? { dataVolume } : {}),
                    running: c.State === "running",
                    labels: c.Labels,
                    engine: docker,
                });
            }
        }
    }
    const missing = servers.filter((s) => !found.has(s.name)).map((s) => s.name);
    if (missing.length) throw missingContainers(engines, stack, missing);
    return found;
}

/** The failure for servers with no container, naming each one's host when the stack spans several. */
export function missingContainers(engines: DockerEngines, stack: string, missing: readonly string[]): ServerContainerError {
    const where = (n: string) => (engines.hostOf(n) ? ` (on ${engines.hostOf(n)})` : "");
    return new ServerContainerError(
        `no container for ${missing.map((n) => `${n}${where(n)}`).join(", ")} of stack ${stack} on ${engines.spread ? "its host's" : "this"} Docker Engine (labels appscreens.stack=${stack}, appscreens.node=<server>); is the stack deployed there?`,
    );
}
