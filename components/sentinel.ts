import * as pulumi from "@pulumi/pulumi";
import { renderClusterEnv, toolsLogin } from "../render/container-scripts";
import { renderSentinelConf } from "../render/sentinel-conf";
import { ServerArgs, ServerComponent } from "./server-container";

/**
 * One Sentinel: container, a writable volume for the config it rewrites, its initial config and
 * its settings step. On first start it monitors whichever node is master now.
 */
export class Sentinel extends ServerComponent {
    constructor(name: string, args: ServerArgs, opts?: pulumi.ComponentResourceOptions) {
        const { settings, endpoint: sentinel, passwords } = args;
        const both = pulumi.secret(pulumi.all([passwords.redis, passwords.sentinel]));
        const users = passwords.users;
        const files = users
            ? {
                  initialConfig: pulumi.secret(
                      users.apply((u) => renderSentinelConf({ settings, sentinel, redisPassword: "", sentinelPassword: "", users: u })),
                  ),
                  clusterEnv: pulumi.secret(
                      users.apply((u) => renderClusterEnv({ settings, kind: "sentinel", ...toolsLogin(u.passwords) })),
                  ),
              }
            : {
                  initialConfig: both.apply(([redisPassword, sentinelPassword]) =>
                      renderSentinelConf({ settings, sentinel, redisPassword, sentinelPassword }),
                  ),
                  clusterEnv: both.apply(([redisPassword, sentinelPassword]) =>
                      renderClusterEnv({ settings, kind: "sentinel", redisPassword, sentinelPassword }),
                  ),
              };
        super("appscreens:redis:Sentinel", name, "sentinel", args, files, opts);
    }
}
