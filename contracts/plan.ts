import { z } from "zod";
import { buildConnectionInfo } from "../settings/connection-info";
import { cacheSchema, drillSchema, verifierSchema, warmerSchema } from "../settings/schema";
import { StackSettings } from "../settings/validate";
import { expectedValues, REDIS_DIRECTIVES, SENTINEL_DIRECTIVES } from "../render/directives";

/**
 * The environment the stack's post-deploy command sets for the CLI: the plan as JSON (no secrets
 * in it) and the two passwords. Kept here, with the plan, so the Pulumi program needs nothing of
 * the CLI layer (ioredis, the store clients) to declare the command.
 */
export const PLAN_ENV = "APPSCREENS_POST_DEPLOY";
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD";
export const SENTINEL_PASSWORD_ENV = "REDIS_SENTINEL_PASSWORD";

const hostPortSchema = z.strictObject({ host: z.string().min(1), port: z.int().min(1).max(65535) }).readonly();

export const nodeEndpointSchema = z
    .strictObject({
        name: z.string().min(1),
        /** `address:port` the node announces inside the stack's network. */
        announced: z.string().regex(/^[^:\s]+:[0-9]+$/, { error: "must be <address>:<port>" }),
        /** Where the Pulumi host reaches it (published port). */
        host: z.string().min(1),
        port: z.int().min(1).max(65535),
    })
    .readonly();
export type NodeEndpoint = z.infer<typeof nodeEndpointSchema>;

/** Directive -> the value a server must show (CONFIG GET on nodes, SENTINEL MASTER on Sentinels). */
const expectedConfigSchema = z.record(z.string(), z.string()).readonly();
export type ExpectedConfig = z.infer<typeof expectedConfigSchema>;

/**
 * Everything the warmer and verifier need except the passwords: safe to log and to keep in state.
 * It crosses a process boundary (the post-deploy command's environment), so it is a schema: the
 * CLI checks what it reads against the same definition the program's type comes from.
 */
export const postDeployPlanSchema = z
    .strictObject({
        stack: z.string().min(1),
        masterName: z.string().min(1),
        sentinels: z.array(hostPortSchema).min(1).readonly(),
        sentinelsInNetwork: z.array(hostPortSchema).min(1).readonly(),
        natMap: z.record(z.string(), hostPortSchema).readonly(),
        nodes: z.array(nodeEndpointSchema).min(1).readonly(),
        sentinelNodes: z
            .array(z.strictObject({ name: z.string().min(1), host: z.string().min(1), port: z.int().min(1).max(65535) }).readonly())
            .min(1)
            .readonly(),
        expected: z
            .strictObject({
                replicas: z.int().min(0),
                sentinels: z.int().min(1),
                /** From the directive table (render/directives.ts), like the renderer and the settings step. */
                redisConfig: expectedConfigSchema,
                sentinelConfig: expectedConfigSchema,
            })
            .readonly(),
        /** What decides every server's address and port, so tools can name servers a scale-down removed. */
        addressing: z
            .strictObject({
                subnet: z.string().min(1),
                host: z.string().min(1),
                redisBasePort: z.int().min(1).max(65535),
                sentinelBasePort: z.int().min(1).max(65535),
            })
            .readonly(),
        /** The whole post-deploy command's deadline. */
        deadlineSeconds: z.number().positive(),
        /** The verifier's health warnings use the alerting rules' thresholds (metrics.alerts). */
        health: z.strictObject({ memoryUsedRatio: z.number().min(0).max(1), hitRatioFloor: z.number().min(0).max(1) }).readonly(),
        cache: cacheSchema.readonly(),
        warmer: warmerSchema,
        verifier: verifierSchema,
        drill: drillSchema,
    })
    .readonly();
export type PostDeployPlan = z.infer<typeof postDeployPlanSchema>;

/** Why a plan read from the environment was refused; `field` is the first offending one (`nodes[0].port`). */
export class PlanError extends Error {
    constructor(
        readonly kind: "not-json" | "malformed",
        readonly field: string | undefined,
        message: string,
    ) {
        super(message);
    }
}

const fieldName = (path: readonly PropertyKey[]): string =>
    path
        .map((p, i) => {
            if (typeof p === "number") return `[${p}]`;
            const key = String(p);
            return /^[A-Za-z_][A-Za-z0-9_-]*$/.test(key) ? `${i ? "." : ""}${key}` : `[${JSON.stringify(key)}]`;
        })
        .join("") || "(the plan itself)";

/** The plan the post-deploy command put in `PLAN_ENV`, checked field by field. */
export function parsePostDeployPlan(text: string): PostDeployPlan {
    const fix = `it is written by the stack's post-deploy command; run the CLI with --stack <name> instead, or \`pulumi up\` to rewrite it`;
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        throw new PlanError("not-json", undefined, `${PLAN_ENV} is not JSON (${(err as Error).message}); ${fix}`);
    }
    const parsed = postDeployPlanSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const [first] = parsed.error.issues;
    const field = fieldName(first.path);
    const others = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more)` : "";
    throw new PlanError("malformed", field, `${PLAN_ENV} is malformed at ${field}: ${first.message}${others}; ${fix}`);
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
        health: { memoryUsedRatio: cluster.metrics.alerts.memoryUsedRatio, hitRatioFloor: cluster.metrics.alerts.hitRatioFloor },
        cache: cluster.cache,
        warmer: cluster.warmer,
        verifier: cluster.verifier,
        drill: cluster.drill,
    };
}
