// A stack's server containers (nodes and Sentinels), found by the labels every server carries
// (components/server-container.ts stackLabels), not by name, each on its own host's engine.
import type Docker from "dockerode";
import type { DockerEngines } from "./engines";

export interface ServerContainerRef {
    readonly server: string;
    readonly kind: "redis" | "sentinel";
    readonly id: string;
    readonly running: boolean;
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
            if (server)
                found.set(server.name, {
                    server: server.name,
                    kind: server.kind,
                    id: c.Id,
                    running: c.State === "running",
                    engine: docker,
                });
        }
    }
    const missing = servers.filter((s) => !found.has(s.name)).map((s) => s.name);
    if (missing.length)
        throw new ServerContainerError(
            `no container for ${missing.join(", ")} of stack ${stack} (labels appscreens.stack=${stack}, appscreens.node=<server>); is the stack deployed on this Docker Engine?`,
        );
    return found;
}
