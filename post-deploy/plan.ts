import { HostPort, buildConnectionInfo } from "../config/connection-info";
import { DrillConfig, VerifierConfig, WarmerConfig } from "../config/schema";
import { StackSettings } from "../config/validate";
import { expectedValues, REDIS_DIRECTIVES, SENTINEL_DIRECTIVES } from "../config-templates/directives";
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

/** Directive -> the value a server must show (CONFIG GET on nodes, SENTINEL MASTER on Sentinels). */
export type ExpectedConfig = Readonly<Record<string, string>>;

/** What decides every server's address and port, so tools can name servers a scale-down removed. */
export interface Addressing {
    readonly subnet: string;
    readonly host: string;
    readonly redisBasePort: number;
    readonly sentinelBasePort: number;
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
    readonly expected: {
        readonly replicas: number;
        readonly sentinels: number;
        /** From the directive table (config-templates/directives.ts), like the renderer and the settings step. */
        readonly redisConfig: ExpectedConfig;
        readonly sentinelConfig: ExpectedConfig;
    };
    readonly addressing: Addressing;
    /** The whole post-deploy command's deadline. */
    readonly deadlineSeconds: number;
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
            redisConfig: expectedValues(REDIS_DIRECTIVES, settings, plan.nodes[0]),
            sentinelConfig: expectedValues(SENTINEL_DIRECTIVES, settings, plan.sentinels[0]),
        },
        addressing: {
            subnet: plan.subnet,
            host,
            redisBasePort: cluster.publish.redisBasePort,
            sentinelBasePort: cluster.publish.sentinelBasePort,
        },
        deadlineSeconds: cluster.deadlines.postDeploySeconds,
        cache: cluster.cache,
        warmer: cluster.warmer,
        verifier: cluster.verifier,
        drill: cluster.drill,
    };
}
