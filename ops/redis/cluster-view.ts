// One round of what the Sentinels and the master say, read on fresh connections (a server that
// was down a moment ago answers now); judged by sentinel-state.ts.
import { errorMessage } from "../deadline";
import { NodeEndpoint, nodesOf, PostDeployPlan, SentinelEndpoint, sentinelsOf } from "../../contracts/plan";
import { Auth, Credentials, directSentinel, nodeLogin, sentinelLogin, withDirectClient } from "./connect";
import { parseInfo } from "./replies";
import { SentinelReader } from "./sentinel-commands";
import { agreedMaster } from "./sentinels";
import { MasterReplication, SentinelView } from "./sentinel-state";

/** One Sentinel's view; a failed command is its `error`, never a rejection. */
export async function readSentinelView(sentinel: SentinelReader, name: string, masterName: string): Promise<SentinelView> {
    try {
        const [masterAddress, master, replicas] = await Promise.all([
            sentinel.masterAddress(masterName),
            sentinel.master(masterName),
            sentinel.replicas(masterName),
        ]);
        return { name, masterAddress, master, replicas };
    } catch (err) {
        return { name, error: errorMessage(err) };
    }
}

/** Every Sentinel of `sentinels` (default the plan's), each on a fresh connection. */
export const readSentinelViews = (
    plan: PostDeployPlan,
    credentials: Credentials,
    sentinels: readonly SentinelEndpoint[] = sentinelsOf(plan),
): Promise<SentinelView[]> =>
    Promise.all(
        sentinels.map(async (s) => {
            const client = directSentinel(s, sentinelLogin(credentials));
            try {
                return await readSentinelView(client, s.name, plan.masterName);
            } finally {
                client.disconnect();
            }
        }),
    );

export async function readMasterReplication(node: NodeEndpoint, password: Auth): Promise<MasterReplication> {
    try {
        return {
            address: node.announced,
            info: await withDirectClient(node, password, async (c) => parseInfo(await c.info("replication"))),
        };
    } catch (err) {
        return { address: node.announced, error: errorMessage(err) };
    }
}

/** Which servers a look at the cluster covers: default the plan's (a scale-down adds the nodes it removes; a fault test asks only running Sentinels). */
export interface ClusterScope {
    readonly nodes?: readonly NodeEndpoint[];
    readonly sentinels?: readonly SentinelEndpoint[];
}

export interface ClusterObservation {
    readonly views: SentinelView[];
    /** The node every asked Sentinel names, when they agree on one this scope knows. */
    readonly node?: NodeEndpoint;
    readonly master?: MasterReplication;
}

/** One round: every Sentinel's view, and the master's replication when they agree on a known node. */
export async function observeCluster(
    plan: PostDeployPlan,
    credentials: Credentials,
    scope: ClusterScope = {},
): Promise<ClusterObservation> {
    const sentinels = scope.sentinels ?? sentinelsOf(plan);
    const views = await readSentinelViews(plan, credentials, sentinels);
    const agreed = agreedMaster(views, sentinels.length);
    const node = (scope.nodes ?? nodesOf(plan)).find((n) => n.announced === agreed);
    return { views, node, master: node ? await readMasterReplication(node, nodeLogin(credentials)) : undefined };
}
