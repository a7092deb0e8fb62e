import { PASSWORD_ENV } from "../contracts/env";
import { StackSettings } from "./validate";

export interface HostPort {
    readonly host: string;
    readonly port: number;
}

export interface ConnectionInfo {
    readonly masterName: string;
    /** Sentinels as the Pulumi host (and anything on it) reaches them: published ports. */
    readonly sentinelEndpoints: readonly HostPort[];
    /** Sentinels as containers on the stack's network reach them. */
    readonly sentinelEndpointsInNetwork: readonly HostPort[];
    /**
     * Announced `address:port` of each node and Sentinel -> published host port, for ioredis's
     * `natMap`. The Sentinels are in it because ioredis adds the Sentinels it discovers
     * (`updateSentinels`) at their announced addresses through the same map: unmapped, a stopped
     * Sentinel's address is a black hole from the host, and a failover waits on TCP timeouts.
     */
    readonly natMap: Readonly<Record<string, HostPort>>;
    readonly publishedPorts: Readonly<Record<string, number>>;
    readonly ioredisExample: string;
}

/** What an app needs to connect, derived from the validated settings alone. */
export function buildConnectionInfo(settings: StackSettings): ConnectionInfo {
    const { plan, cluster } = settings;
    const host = cluster.publish.host;
    const sentinelEndpoints = plan.sentinels.map((s) => ({ host, port: s.hostPort }));
    const natMap = Object.fromEntries(
        [...plan.nodes, ...plan.sentinels].map((n) => [`${n.address}:${n.port}`, { host, port: n.hostPort }]),
    );
    const example = [
        'import Redis from "ioredis";',
        "",
        "// From the host; inside the stack's Docker network use sentinelEndpointsInNetwork and drop natMap.",
        "const redis = new Redis({",
        `  sentinels: ${JSON.stringify(sentinelEndpoints)},`,
        `  name: ${JSON.stringify(cluster.sentinel.masterName)},`,
        `  password: process.env.${PASSWORD_ENV.redis}, // stack output redisPassword`,
        `  sentinelPassword: process.env.${PASSWORD_ENV.sentinel}, // stack output sentinelPassword`,
        "  failoverDetector: true, // leave a demoted master within about a second",
        `  natMap: ${JSON.stringify(natMap)},`,
        "});",
    ].join("\n");
    return {
        masterName: cluster.sentinel.masterName,
        sentinelEndpoints,
        sentinelEndpointsInNetwork: plan.sentinels.map((s) => ({ host: s.address, port: s.port })),
        natMap,
        publishedPorts: Object.fromEntries([...plan.nodes, ...plan.sentinels].map((e) => [e.name, e.hostPort])),
        ioredisExample: example,
    };
}

/** The stack outputs as the app, the warmer and the verifier read them. */
export interface StackOutputs extends Omit<ConnectionInfo, "natMap"> {
    readonly natMap: Record<string, HostPort>;
    readonly networkName: string;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
}
