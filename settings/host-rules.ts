// Rules a `hosts` placement must meet before anything is created, one small pure function per
// rule, each returning the problems it finds. Every message names the setting, the fix and the
// Redis documentation's example the rule comes from (sentinel.md, "Example 1: just two Sentinels,
// DON'T DO THIS" and "Example 2: basic setup with three boxes").
import { dockerEndpointKind, HostConfig, PlacementConfig, PROJECT, TLS_SECRET_KEY } from "./schema";

const CLUSTER_KEY = `${PROJECT}:cluster`;
const TLS_KEY = `${PROJECT}:${TLS_SECRET_KEY}`;

/** An error stops the deploy; a warning is printed and the deploy goes on. */
export interface RuleFinding {
    readonly level: "error" | "warning";
    readonly message: string;
}

const error = (setting: string, message: string): RuleFinding => ({ level: "error", message: `${CLUSTER_KEY}.${setting}: ${message}` });
const warning = (setting: string, message: string): RuleFinding => ({
    level: "warning",
    message: `${CLUSTER_KEY}.${setting}: ${message}`,
});

const EXAMPLE_1 = `the Redis docs' Sentinel "Example 1" (two boxes) is marked DON'T DO THIS`;
const EXAMPLE_2 = `the Redis docs' Sentinel "Example 2" puts one Sentinel on each of three boxes`;

/** Where every server runs, as the rules read it. */
export interface PlacementView {
    readonly hosts: readonly string[];
    /** Server name -> host name, for every declared server. */
    readonly placement: Readonly<Record<string, string>>;
    readonly nodes: readonly string[];
    readonly sentinels: readonly string[];
    readonly quorum: number;
    readonly minReplicasToWrite: number;
}

const majorityOf = (n: number): number => Math.floor(n / 2) + 1;
const onOtherHosts = (view: PlacementView, servers: readonly string[], lost: string) =>
    servers.filter((s) => view.placement[s] !== lost).length;

/** Names, addresses and Docker endpoints are each one host's: two entries for one machine are one failure domain. */
export function hostsAreDistinct(hosts: readonly HostConfig[]): RuleFinding[] {
    const findings: RuleFinding[] = [];
    for (const field of ["name", "address", "docker"] as const) {
        const seen = new Map<string, number>();
        for (const [i, h] of hosts.entries()) {
            const first = seen.get(h[field]);
            if (first === undefined) seen.set(h[field], i);
            else
                findings.push(
                    error(
                        `hosts[${i}].${field}`,
                        `"${h[field]}" is also hosts[${first}].${field}; each host needs its own ${field} (two entries for one machine fail together)`,
                    ),
                );
        }
    }
    return findings;
}

/**
 * A host's address is what its servers announce, so the other hosts, the deploy machine and the
 * apps must reach it there: never 0.0.0.0 (announced, it names no host), and loopback only when
 * there is a single host.
 */
export function hostAddressesReachable(hosts: readonly HostConfig[]): RuleFinding[] {
    return hosts.flatMap((h, i) => {
        if (h.address === "0.0.0.0")
            return [
                error(`hosts[${i}].address`, `0.0.0.0 is not an address a peer can reach; use the host's private address, e.g. 10.0.0.11`),
            ];
        if (h.address.startsWith("127.") && hosts.length > 1)
            return [
                error(
                    `hosts[${i}].address`,
                    `${h.address} is loopback: the other hosts cannot reach the servers announced there; use the host's private address`,
                ),
            ];
        return [];
    });
}

/** With hosts every server publishes on its host's address: a `publish.host` set beside them would be silently unused. */
export function publishHostUnusedWithHosts(hosts: readonly HostConfig[] | undefined, publishHostSet: boolean): RuleFinding[] {
    return hosts && publishHostSet
        ? [error("publish.host", "is unused with hosts (each server publishes on its host's address); remove it")]
        : [];
}

/** `sshOpts` are ssh's arguments: on another kind of endpoint they would be silently unused. */
export function sshOptsOnlyForSsh(hosts: readonly HostConfig[]): RuleFinding[] {
    return hosts.flatMap((h, i) =>
        h.sshOpts !== undefined && dockerEndpointKind(h.docker) !== "ssh"
            ? [error(`hosts[${i}].sshOpts`, `only an ssh:// endpoint takes ssh options, and ${h.docker} is not one; remove sshOpts`)]
            : [],
    );
}

/** What the `hostTls` secret holds, without its values: which PEMs each host has, and whether it was stored as a secret. */
export interface TlsPresence {
    readonly secret: boolean;
    readonly hosts: Readonly<Record<string, { readonly ca: boolean; readonly cert: boolean; readonly key: boolean }>>;
}

/**
 * Every tcp:// host has all three PEMs. The docker provider turns off verification of the engine's
 * certificate when the CA is empty, without a word (kreuzwerker/terraform-provider-docker,
 * internal/provider/config.go, buildHTTPClientFromBytes): a missing CA must stop the deploy here.
 */
export function tcpHostsHaveTls(hosts: readonly HostConfig[], tls: TlsPresence | undefined): RuleFinding[] {
    const findings: RuleFinding[] = [];
    const set = (h: string, part: string) => `pulumi config set --secret --path '${TLS_SECRET_KEY}.${h}.${part}' < ${part}.pem`;
    for (const [i, h] of hosts.entries()) {
        if (dockerEndpointKind(h.docker) !== "tcp") continue;
        const have = tls?.hosts[h.name];
        const missing = (["ca", "cert", "key"] as const).filter((p) => !have?.[p]);
        if (missing.length > 0) {
            findings.push(
                error(
                    `hosts[${i}].docker`,
                    `${h.docker} needs TLS, and ${TLS_KEY}.${h.name} lacks ${missing.join(", ")} (the provider skips verifying the engine without a CA); run ${missing.map((p) => `\`${set(h.name, p)}\``).join(" and ")}`,
                ),
            );
        }
    }
    for (const name of Object.keys(tls?.hosts ?? {})) {
        const host = hosts.find((h) => h.name === name);
        if (!host || dockerEndpointKind(host.docker) !== "tcp") {
            findings.push({
                level: "error",
                message: `${TLS_KEY}.${name}: ${host ? `host ${name} is not a tcp:// host` : `no host is named ${name}`}, so its TLS material would be unused; remove it with \`pulumi config rm --path '${TLS_SECRET_KEY}.${name}'\``,
            });
        }
    }
    if (tls && !tls.secret) {
        findings.push({
            level: "error",
            message: `${TLS_KEY}: is stored in plain text and holds a private key; store it with \`pulumi config set --secret --path ...\``,
        });
    }
    return findings;
}

/** Pins name servers the stack declares and hosts it has; anything else is a typo that would place nothing. */
export function pinsAreKnown(
    pins: PlacementConfig["pins"],
    hostNames: readonly string[] | undefined,
    servers: readonly string[],
): RuleFinding[] {
    return Object.entries(pins).flatMap(([server, host]) => [
        ...(servers.includes(server) ? [] : [error(`placement.pins.${server}`, `the stack has no server ${server}; remove the pin`)]),
        ...(hostNames === undefined
            ? [error(`placement.pins.${server}`, `pins need cluster.hosts; add the hosts or remove the pin`)]
            : hostNames.includes(host)
              ? []
              : [
                    error(
                        `placement.pins.${server}`,
                        `no host is named ${host} (the hosts are ${hostNames.join(", ")}); pin it to one of them`,
                    ),
                ]),
    ]);
}

/** Fewer than three hosts cannot survive the loss of one with a Sentinel majority, unless the stack says it does not try. */
export function enoughHosts(hostNames: readonly string[], survive: PlacementConfig["survive"]): RuleFinding[] {
    if (survive === "none" || hostNames.length >= 3) return [];
    return [
        error(
            "hosts",
            `${hostNames.length} host(s) cannot keep a Sentinel majority when one is lost (${EXAMPLE_1}; ${EXAMPLE_2}); add hosts to make 3, or set placement.survive to none to declare them one failure domain`,
        ),
    ];
}

/**
 * After the loss of any one host the Sentinels left must still be a majority of all (to elect the
 * leader that fails over) and at least the quorum (to agree the master is down).
 */
export function sentinelsSurviveAnyHost(view: PlacementView): RuleFinding[] {
    const majority = majorityOf(view.sentinels.length);
    return view.hosts.flatMap((lost) => {
        const left = onOtherHosts(view, view.sentinels, lost);
        if (left >= majority && left >= view.quorum) return [];
        const needed = Math.max(majority, view.quorum);
        return [
            error(
                "placement",
                `losing host ${lost} leaves ${left} of ${view.sentinels.length} Sentinels, fewer than the ${needed} a failover needs (majority ${majority}, quorum ${view.quorum}), so the cluster could not fail over (${EXAMPLE_2}, ${EXAMPLE_1}); spread the Sentinels (placement.pins) or add hosts`,
            ),
        ];
    });
}

/** After the loss of any one host at least one node must be left, or every copy of the data went with it. */
export function nodeSurvivesAnyHost(view: PlacementView): RuleFinding[] {
    return view.hosts.flatMap((lost) =>
        onOtherHosts(view, view.nodes, lost) > 0
            ? []
            : [
                  error(
                      "placement",
                      `losing host ${lost} loses every node (${view.nodes.join(", ")}) and every copy of the data (${EXAMPLE_2}: master and replicas on separate boxes); move a node to another host with placement.pins, or add replicas`,
                  ),
              ],
    );
}

/**
 * After the loss of any one host, the master that is left (or promoted) needs `minReplicasToWrite`
 * replicas among the nodes left, or it refuses writes (NOREPLICAS) until the host is back. A
 * warning: the data survives and reads go on.
 */
export function replicasAfterLossWarning(view: PlacementView): RuleFinding[] {
    return view.hosts.flatMap((lost) => {
        const nodesLeft = onOtherHosts(view, view.nodes, lost);
        const replicasLeft = Math.max(nodesLeft - 1, 0);
        if (nodesLeft === 0 || replicasLeft >= view.minReplicasToWrite) return [];
        return [
            warning(
                "redis.minReplicasToWrite",
                `losing host ${lost} leaves ${replicasLeft} replica(s) for the master, fewer than minReplicasToWrite ${view.minReplicasToWrite}, so writes stop until it is back (the Redis docs' Sentinel "Example 2" and its min-replicas-to-write note); add a replica on another host or lower redis.minReplicasToWrite`,
            ),
        ];
    });
}

/** Every rule, in the order its findings are reported. */
export function checkHosts(args: {
    readonly hosts: readonly HostConfig[] | undefined;
    readonly placement: PlacementConfig;
    readonly tls: TlsPresence | undefined;
    readonly servers: readonly string[];
    readonly view: PlacementView | undefined;
    /** Whether the stack file sets `publish.host` itself (not its default). */
    readonly publishHostSet?: boolean;
}): RuleFinding[] {
    const { hosts, placement, tls, servers, view } = args;
    const pinFindings = pinsAreKnown(
        placement.pins,
        hosts?.map((h) => h.name),
        servers,
    );
    if (!hosts) {
        return [...pinFindings, ...(tls ? tcpHostsHaveTls([], tls) : [])];
    }
    const findings = [
        ...hostsAreDistinct(hosts),
        ...hostAddressesReachable(hosts),
        ...publishHostUnusedWithHosts(hosts, args.publishHostSet ?? false),
        ...sshOptsOnlyForSsh(hosts),
        ...tcpHostsHaveTls(hosts, tls),
        ...pinFindings,
    ];
    findings.push(
        ...enoughHosts(
            hosts.map((h) => h.name),
            placement.survive,
        ),
    );
    if (view && placement.survive === "host") {
        findings.push(...sentinelsSurviveAnyHost(view), ...nodeSurvivesAnyHost(view), ...replicasAfterLossWarning(view));
    }
    return findings;
}
