import { createHash } from "node:crypto";
import { Endpoint, SENTINEL_PORT } from "../settings/address-plan";
import { StackSettings } from "../settings/validate";
import { renderAclUsers, renderSentinelLinks, StackUsers } from "./acl-users";
import { ConfSection, quoted, renderConfFile } from "./conf-file";
import { runtimeDirectives, SENTINEL_DIRECTIVES } from "./directives";
import { tlsSection } from "./tls-conf";

export interface SentinelConfInput {
    readonly settings: StackSettings;
    /** The Sentinel, by value (one of `settings.plan.sentinels`). */
    readonly sentinel: Endpoint;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
    /** With `cluster.users.enabled`: the users instead of the two `default` passwords (render/acl-users.ts). */
    readonly users?: StackUsers;
}

/**
 * Placeholder for the current master's address (learned at first start). The start script
 * replaces it together with the port after it by the master's `address:port`, so the rendered port
 * (the initial master's announced one) is only a default; across hosts the master's port is its
 * published one and differs from node to node.
 */
export const MASTER_PLACEHOLDER = "__APPSCREENS_MASTER__";

/**
 * A Sentinel's run id, stable across replacements: the others recognise a replaced Sentinel as
 * the one they knew instead of counting a stranger (which would skew the failover majority).
 */
export function sentinelId(settings: StackSettings, sentinel: Pick<Endpoint, "name">): string {
    return createHash("sha1").update(`${settings.namePrefix}/${sentinel.name}`).digest("hex");
}

/**
 * The initial sentinel.conf of `sentinel`, installed into its volume on its first
 * start. It never names node 0 as the master: the start script fills in the master the other
 * Sentinels (or the nodes) report, and node 0 only on the cluster's very first boot.
 */
export function renderSentinelConf({ settings, sentinel: me, redisPassword, sentinelPassword, users }: SentinelConfInput): string {
    const { plan } = settings;
    const s = settings.cluster.sentinel;
    if (!plan.sentinels.some((x) => x.name === me.name)) throw new Error(`no Sentinel ${me.name} in a cluster of ${plan.sentinels.length}`);
    const name = s.masterName;
    const sections: ConfSection[] = [
        {
            why: "A stable identity, so a replaced Sentinel is the same member to its peers.",
            lines: [`sentinel myid ${sentinelId(settings, me)}`],
        },
        users
            ? {
                  why: "The ACL users (render/acl-users.ts), `default` off. The logins this Sentinel presents\n(auth-user to the nodes, sentinel-user to its peers) follow the monitor line they belong to.",
                  lines: renderAclUsers("sentinel", users.passwords, users.options),
              }
            : {
                  why: "Clients authenticate with requirepass; sentinel-pass is what this Sentinel presents to the\nothers (the same password, rotated at runtime); auth-pass is the Redis nodes' password.",
                  lines: [`requirepass ${quoted(sentinelPassword)}`, `sentinel sentinel-pass ${quoted(sentinelPassword)}`],
              },
        {
            why: `Watch the current master; ${s.quorum} of ${plan.sentinels.length} Sentinels must agree it is down.\nRuntime settings as deployed when this Sentinel was created; every deploy applies the\ncurrent ones with SENTINEL SET.`,
            lines: [
                `sentinel monitor ${name} ${MASTER_PLACEHOLDER} ${plan.nodes[0].announce.port} ${s.quorum}`,
                ...(users ? renderSentinelLinks(name, users.passwords) : [`sentinel auth-pass ${name} ${quoted(redisPassword)}`]),
                ...runtimeDirectives(SENTINEL_DIRECTIVES)
                    .filter((d) => d.name !== "quorum")
                    .map((d) => `sentinel ${d.name} ${name} ${d.value(settings, me)}`),
                "sentinel deny-scripts-reconfig yes",
            ],
        },
        ...tlsSection(settings, "sentinel", SENTINEL_PORT),
    ];
    return renderConfFile(`initial sentinel.conf for ${me.name} of stack ${settings.stack}`, sections);
}
