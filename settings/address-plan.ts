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

/** An `address:port` pair: how Redis and Sentinel name a server. */
export interface HostAddress {
    readonly address: string;
    readonly port: number;
}

/**
 * The key a member is compared by: the pair, never the address alone. Across hosts every server of
 * one host announces the same address, and a lookup by address would take one for another (what
 * redis/redis#2335 shows Sentinel doing with replicas that share an address).
 */
export const memberKey = (a: HostAddress): string => `${a.address}:${a.port}`;
export const sameMember = (a: HostAddress, b: HostAddress): boolean => a.address === b.address && a.port === b.port;

/** One server of the stack, by value: components and renderers take this, never an index. */
export interface Endpoint {
    /** Stable name by index: roles move after a failover, names do not. */
    readonly name: string;
    /** Static address on the stack's Docker network (on its own host's network when there are hosts). */
    readonly address: string;
    /** Port inside the container. */
    readonly port: number;
    /** Port published on `publishAddress`. */
    readonly hostPort: number;
    /** Interface of the host the port is published on. */
    readonly publishAddress: string;
    /**
     * What the server announces (`replica-announce-ip/port`, `sentinel announce-ip/port`) and so
     * what every peer names it by. On one host: its static address and container port. Across
     * hosts: its host's address and published port, the only pair a peer on another host can
     * reach (Redis docs, sentinel.md "Sentinel, Docker, NAT, and possible issues").
     */
    readonly announce: HostAddress;
    /** The host it runs on, by name (`cluster.hosts[].name`); absent on a single host. */
    readonly host?: string;
}

/** A host as the plan needs it: its name and the address its servers publish on and announce. */
export interface PlanHost {
    readonly name: string;
    readonly address: string;
}

export interface AddressPlan {
    readonly subnet: string;
    readonly gateway: string;
    /** Docker hands addresses from this range to other containers (the app), away from the static ones. */
    readonly dynamicRange: string;
    readonly nodes: readonly Endpoint[];
    readonly sentinels: readonly Endpoint[];
    /** The hosts, in config order; absent on a single host. */
    readonly hosts?: readonly PlanHost[];
}

export interface AddressPlanInput {
    readonly subnet: string;
    readonly nodeCount: number;
    readonly sentinelCount: number;
    readonly redisBasePort: number;
    readonly sentinelBasePort: number;
    /** `publish.host`: where every port is published on a single host. */
    readonly publishAddress: string;
    /** `cluster.hosts`; absent for a single host, which keeps today's addresses exactly. */
    readonly hosts?: readonly PlanHost[];
    /** `placement.pins`: server name -> host name. */
    readonly pins?: Readonly<Record<string, string>>;
}

/** How many addresses the static half of the subnet must hold (the last Sentinel's offset + 1). */
export const staticAddressesNeeded = (sentinelCount: number): number => FIRST_SENTINEL_HOST + sentinelCount;

type PortsInput = Pick<AddressPlanInput, "subnet" | "redisBasePort" | "sentinelBasePort" | "publishAddress">;

function hostAt(subnet: string, offset: number): string {
    const cidr = parseCidr(subnet);
    if (!cidr) throw new Error(`not a CIDR: ${subnet}`);
    return formatIpv4(cidr.base + offset);
}

/** Server names by index: containers, volumes and the report name servers by these. */
export const nodeName = (index: number): string => `redis-${index}`;
export const sentinelName = (index: number): string => `sentinel-${index}`;

/**
 * A server on a single host, whether or not the stack declares it (surplus ones after a
 * scale-down too): it announces its static address and container port.
 */
function singleHostEndpoint(name: string, address: string, port: number, hostPort: number, publishAddress: string): Endpoint {
    return { name, address, port, hostPort, publishAddress, announce: { address, port } };
}

/** Node `index` on a single host, whether or not the stack declares it (surplus nodes after a scale-down too). */
export function nodeEndpoint(input: PortsInput, index: number): Endpoint {
    return singleHostEndpoint(
        nodeName(index),
        hostAt(input.subnet, FIRST_STATIC_HOST + index),
        REDIS_PORT,
        input.redisBasePort + index,
        input.publishAddress,
    );
}

/** Sentinel `index` on a single host, whether or not the stack declares it. */
export function sentinelEndpoint(input: PortsInput, index: number): Endpoint {
    return singleHostEndpoint(
        sentinelName(index),
        hostAt(input.subnet, FIRST_SENTINEL_HOST + index),
        SENTINEL_PORT,
        input.sentinelBasePort + index,
        input.publishAddress,
    );
}

/** A server as placement sees it. */
export interface PlacedServer {
    readonly name: string;
    readonly kind: ServerKind;
}

/**
 * Which host each server runs on, in one pass in server order: a pinned server goes where its pin
 * says, every other one to the host with the fewest servers of its kind so far, ties by `hosts`
 * order. Without pins that is plain round-robin (server i of a kind on host i mod n), which puts
 * node i and Sentinel i together: the Redis docs' Example 2, one Redis and one Sentinel per box.
 * A server's host depends only on the servers before it and its own pin, so adding a replica or a
 * Sentinel, pinned or not, never moves another one (a move replaces its container and resyncs its
 * data). Pins to unknown hosts are the validator's to report; here they fall back to the strategy.
 */
export function placeServers(
    hostNames: readonly string[],
    servers: readonly PlacedServer[],
    pins: Readonly<Record<string, string>> = {},
): Record<string, string> {
    if (hostNames.length === 0) throw new Error("placeServers needs at least one host");
    const load = new Map<string, number>();
    const count = (kind: ServerKind, host: string) => load.get(`${kind}@${host}`) ?? 0;
    const placement: Record<string, string> = {};
    for (const s of servers) {
        const pin = pins[s.name];
        const host =
            pin !== undefined && hostNames.includes(pin)
                ? pin
                : hostNames.reduce((best, h) => (count(s.kind, h) < count(s.kind, best) ? h : best));
        placement[s.name] = host;
        load.set(`${s.kind}@${host}`, count(s.kind, host) + 1);
    }
    return placement;
}

/**
 * A server placed on `host`: it keeps its static address on that host's network and its
 * published port (base + index, unique in the stack, so two servers of one kind on one host never
 * share a port, and moving a server never changes another's port), and announces the host's
 * address with that published port.
 */
function onHost(endpoint: Endpoint, host: PlanHost): Endpoint {
    return {
        ...endpoint,
        publishAddress: host.address,
        announce: { address: host.address, port: endpoint.hostPort },
        host: host.name,
    };
}

/** Every server with its host, by name; absent on a single host. */
export const placementOf = (plan: AddressPlan): Record<string, string> | undefined =>
    plan.hosts ? Object.fromEntries([...plan.nodes, ...plan.sentinels].map((e) => [e.name, e.host ?? ""])) : undefined;

export function planAddresses(input: AddressPlanInput): AddressPlan {
    const cidr = parseCidr(input.subnet);
    if (!cidr) throw new Error(`not a CIDR: ${input.subnet}`);
    const half = cidrSize(cidr) / 2;
    const at = (offset: number) => formatIpv4(cidr.base + offset);
    const singleNodes = Array.from({ length: input.nodeCount }, (_, i) => nodeEndpoint(input, i));
    const singleSentinels = Array.from({ length: input.sentinelCount }, (_, i) => sentinelEndpoint(input, i));
    const common = { subnet: input.subnet, gateway: at(1), dynamicRange: `${at(half)}/${cidr.prefix + 1}` };
    const { hosts } = input;
    if (!hosts) return { ...common, nodes: singleNodes, sentinels: singleSentinels };
    const placement = placeServers(
        hosts.map((h) => h.name),
        [
            ...singleNodes.map((n) => ({ name: n.name, kind: "redis" as const })),
            ...singleSentinels.map((n) => ({ name: n.name, kind: "sentinel" as const })),
        ],
        input.pins,
    );
    const place = (e: Endpoint) => {
        const host = hosts.find((h) => h.name === placement[e.name]);
        // placeServers picks only from `hosts`: a miss is a bug here, not a config error.
        if (!host) throw new Error(`${e.name} was placed on "${placement[e.name]}", which is not one of the hosts`);
        return onHost(e, host);
    };
    return { ...common, nodes: singleNodes.map(place), sentinels: singleSentinels.map(place), hosts };
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
