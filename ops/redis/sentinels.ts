import { HostPort } from "../../settings/connection-info";
import { errorMessage } from "../deadline";
import { NodeEndpoint, nodesOf, Topology } from "../../contracts/plan";
import { SentinelReader } from "./sentinel-commands";

/** What one Sentinel says the master is (`address:port` as announced), or why it did not answer. */
export interface SentinelAnswer {
    readonly name: string;
    readonly masterAddress?: string;
    readonly error?: string;
}

export async function askSentinel(sentinel: SentinelReader, name: string, masterName: string): Promise<SentinelAnswer> {
    try {
        const masterAddress = await sentinel.masterAddress(masterName);
        return masterAddress ? { name, masterAddress } : { name, error: `does not know ${masterName}` };
    } catch (err) {
        return { name, error: errorMessage(err) };
    }
}

/**
 * The master every Sentinel names, when all `expected` of them answer and agree. Tools that act
 * on "the master" (drill, backup, restore) must not guess while the Sentinels disagree.
 */
export function agreedMaster(answers: readonly SentinelAnswer[], expected: number): string | undefined {
    const addresses = answers.filter((a) => a.masterAddress).map((a) => a.masterAddress);
    return addresses.length === expected && new Set(addresses).size === 1 ? addresses[0] : undefined;
}

/**
 * The master most answering Sentinels name (a majority view, for steps that must go on while
 * one Sentinel is being reset), or undefined when none answers.
 */
export function mostNamedMaster(answers: readonly SentinelAnswer[]): string | undefined {
    const counts = new Map<string, number>();
    for (const a of answers) if (a.masterAddress) counts.set(a.masterAddress, (counts.get(a.masterAddress) ?? 0) + 1);
    return [...counts.entries()].sort((x, y) => y[1] - x[1])[0]?.[0];
}

/** One line for an operator: who answered what. */
export const describeAnswers = (answers: readonly SentinelAnswer[]): string =>
    answers.map((a) => `${a.name}: ${a.masterAddress ?? `no answer (${a.error ?? "unknown"})`}`).join(", ");

/** The node announcing `address:port`; undefined for an address the plan does not know. */
export const nodeAnnouncing = (plan: Topology, address: string | undefined): NodeEndpoint | undefined =>
    nodesOf(plan).find((n) => n.announced === address);

/** The node a host-side connection reached, from its remote address (published port). */
export const nodeAtHostEndpoint = (plan: Topology, endpoint: HostPort): NodeEndpoint | undefined =>
    nodesOf(plan).find((n) => n.port === endpoint.port && (n.host === endpoint.host || endpoint.host.endsWith(`:${n.host}`)));

/** Same, from `address:port` as a socket reports it (`::ffff:127.0.0.1:16379` included). */
export function nodeAtRemote(plan: Topology, remote: string | undefined): NodeEndpoint | undefined {
    if (!remote) return undefined;
    const cut = remote.lastIndexOf(":");
    return nodeAtHostEndpoint(plan, { host: remote.slice(0, cut), port: Number(remote.slice(cut + 1)) });
}
