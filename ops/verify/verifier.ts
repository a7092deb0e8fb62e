import type Redis from "ioredis";
import { Credentials, directClient, directSentinel, nodeLogin, sentinelLogin } from "../redis/connect";
import { parseInfo } from "../redis/replies";
import { nodeCommands } from "../redis/node-commands";
import { Connection } from "../redis/send";
import { SentinelReader } from "../redis/sentinel-commands";
import {
    KeyObservation,
    NodeObservation,
    persistenceChecks,
    reachabilityCheck,
    replicationChecks,
    sampleKeys,
    SentinelObservation,
    sentinelChecks,
    warmChecks,
} from "./checks";
import { nodesOf, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { buildReport, Check, check, VerificationReport } from "./report";
import { healthSummary } from "./health";
import { certificateExpiryChecks } from "./tls-expiry";
import { acceptableTtlRange } from "../warm/ttl";

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function observeNode(
    client: Redis,
    node: { name: string; announced: string },
    directives: readonly string[],
): Promise<NodeObservation> {
    try {
        await client.connect();
        const admin = nodeCommands(client);
        const config: Record<string, string> = {};
        for (const d of directives) Object.assign(config, await admin.configGet(d));
        const [persistence, replication, memory, stats, lastSave, [serverSeconds]] = await Promise.all([
            client.info("persistence"),
            client.info("replication"),
            client.info("memory"),
            client.info("stats"),
            client.lastsave(),
            client.time(),
        ]);
        return {
            ...node,
            config,
            persistence: parseInfo(persistence),
            replication: parseInfo(replication),
            memory: parseInfo(memory),
            stats: parseInfo(stats),
            lastSaveAgeSeconds: Number(serverSeconds) - Number(lastSave),
        };
    } catch (err) {
        return { ...node, error: message(err) };
    }
}

async function observeSentinel(sentinel: SentinelReader & Connection, name: string, masterName: string): Promise<SentinelObservation> {
    try {
        await sentinel.connect();
        const masterAddress = await sentinel.masterAddress(masterName);
        const master = (await sentinel.master(masterName)).fields;
        const ckquorum = await sentinel.ckquorum(masterName).then(
            (reply) => ({ ok: true, message: reply }),
            (err: unknown) => ({ ok: false, message: message(err) }),
        );
        return { name, masterAddress, master, ckquorum };
    } catch (err) {
        return { name, error: message(err) };
    }
}

async function observeKeys(client: Redis, keys: readonly string[]): Promise<KeyObservation[]> {
    if (keys.length === 0) return [];
    const pipeline = client.pipeline();
    for (const key of keys) pipeline.ttl(key);
    const replies = (await pipeline.exec()) ?? [];
    return keys.map((key, i) => ({ key, ttl: Number(replies[i]?.[1] ?? -2) }));
}

/** Warmed keys the master holds, for a verification run without a warm report of its own. */
export async function findWarmedKeys(client: Redis, limit: number): Promise<string[]> {
    const found: string[] = [];
    for (const pattern of ["screenshots:*", "metadata:*"]) {
        let cursor = "0";
        do {
            const [next, keys] = await client.scan(cursor, "MATCH", pattern, "COUNT", 500);
            found.push(...keys);
            cursor = next;
        } while (cursor !== "0" && found.length < limit * 4);
    }
    return found.sort();
}

export interface VerifyOptions {
    /** Keys the warmer wrote or found fresh; when absent, the master is scanned for warmed keys. */
    readonly expectedKeys?: readonly string[];
}

/** Checks the live cluster against the plan: persistence, replication, Sentinel quorum, warmed keys. */
export async function verify(plan: PostDeployPlan, credentials: Credentials, options: VerifyOptions = {}): Promise<VerificationReport> {
    const clients: Connection[] = [];
    const track = <C extends Connection>(c: C): C => {
        clients.push(c);
        return c;
    };
    try {
        const directives = Object.keys(plan.expected.redisConfig);
        const nodeLinks = nodesOf(plan).map((node) => ({ node, client: track(directClient(node, nodeLogin(credentials))) }));
        const nodeClients = new Map(nodeLinks.map(({ node, client }) => [node.name, client]));
        const nodes = await Promise.all(nodeLinks.map(({ node, client }) => observeNode(client, node, directives)));
        const sentinels = await Promise.all(
            sentinelsOf(plan).map((s) => observeSentinel(track(directSentinel(s, sentinelLogin(credentials))), s.name, plan.masterName)),
        );

        const checks: Check[] = [];
        for (const node of nodes) {
            checks.push(reachabilityCheck("node", node.name, node.error));
            checks.push(...persistenceChecks(node, plan.expected.redisConfig, plan.verifier.lastSaveMaxAgeSeconds));
        }
        const replication = replicationChecks(nodes, plan.expected.replicas, plan.verifier.maxReplicaLagBytes);
        checks.push(...replication.checks);
        checks.push(
            ...sentinelChecks(
                sentinels,
                plan.expected.sentinels,
                plan.expected.replicas,
                replication.master?.announced,
                plan.expected.sentinelConfig,
            ),
        );

        // On a TLS stack: every server's certificate has more than the renewal window left (its
        // handshake also proves the server serves TLS with a leaf of the stack's CA).
        if (credentials.tls) checks.push(...(await certificateExpiryChecks([...nodesOf(plan), ...sentinelsOf(plan)], credentials.tls)));

        if (plan.warmer.enabled) {
            const master = replication.master ? nodeClients.get(replication.master.name) : undefined;
            const expected = options.expectedKeys ?? (master ? await findWarmedKeys(master, plan.verifier.sampleSize) : []);
            checks.push(check("warm.keys", "at least 1 warmed key", expected.length, expected.length > 0));
            const sample = sampleKeys(expected, plan.verifier.sampleSize);
            const { cache, warmer } = plan;
            const ranges = {
                screenshots: acceptableTtlRange(cache.screenshotsTtlSeconds, cache.ttlJitterPercent, warmer.refreshBelowTtlFraction),
                metadata: acceptableTtlRange(cache.metadataTtlSeconds, cache.ttlJitterPercent, warmer.refreshBelowTtlFraction),
            };
            const rangeOf = (key: string) => (key.startsWith("metadata:") ? ranges.metadata : ranges.screenshots);
            // The observations are in the plan's order, as the links.
            for (const [i, node] of nodes.entries()) {
                if (node.error) continue;
                checks.push(...warmChecks(node.name, await observeKeys(nodeLinks[i].client, sample), rangeOf));
            }
        }
        const health = healthSummary(nodes, {
            ...plan.health,
            replicaMaxLagSeconds: Number(plan.expected.redisConfig["min-replicas-max-lag"] ?? 10),
            lastSaveMaxAgeSeconds: plan.verifier.lastSaveMaxAgeSeconds,
        });
        return { ...buildReport(plan.stack, checks), health };
    } finally {
        for (const c of clients) c.disconnect();
    }
}

/**
 * Verifies until every check passes or `settleSeconds` run out: right after containers are
 * replaced, replicas are still resyncing and Sentinels still re-agreeing. The last report counts.
 */
export async function verifyUntilSettled(
    plan: PostDeployPlan,
    credentials: Credentials,
    options: VerifyOptions = {},
    settleSeconds = plan.verifier.settleSeconds,
): Promise<VerificationReport> {
    const deadline = Date.now() + settleSeconds * 1000;
    for (;;) {
        const report = await verify(plan, credentials, options);
        if (report.ok || Date.now() >= deadline) return report;
        await new Promise((r) => setTimeout(r, 2000));
    }
}
