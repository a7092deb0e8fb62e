import { randomBytes } from "node:crypto";
import { MAX_NODES, MAX_SENTINELS, memberKey, nodeEndpoint, sentinelEndpoint } from "../../settings/address-plan";
import { Credentials, directClient, directSentinel, nodeLogin, sentinelLogin } from "../redis/connect";
import { waitUntil } from "../deadline";
import { plannedFailover } from "./planned-failover";
import { agreedMaster, askSentinel, describeAnswers, mostNamedMaster } from "../redis/sentinels";
import { nodesOf, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { SentinelEntry } from "../redis/replies";
import { NodeAdmin, nodeCommands } from "../redis/node-commands";
import { Connection } from "../redis/send";
import type { MembershipReport } from "../../contracts/report";

/** What a scale-down did to the servers the stack no longer declares: part of the post-deploy report. */
export type { MembershipReport };

/**
 * Members the Sentinels know that the plan no longer declares (pure), as `address:port` pairs:
 * across hosts every server of a host announces the same address, so the address alone would
 * take one member for another (redis/redis#2335).
 */
export function surplusMembers(known: readonly string[], declared: readonly string[]): string[] {
    return [...new Set(known)].filter((a) => !declared.includes(a)).sort();
}

const membersOf = (entries: readonly SentinelEntry[]): string[] => entries.map((e) => e.address);

/**
 * After a scale-down, makes the servers the stack no longer declares leave the cluster before
 * anything is verified (Pulumi deletes their containers only at the end of `up`, after this):
 * a surplus master hands its role over; a surplus node is locked (a password nobody knows) and
 * detached, so no Sentinel can re-attach it; a surplus Sentinel stops monitoring. Then the
 * declared Sentinels are reset one at a time, each waiting until it sees the declared replicas
 * and peers again, so a majority keeps a correct view throughout.
 */
export async function forgetSurplusServers(
    plan: PostDeployPlan,
    credentials: Credentials,
    log: (line: string) => void,
): Promise<MembershipReport> {
    const clients: Connection[] = [];
    const track = <C extends Connection>(c: C): C => {
        clients.push(c);
        return c;
    };
    const openNode = (endpoint: { host: string; port: number }) => track(directClient(endpoint, nodeLogin(credentials)));
    const openSentinel = (endpoint: { host: string; port: number }) => track(directSentinel(endpoint, sentinelLogin(credentials)));
    const report: MembershipReport = { retiredNodes: [], removedSentinels: [], resetSentinels: [] };
    try {
        const { addressing, masterName } = plan;
        // A surplus server by the pair it announced. Only single-host servers can be rebuilt from
        // their index; with hosts a surplus server's host is not in the plan, and it is left alone.
        const endpointOf = (member: string, kind: "node" | "sentinel") => {
            const limit = kind === "node" ? MAX_NODES : MAX_SENTINELS;
            for (let i = 0; i < limit; i++) {
                const ports = { ...addressing, publishAddress: addressing.host };
                const e = kind === "node" ? nodeEndpoint(ports, i) : sentinelEndpoint(ports, i);
                if (memberKey(e.announce) === member) return { ...e, host: addressing.host, port: e.hostPort };
            }
            return undefined;
        };
        const sentinelServers = sentinelsOf(plan);
        const sentinels = sentinelServers.map((s) => openSentinel(s));
        const knownNodes: string[] = [];
        const knownSentinels: string[] = [];
        for (const s of sentinels) {
            knownNodes.push(...membersOf(await s.replicas(masterName).catch(() => [])));
            knownSentinels.push(...membersOf(await s.sentinels(masterName).catch(() => [])));
        }
        const declaredNodes = nodesOf(plan).map((n) => n.announced);
        const declaredSentinels = sentinelServers.map((s) => s.announced);
        const sentinelsMaster = async () =>
            mostNamedMaster(await Promise.all(sentinels.map((c, i) => askSentinel(c, sentinelServers[i].name, masterName))));
        const master = await sentinelsMaster();
        if (master) knownNodes.push(master);
        const surplusNodes = surplusMembers(knownNodes, declaredNodes);
        const surplusSentinels = surplusMembers(knownSentinels, declaredSentinels);
        if (surplusNodes.length === 0 && surplusSentinels.length === 0) return report;

        // Surplus nodes first become ineligible for promotion, and every Sentinel must have seen it,
        // so a hand-over (below, or one the Sentinels start on their own) never picks one of them.
        const surplus: { member: string; endpoint: { name: string; hostPort: number }; node: NodeAdmin }[] = [];
        for (const member of surplusNodes) {
            const endpoint = endpointOf(member, "node");
            if (!endpoint) continue;
            const client = openNode(endpoint);
            const reachable = await client.connect().then(
                () => client.ping().then(() => true),
                () => false,
            );
            if (!reachable) continue;
            const node = nodeCommands(client);
            await node.configSet("replica-priority", "0");
            surplus.push({ member, endpoint, node });
        }
        for (const [i, s] of sentinels.entries()) {
            await waitUntil(
                `${sentinelServers[i].name} to see the surplus nodes as never to be promoted`,
                async () => {
                    const replicas = await s.replicas(masterName);
                    const seen = surplus.every(
                        ({ member }) => replicas.find((r) => r.address === member)?.priority === 0 || member === master,
                    );
                    return seen || undefined;
                },
                30_000,
                500,
            );
        }
        const surplusEndpoints = surplus.map(
            ({ member, endpoint }) =>
                ({
                    kind: "redis",
                    name: endpoint.name,
                    announced: member,
                    host: addressing.host,
                    port: endpoint.hostPort,
                }) as const,
        );
        for (const node of surplusEndpoints) {
            if ((await sentinelsMaster()) === node.announced) {
                // The same loss-free hand-over as `npm run failover`: sent once the cluster has
                // settled with the declared replicas linked, resolved once every Sentinel names the
                // new master (the surplus nodes cannot be it: priority 0).
                const { to } = await plannedFailover(plan, credentials, {
                    method: "handover",
                    timeoutMs: 60_000,
                    nodes: [...nodesOf(plan), ...surplusEndpoints],
                    log,
                });
                log(`membership: ${node.name} was master; handed over to ${to.name}`);
            }
        }
        // Every Sentinel must name the same master, with no failover still running, before any
        // node leaves or any Sentinel is reset. RESET keeps the master address a Sentinel holds and
        // aborts a failover in progress: the leader of a hand-over already names the promoted node
        // while it reconfigures the replicas, but holds the old address until the failover ends, so
        // a reset then would leave it watching the old master, which is about to be locked.
        const settledMaster = await waitUntil(
            "every Sentinel to name the same master with no failover in progress",
            async () => {
                const answers = await Promise.all(sentinels.map((c, i) => askSentinel(c, sentinelServers[i].name, masterName)));
                const flags = await Promise.all(sentinels.map(async (c) => (await c.master(masterName)).flags));
                const agreed = agreedMaster(answers, sentinels.length);
                if (agreed && !flags.some((f) => f.includes("failover_in_progress"))) return agreed;
                throw new Error(`${describeAnswers(answers)}; flags ${flags.map((f) => f.join(",")).join(" | ")}`);
            },
            60_000,
            200,
        );
        // Then each leaves: a password nobody knows (no Sentinel can re-attach it), then detached.
        for (const { endpoint } of surplus) {
            // A fresh connection: a failover above makes the Sentinels kill every client of the
            // nodes they reconfigure (CLIENT KILL TYPE normal), earlier ones included.
            const node = nodeCommands(openNode({ host: addressing.host, port: endpoint.hostPort }));
            await node.configSet("requirepass", randomBytes(24).toString("hex"));
            // A password change leaves authenticated connections open: drop the Sentinels' links
            // (and any client's), or a Sentinel would re-attach the node about 8 s after it detaches.
            await node.killClients("normal");
            await node.killClients("pubsub");
            await node.detach();
            report.retiredNodes.push(endpoint.name);
            log(`membership: ${endpoint.name} detached and locked; its container is removed at the end of the deploy`);
        }
        for (const member of surplusSentinels) {
            const endpoint = endpointOf(member, "sentinel");
            if (!endpoint) continue;
            const sentinel = openSentinel(endpoint);
            const removed = await sentinel.connect().then(
                () => sentinel.remove(masterName).then(() => true),
                () => false,
            );
            if (removed) report.removedSentinels.push(endpoint.name);
            log(`membership: ${endpoint.name} ${removed ? "stopped monitoring" : "was already gone"}`);
        }
        for (const [i, s] of sentinels.entries()) {
            const name = sentinelServers[i].name;
            await waitUntil(
                `${name} to name ${settledMaster} before its SENTINEL RESET`,
                async () => {
                    const named = await askSentinel(s, name, masterName);
                    if (named.masterAddress === settledMaster) return true;
                    throw new Error(describeAnswers([named]));
                },
                30_000,
                200,
            );
            await s.reset(masterName);
            await waitUntil(
                `${name} to see ${plan.expected.replicas} replicas and ${plan.expected.sentinels - 1} other Sentinels after SENTINEL RESET`,
                async () => {
                    const m = await s.master(masterName);
                    const seen = m.replicas === plan.expected.replicas && m.otherSentinels === plan.expected.sentinels - 1;
                    if (seen) return true;
                    // What it does see, for the operator's message if this never settles.
                    const replicas = await s.replicas(masterName);
                    throw new Error(
                        `it names ${m.address} (${m.flags.join(",")}) and sees replicas [${replicas
                            .map((r) => `${r.ip} ${r.flags.join(",")} link ${r.linkStatus} of ${r.masterHost}`)
                            .join("; ")}] and ${m.otherSentinels} other Sentinels`,
                    );
                },
                60_000,
                500,
            );
            report.resetSentinels.push(name);
            log(`membership: ${name} reset and sees the declared cluster`);
        }
        return report;
    } finally {
        for (const c of clients) c.disconnect();
    }
}
