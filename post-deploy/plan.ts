import { HostPort, buildConnectionInfo } from "../config/connection-info";
import { DrillConfig, VerifierConfig, WarmerConfig } from "../config/schema";
import { memoryBytes, StackSettings } from "../config/validate";
import { TtlPolicy } from "./ttl";

/**
 * The environment the stack's post-deploy command sets for the CLI: the plan as JSON (no secrets
 * in it) and the two passwords. Kept here, with the plan, so the Pulumi program needs nothing of
 * the CLI layer (ioredis, the store clients) to declare the command.
 */
export const PLAN_ENV = "APPSCREENS_POST_DEPLOY";
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD";
export const SENTINEL_PASSWORD_ENV = "REDIS_SENTINEL_PASSWORD";

export interface NodeEndpoint {
    readonly name: string;
    /** `address:port` the node announces inside the stack's network. */
    readonly announced: string;
    /** Where the Pulumi host reaches it (published port). */
    readonly host: string;
    readonly port: number;
}

/** The persistence settings every node must show (CONFIG GET values). */
export interface ExpectedPersistence {
    readonly save: string;
    readonly appendonly: string;
    readonly appendfsync: string;
    readonly "aof-use-rdb-preamble": string;
    readonly appenddirname: string;
    readonly maxmemory: string;
    readonly "maxmemory-policy": string;
}

/** Everything the warmer and verifier need except the passwords: safe to log and to keep in state. */
export interface PostDeployPlan {
    readonly stack: string;
    readonly masterName: string;
    readonly sentinels: readonly HostPort[];
    readonly sentinelsInNetwork: readonly HostPort[];
    readonly natMap: Readonly<Record<string, HostPort>>;
    readonly nodes: readonly NodeEndpoint[];
    readonly sentinelNodes: readonly (HostPort & { readonly name: string })[];
    readonly expected: { readonly replicas: number; readonly sentinels: number; readonly persistence: ExpectedPersistence };
    readonly cache: TtlPolicy;
    readonly warmer: WarmerConfig;
    readonly verifier: VerifierConfig;
    readonly drill: DrillConfig;
}

/** Pure: the validated settings decide every address and expectation. */
export function buildPostDeployPlan(settings: StackSettings): PostDeployPlan {
    const { cluster, plan } = settings;
    const info = buildConnectionInfo(settings);
    const host = cluster.publish.host;
    const r = cluster.redis;
    return {
        stack: settings.stack,
        masterName: info.masterName,
        sentinels: info.sentinelEndpoints,
        sentinelsInNetwork: info.sentinelEndpointsInNetwork,
        natMap: info.natMap,
        nodes: plan.nodes.map((n) => ({ name: n.name, announced: `${n.address}:${n.port}`, host, port: n.hostPort })),
        sentinelNodes: plan.sentinels.map((s) => ({ name: s.name, host, port: s.hostPort })),
        expected: {
            replicas: cluster.replicas,
            sentinels: cluster.sentinels,
            persistence: {
                save: r.save.join(" "),
                appendonly: r.appendonly ? "yes" : "no",
                appendfsync: r.appendfsync,
                "aof-use-rdb-preamble": r.aofUseRdbPreamble ? "yes" : "no",
                appenddirname: "appendonlydir",
                maxmemory: String(memoryBytes(r.maxmemory)),
                "maxmemory-policy": r.maxmemoryPolicy,
            },
        },
        cache: cluster.cache,
        warmer: cluster.warmer,
        verifier: cluster.verifier,
        drill: cluster.drill,
    };
}
