// Waits on the cluster's state before and after a failover, each with a deadline and an error
// that carries what the Sentinels said last.
import { NodeEndpoint, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { waitUntil, WaitTimeout } from "../deadline";
import { ClusterObservation, ClusterScope, observeCluster, readSentinelViews } from "../redis/cluster-view";
import { Credentials } from "../redis/connect";
import { agreedMaster } from "../redis/sentinels";
import { describeClusterView, SentinelView, settleProblems } from "../redis/sentinel-state";

/** The cluster did not settle in time; `view` is what the Sentinels and the master said last. */
export class ClusterUnsettled extends Error {
    readonly kind = "not-settled" as const;
    constructor(
        readonly timeoutMs: number,
        readonly problems: readonly string[],
        readonly view: string,
    ) {
        super(
            `the cluster did not settle within ${(timeoutMs / 1000).toFixed(1)} s (${problems.join("; ") || "not observed"}); the Sentinels' view:\n${view}`,
        );
        this.name = "ClusterUnsettled";
    }
}

export interface SettleOptions extends ClusterScope {
    readonly timeoutMs: number;
    /** Linked replicas a settled cluster has; default every replica the plan declares. */
    readonly replicas?: number;
}

/**
 * Waits until the cluster has settled (settleProblems) and returns its master. Needed before a
 * failover: one still running makes its Sentinel answer -INPROG, and right after one the old
 * master reports itself master for about 10 s, which a second failover can trip over
 * (-NOGOODSLAVE, or an accepted failover that gives up).
 */
export async function waitForSettledCluster(plan: PostDeployPlan, credentials: Credentials, options: SettleOptions): Promise<NodeEndpoint> {
    const expected = {
        sentinels: (options.sentinels ?? sentinelsOf(plan)).length,
        replicas: options.replicas ?? plan.expected.replicas,
    };
    let last: ClusterObservation | undefined;
    let problems: string[] = [];
    try {
        return await waitUntil(
            "the cluster settling",
            async () => {
                last = await observeCluster(plan, credentials, options);
                problems = settleProblems(last.views, last.master, expected);
                return problems.length === 0 ? last.node : undefined;
            },
            options.timeoutMs,
            200,
        );
    } catch (err) {
        if (!(err instanceof WaitTimeout)) throw err;
        throw new ClusterUnsettled(options.timeoutMs, problems, describeClusterView(last?.views ?? [], last?.master));
    }
}

/** No failover came: the Sentinels still named `from` (or disagreed) at the deadline; `view` is what they said. */
export class MasterDidNotMove extends Error {
    readonly kind = "no-failover" as const;
    constructor(
        readonly from: string,
        readonly timeoutMs: number,
        readonly view: string,
    ) {
        super(`the Sentinels did not agree on a master other than ${from} within ${(timeoutMs / 1000).toFixed(1)} s; their view:\n${view}`);
        this.name = "MasterDidNotMove";
    }
}

/**
 * Waits until every Sentinel of `scope` names one master other than `from` (announced
 * `address:port`): the failover a fault was meant to cause has happened. Returns its address.
 */
export async function waitForMasterMoved(
    plan: PostDeployPlan,
    credentials: Credentials,
    from: string,
    timeoutMs: number,
    scope: ClusterScope = {},
): Promise<string> {
    const sentinels = scope.sentinels ?? sentinelsOf(plan);
    let views: SentinelView[] = [];
    try {
        return await waitUntil(
            `the Sentinels naming a master other than ${from}`,
            async () => {
                views = await readSentinelViews(plan, credentials, sentinels);
                const agreed = agreedMaster(views, sentinels.length);
                return agreed && agreed !== from ? agreed : undefined;
            },
            timeoutMs,
            100,
        );
    } catch (err) {
        if (!(err instanceof WaitTimeout)) throw err;
        throw new MasterDidNotMove(from, timeoutMs, describeClusterView(views));
    }
}
