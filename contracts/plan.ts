import { z } from "zod";
import { Endpoint, memberKey, SERVER_KINDS } from "../settings/address-plan";
import { HostPort } from "../settings/connection-info";
import { cacheSchema, drillSchema, verifierSchema, warmerSchema } from "../settings/schema";
import { StackSettings } from "../settings/validate";
import { Directive, DirectiveName, DirectiveValues, expectedValues, REDIS_DIRECTIVES, SENTINEL_DIRECTIVES } from "../render/directives";
import { parseCheckedJson } from "./checked-json";
import { dockerHostRef, dockerHostRefSchema } from "./docker-hosts";
import { PASSWORD_ENV, PLAN_ENV } from "./env";
import { UsersCredentials, usersEnvironment } from "./users-env";

/**
 * The environment the stack's post-deploy command sets for the CLI: the plan as JSON (no secrets
 * in it) and the two passwords. Kept here, with the plan, so the Pulumi program needs nothing of
 * the CLI layer (ioredis, the store clients) to declare the command; the CLI reads it back with
 * parsePostDeployPlan and the operations CLIs' password lookup (cli/common.ts).
 */
export function postDeployEnvironment(
    plan: PostDeployPlan,
    passwords: { readonly redisPassword: string; readonly sentinelPassword: string } | { readonly users: UsersCredentials },
): Record<string, string> {
    // On a users stack the logins (the tools' and the warmer's) cross instead of `default`'s passwords.
    if ("users" in passwords) return { [PLAN_ENV]: JSON.stringify(plan), ...usersEnvironment(passwords.users) };
    return {
        [PLAN_ENV]: JSON.stringify(plan),
        [PASSWORD_ENV.redis]: passwords.redisPassword,
        [PASSWORD_ENV.sentinel]: passwords.sentinelPassword,
    };
}

/**
 * One server of the stack, node or Sentinel, in the one shape every tool reads: the Sentinel
 * lists and ioredis's natMap are derived from these (nodesOf, sentinelsOf, sentinelAddresses,
 * natMapOf), never carried beside them.
 */
export const planServerSchema = z
    .strictObject({
        name: z.string().min(1),
        kind: z.enum(SERVER_KINDS),
        /** `address:port` the server announces inside the stack's network (what Sentinels and replicas name). */
        announced: z.string().regex(/^[^:\s]+:[0-9]+$/, { error: "must be <address>:<port>" }),
        /** Its published address: where the Pulumi host reaches it. */
        host: z.string().min(1),
        port: z.int().min(1).max(65535),
        /** The host its container runs on (`cluster.hosts[].name`); absent on a single host. */
        dockerHost: z.string().min(1).optional(),
    })
    .readonly();
export type PlanServer = z.infer<typeof planServerSchema>;
export type NodeEndpoint = PlanServer & { readonly kind: "redis" };
export type SentinelEndpoint = PlanServer & { readonly kind: "sentinel" };

/** Directive -> the value a server must show (CONFIG GET on nodes, SENTINEL MASTER on Sentinels). */
const expectedConfigSchema = <N extends DirectiveName>(table: readonly Directive<N>[]) =>
    z.partialRecord(z.enum(table.map((d) => d.name)), z.string()).readonly();
/** Keyed by the table's own names: a directive the table does not have is refused, and a typo does not compile. */
export type ExpectedConfig = Readonly<DirectiveValues>;

/**
 * Everything the warmer and verifier need except the passwords: safe to log and to keep in state.
 * It crosses a process boundary (the post-deploy command's environment), so it is a schema: the
 * CLI checks what it reads against the same definition the program's type comes from.
 */
export const postDeployPlanSchema = z
    .strictObject({
        stack: z.string().min(1),
        masterName: z.string().min(1),
        /** Nodes first, then Sentinels, each kind by index. */
        servers: z
            .array(planServerSchema)
            .readonly()
            .refine((servers) => SERVER_KINDS.every((kind) => servers.some((s) => s.kind === kind)), {
                error: "must hold at least one node and one Sentinel",
            })
            .refine((servers) => new Set(servers.map((s) => s.name)).size === servers.length, { error: "names a server twice" }),
        expected: z
            .strictObject({
                replicas: z.int().min(0),
                sentinels: z.int().min(1),
                /** From the directive table (render/directives.ts), like the renderer and the settings step. */
                redisConfig: expectedConfigSchema(REDIS_DIRECTIVES),
                sentinelConfig: expectedConfigSchema(SENTINEL_DIRECTIVES),
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
        /**
         * With `hosts`: each host's name and Docker endpoint, so the tools reach a server's container
         * on its own engine (ops/docker/engines.ts). No PEM: a tcp:// host's TLS material travels in
         * DOCKER_TLS_ENV, a secret. Absent on a single host, so such a plan is what it was before.
         */
        dockerHosts: z.array(dockerHostRefSchema).min(1).readonly().optional(),
        /** The whole post-deploy command's deadline. */
        deadlineSeconds: z.number().positive(),
        /** The verifier's health warnings use the alerting rules' thresholds (metrics.alerts). */
        health: z.strictObject({ memoryUsedRatio: z.number().min(0).max(1), hitRatioFloor: z.number().min(0).max(1) }).readonly(),
        cache: cacheSchema.readonly(),
        warmer: warmerSchema,
        verifier: verifierSchema,
        drill: drillSchema,
    })
    .refine(
        (plan) =>
            plan.dockerHosts === undefined
                ? plan.servers.every((s) => s.dockerHost === undefined)
                : plan.servers.every((s) => plan.dockerHosts?.some((h) => h.name === s.dockerHost)),
        { error: "every server must name one of dockerHosts as its dockerHost (or, on a single host, none may)", path: ["servers"] },
    )
    .readonly();
export type PostDeployPlan = z.infer<typeof postDeployPlanSchema>;

/** Why a plan read from the environment was refused; `field` is the first offending one (`servers[0].port`). */
export class PlanError extends Error {
    constructor(
        readonly kind: "not-json" | "malformed",
        readonly field: string | undefined,
        message: string,
    ) {
        super(message);
    }
}

/** The plan the post-deploy command put in `PLAN_ENV`, checked field by field. */
export function parsePostDeployPlan(text: string): PostDeployPlan {
    const fix = `it is written by the stack's post-deploy command; run the CLI with --stack <name> instead, or \`pulumi up\` to rewrite it`;
    const checked = parseCheckedJson(postDeployPlanSchema, text, "(the plan itself)");
    if (checked.ok) return checked.data;
    const { kind, field, detail } = checked.refusal;
    throw kind === "not-json"
        ? new PlanError(kind, undefined, `${PLAN_ENV} is not JSON (${detail}); ${fix}`)
        : new PlanError(kind, field, `${PLAN_ENV} is malformed at ${field}: ${detail}; ${fix}`);
}

/** Pure: the validated settings decide every address and expectation. */
export function buildPostDeployPlan(settings: StackSettings): PostDeployPlan {
    const { cluster, plan } = settings;
    const host = cluster.publish.host;
    const server = (kind: PlanServer["kind"], e: Endpoint): PlanServer => ({
        name: e.name,
        kind,
        announced: memberKey(e.announce),
        host: e.publishAddress,
        port: e.hostPort,
        ...(e.host === undefined ? {} : { dockerHost: e.host }),
    });
    return {
        stack: settings.stack,
        masterName: cluster.sentinel.masterName,
        servers: [...plan.nodes.map((n) => server("redis", n)), ...plan.sentinels.map((s) => server("sentinel", s))],
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
        ...(cluster.hosts ? { dockerHosts: cluster.hosts.map(dockerHostRef) } : {}),
        deadlineSeconds: cluster.deadlines.postDeploySeconds,
        health: { memoryUsedRatio: cluster.metrics.alerts.memoryUsedRatio, hitRatioFloor: cluster.metrics.alerts.hitRatioFloor },
        cache: cluster.cache,
        warmer: cluster.warmer,
        verifier: cluster.verifier,
        drill: cluster.drill,
    };
}

/** From the Pulumi host through published ports, or from a container on the stack's network. */
export type Vantage = "host" | "network";

/** The plan's servers, as the derivations below need them (a hand-built plan in tests and bench too). */
export type Topology = Pick<PostDeployPlan, "servers">;

const isNode = (s: PlanServer): s is NodeEndpoint => s.kind === "redis";
const isSentinel = (s: PlanServer): s is SentinelEndpoint => s.kind === "sentinel";

export const nodesOf = (plan: Topology): NodeEndpoint[] => plan.servers.filter(isNode);
export const sentinelsOf = (plan: Topology): SentinelEndpoint[] => plan.servers.filter(isSentinel);

/** `172.28.0.40:26379` -> its parts. */
export function announcedAddress(server: PlanServer): HostPort {
    const cut = server.announced.lastIndexOf(":");
    return { host: server.announced.slice(0, cut), port: Number(server.announced.slice(cut + 1)) };
}

/** The Sentinels as a client at `vantage` reaches them: published on the host, announced on the network. */
export const sentinelAddresses = (plan: Topology, vantage: Vantage): HostPort[] =>
    sentinelsOf(plan).map((s) => (vantage === "host" ? { host: s.host, port: s.port } : announcedAddress(s)));

/**
 * Announced `address:port` of each node and Sentinel -> where the host reaches it, for ioredis's
 * `natMap` (the stack output of the same name, settings/connection-info.ts, holds the same).
 */
export const natMapOf = (plan: Topology): Record<string, HostPort> =>
    Object.fromEntries(plan.servers.map((s) => [s.announced, { host: s.host, port: s.port }]));
