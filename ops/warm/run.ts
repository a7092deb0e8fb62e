// The warm sequence against a stack's cluster, as `npm run warm`, the post-deploy command and the
// bench run it: the plan's settings become the warmer's options, the cluster is reached through
// Sentinel, and the client is closed however the run ends.
import { PostDeployPlan, sentinelAddresses, Vantage } from "../../contracts/plan";
import { PROJECT_DIR } from "../../settings/stack-file";
import { Credentials, directSentinel, sentinelClient, sentinelLogin } from "../redis/connect";
import { readSentinel, ReconcileTarget, sentinelView } from "./reconcile";
import { createSources, topNOf } from "./sources";
import { AppSource } from "./sources/types";
import { DEFAULT_KEY_SAMPLE, ProgressEvent, warm, WarmOptions, WarmReport } from "./warmer";

export interface WarmRunOptions {
    /** Rewrite every key, not only those below the refresh threshold. */
    readonly force: boolean;
    readonly vantage: Vantage;
    readonly progress?: (event: ProgressEvent) => void;
}

/** The warmer's options from the plan: the one place the plan's fields become the warmer's. */
export function warmOptionsFor(plan: PostDeployPlan, options: Pick<WarmRunOptions, "force" | "progress">): WarmOptions {
    const { warmer } = plan;
    return {
        ttl: plan.cache,
        topN: topNOf(warmer),
        explicitApps: warmer.apps,
        refreshBelowTtlFraction: warmer.refreshBelowTtlFraction,
        force: options.force,
        batchSize: warmer.batchSize,
        batchesInFlight: warmer.batchesInFlight,
        confirmEveryBatches: warmer.confirmEveryBatches,
        waitTimeoutMs: warmer.waitTimeoutMs,
        waitReplicas: plan.expected.replicas,
        descriptionMaxChars: warmer.descriptionMaxChars,
        // The verifier checks at most this many keys: a larger sample would only grow the report.
        keySampleSize: Math.max(plan.verifier.sampleSize, DEFAULT_KEY_SAMPLE),
        progress: options.progress,
    };
}

/** The warmer's view of a cluster, and how to let go of it when the run ends. */
export type WarmCluster = ReconcileTarget & { close(): void };

/**
 * The plan's cluster through Sentinel from `vantage`: a client that follows the master (a fresh
 * one after a failover) and the Sentinels' view of who the master is and which replicas are up.
 */
export function sentinelWarmCluster(plan: PostDeployPlan, credentials: Credentials, vantage: Vantage): WarmCluster {
    let client = sentinelClient(plan, credentials, vantage);
    const sentinels = sentinelAddresses(plan, vantage);
    return {
        client: () => client,
        reresolve: async () => {
            client.disconnect();
            client = sentinelClient(plan, credentials, vantage);
        },
        sentinelView: async () => {
            const readings = await Promise.all(
                sentinels.map(async (endpoint) => {
                    const sentinel = directSentinel(endpoint, sentinelLogin(credentials));
                    try {
                        return await readSentinel(sentinel, `${endpoint.host}:${endpoint.port}`, plan.masterName);
                    } finally {
                        sentinel.disconnect();
                    }
                }),
            );
            return sentinelView(readings, sentinels.length);
        },
        close: () => client.disconnect(),
    };
}

/** What a warm run talks to; the live cluster and the stores by default, fakes in the unit tests. */
export interface WarmRunDeps {
    readonly cluster: (plan: PostDeployPlan, credentials: Credentials, vantage: Vantage) => WarmCluster;
    readonly sources: (plan: PostDeployPlan) => readonly AppSource[];
}

export const LIVE_WARM_DEPS: WarmRunDeps = {
    cluster: sentinelWarmCluster,
    sources: (plan) => createSources(plan.warmer, PROJECT_DIR),
};

/** Runs the warmer against the plan's cluster through Sentinel. */
export async function runWarm(
    plan: PostDeployPlan,
    credentials: Credentials,
    options: WarmRunOptions,
    deps: WarmRunDeps = LIVE_WARM_DEPS,
): Promise<WarmReport> {
    const cluster = deps.cluster(plan, credentials, options.vantage);
    try {
        return await warm(cluster, deps.sources(plan), warmOptionsFor(plan, options));
    } finally {
        cluster.close();
    }
}
