/**
 * Where every node and Sentinel lives: static addresses on the stack's network and the host ports
 * they are published on. Static addresses (announced by each process) keep Sentinel working while
 * a container is stopped, when its DNS name stops resolving.
 */
export const REDIS_PORT = 6379;
export const SENTINEL_PORT = 26379;
/** Nodes' static addresses start at this host offset; .1 is Docker's gateway. */
export const FIRST_STATIC_HOST = 10;
/** The most nodes a cluster can have (1 master + the 16 replicas validation allows). */
export const MAX_NODES = 17;
/**
 * Sentinels start at a fixed offset past the last possible node, so scaling the replicas never
 * moves a Sentinel's address (which would replace every Sentinel).
 */
export const FIRST_SENTINEL_HOST = 40;
export const MAX_SENTINELS = 15;

export interface Ipv4Cidr {
    readonly base: number;
    readonly prefix: number;
}

export function parseIpv4(text: string): number | undefined {
    const parts = text.split(".");
    if (parts.length !== 4 || parts.some((p) => !/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255)) {
        return undefined;
    }
    return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIpv4(value: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

export function parseCidr(text: string): Ipv4Cidr | undefined {
    const match = /^([0-9.]+)\/([0-9]{1,2})$/.exec(text);
    if (!match) return undefined;
    const base = parseIpv4(match[1]);
    const prefix = Number(match[2]);
    if (base === undefined || prefix > 32) return undefined;
    return { base, prefix };
}

export const cidrSize = (cidr: Ipv4Cidr): number => 2 ** (32 - cidr.prefix);

/** The two kinds of server the stack runs; each has its own directive table (render/directives.ts). */
export const SERVER_KINDS = ["redis", "sentinel"] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

/** One server of the stack, by value: components and renderers take this, never an index. */
export interface Endpoint {
    /** Stable name by index: roles move after a failover, names do not. */
    readonly name: string;
    readonly address: string;
    readonly port: number;
    readonly hostPort: number;
}

export interface AddressPlan {
    readonly subnet: string;
    readonly gateway: string;
    /** Docker hands addresses from this range to other containers (the app), away from the static ones. */
    readonly dynamicRange: string;
    readonly nodes: readonly Endpoint[];
    readonly sentinels: readonly Endpoint[];
}

export interface AddressPlanInput {
    readonly subnet: string;
    readonly nodeCount: number;
    readonly sentinelCount: number;
    readonly redisBasePort: number;
    readonly sentinelBasePort: number;
}

/** How many addresses the static half of the subnet must hold (the last Sentinel's offset + 1). */
export const staticAddressesNeeded = (sentinelCount: number): number => FIRST_SENTINEL_HOST + sentinelCount;

type PortsInput = Pick<AddressPlanInput, "subnet" | "redisBasePort" | "sentinelBasePort">;

function hostAt(subnet: string, offset: number): string {
    const cidr = parseCidr(subnet);
    if (!cidr) throw new Error(`not a CIDR: ${subnet}`);
    return formatIpv4(cidr.base + offset);
}

/** Server names by index: containers, volumes and the report name servers by these. */
export const nodeName = (index: number): string => `redis-${index}`;
export const sentinelName = (index: number): string => `sentinel-${index}`;

/** Node `index`, whether or not the stack declares it (surplus nodes after a scale-down too). */
export function nodeEndpoint(input: PortsInput, index: number): Endpoint {
    return {
        name: nodeName(index),
        address: hostAt(input.subnet, FIRST_STATIC_HOST + index),
        port: REDIS_PORT,
        hostPort: input.redisBasePort + index,
    };
}

/** Sentinel `index`, whether or not the stack declares it. */
export function sentinelEndpoint(input: PortsInput, index: number): Endpoint {
    return {
        name: sentinelName(index),
        address: hostAt(input.subnet, FIRST_SENTINEL_HOST + index),
        port: SENTINEL_PORT,
        hostPort: input.sentinelBasePort + index,
    };
}

export function planAddresses(input: AddressPlanInput): AddressPlan {
    const cidr = parseCidr(input.subnet);
    if (!cidr) throw new Error(`not a CIDR: ${input.subnet}`);
    const half = cidrSize(cidr) / 2;
    const at = (offset: number) => formatIpv4(cidr.base + offset);
    const nodes = Array.from({ length: input.nodeCount }, (_, i) => nodeEndpoint(input, i));
    const sentinels = Array.from({ length: input.sentinelCount }, (_, i) => sentinelEndpoint(input, i));
    return {
        subnet: input.subnet,
        gateway: at(1),
        dynamicRange: `${at(half)}/${cidr.prefix + 1}`,
        nodes,
        sentinels,
    };
}

/** The port redis_exporter listens on inside its container (its registered default). */
export const EXPORTER_PORT = 9121;
/**
 * Sentinels' exporters are published this far past `exporterBasePort`, past the last possible
 * node's (MAX_NODES), so scaling the replicas never moves a Sentinel's exporter.
 */
export const SENTINEL_EXPORTER_OFFSET = 20;

/** One redis_exporter: the server it watches and the host port its metrics are published on. */
export interface ExporterEndpoint {
    /** `redis-0-exporter`: the server's name and a suffix, stable by index like the server's. */
    readonly name: string;
    readonly kind: ServerKind;
    readonly server: Endpoint;
    /** `redis://<address>:<port>`: the server as the exporter reaches it on the stack's network. */
    readonly serverUri: string;
    readonly port: number;
    readonly hostPort: number;
}

/** The exporter of node or Sentinel `index` (`server` is that server's endpoint). */
export function exporterEndpoint(exporterBasePort: number, kind: ServerKind, index: number, server: Endpoint): ExporterEndpoint {
    return {
        name: `${server.name}-exporter`,
        kind,
        server,
        serverUri: `redis://${server.address}:${server.port}`,
        port: EXPORTER_PORT,
        hostPort: exporterBasePort + (kind === "sentinel" ? SENTINEL_EXPORTER_OFFSET : 0) + index,
    };
}

/** One exporter per node, then one per Sentinel, of an address plan. */
export function planExporters(plan: Pick<AddressPlan, "nodes" | "sentinels">, exporterBasePort: number): ExporterEndpoint[] {
    return [
        ...plan.nodes.map((n, i) => exporterEndpoint(exporterBasePort, "redis", i, n)),
        ...plan.sentinels.map((s, i) => exporterEndpoint(exporterBasePort, "sentinel", i, s)),
    ];
}
