import { Endpoint, REDIS_PORT } from "../settings/address-plan";
import { StackSettings } from "../settings/validate";
import { renderAclUsers, renderNodeLinks, StackUsers } from "./acl-users";
import { ConfSection, quoted, renderConfFile } from "./conf-file";
import { REDIS_DIRECTIVES, runtimeDirectives } from "./directives";
import { tlsSection } from "./tls-conf";

export interface RedisConfInput {
    readonly settings: StackSettings;
    /** The node, by value (one of `settings.plan.nodes`). */
    readonly node: Endpoint;
    /** The `default` user's password (requirepass, masterauth); unused with `users`. */
    readonly password: string;
    /** With `cluster.users.enabled`: the users instead of `default` (render/acl-users.ts). */
    readonly users?: StackUsers;
}

/** A runtime directive as a config-file line; an empty value (no save rules) must be quoted. */
export const confLine = (name: string, value: string): string => `${name} ${value === "" ? '""' : value}`;

/**
 * The initial redis.conf of `node`: what a node starts from the first time its volume
 * is empty. It holds the runtime directives and the passwords, never the role: the start script
 * asks the Sentinels who the master is. Afterwards the live copy in the volume belongs to Redis
 * (CONFIG REWRITE by the apply step and by Sentinel); bootstrap directives come on the command line.
 */
export function renderRedisConf({ settings, node, password, users }: RedisConfInput): string {
    if (!settings.plan.nodes.some((n) => n.name === node.name))
        throw new Error(`no node ${node.name} in a cluster of ${settings.plan.nodes.length}`);
    const auth: ConfSection = users
        ? {
              why: "The ACL users (render/acl-users.ts), `default` off, and the replication login every node\nneeds (roles swap on failover): masterauth is the one password in clear.",
              lines: [...renderAclUsers("node", users.passwords, users.options), ...renderNodeLinks(users.passwords)],
          }
        : {
              why: "Roles swap on failover, so every node needs both the password clients use and the one it\nuses towards a master.",
              lines: [`requirepass ${quoted(password)}`, `masterauth ${quoted(password)}`],
          };
    const sections: ConfSection[] = [
        auth,
        {
            // The path below is the file's name before the layout change (now render/directives.ts).
            // It is kept as it was: redis.conf is a container upload, and any change to its text
            // replaces every node of a deployed stack.
            why: "Runtime settings as deployed when this node was created; every deploy applies the current\nones with CONFIG SET and CONFIG REWRITE (see render/directives.ts).",
            lines: runtimeDirectives(REDIS_DIRECTIVES).map((d) => confLine(d.name, d.value(settings, node))),
        },
        ...tlsSection(settings, "node", REDIS_PORT),
    ];
    return renderConfFile(`initial redis.conf for ${node.name} of stack ${settings.stack}`, sections);
}
