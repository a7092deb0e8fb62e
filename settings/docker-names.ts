import { MAX_NODES, MAX_SENTINELS, nodeName, sentinelName, ServerKind } from "./address-plan";
import { StackSettings } from "./validate";

/**
 * The Docker name of a stack's object (`appscreens-redis-<stack>-redis-0`, `...-redis-0-data`):
 * one function, so the program, the tools and the tests all find what the program made.
 */
export const dockerName = (settings: Pick<StackSettings, "namePrefix">, objectName: string): string =>
    `${settings.namePrefix}-${objectName}`;

/** The data volume of one server (`appscreens-redis-<stack>-redis-0-data`). */
export const dataVolumeName = (settings: Pick<StackSettings, "namePrefix">, server: string): string =>
    dockerName(settings, `${server}-data`);

/** A server's data volume, with what kind of server it holds the data of. */
export interface StackDataVolume {
    readonly server: string;
    readonly kind: ServerKind;
    readonly name: string;
}

/** The data volumes of the servers the stack declares now. */
export const declaredDataVolumes = (settings: Pick<StackSettings, "namePrefix" | "plan">): StackDataVolume[] => [
    ...settings.plan.nodes.map((n) => ({ server: n.name, kind: "redis" as const, name: dataVolumeName(settings, n.name) })),
    ...settings.plan.sentinels.map((s) => ({ server: s.name, kind: "sentinel" as const, name: dataVolumeName(settings, s.name) })),
];

/**
 * Every data volume the stack could have made, at any scale its config allows: a destroy and a
 * scale-down leave them behind (`retainOnDelete`), and the tools find them by these names.
 */
export const possibleDataVolumes = (settings: Pick<StackSettings, "namePrefix">): StackDataVolume[] => [
    ...Array.from({ length: MAX_NODES }, (_, i) => nodeName(i)).map((server) => ({
        server,
        kind: "redis" as const,
        name: dataVolumeName(settings, server),
    })),
    ...Array.from({ length: MAX_SENTINELS }, (_, i) => sentinelName(i)).map((server) => ({
        server,
        kind: "sentinel" as const,
        name: dataVolumeName(settings, server),
    })),
];
