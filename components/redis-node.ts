import * as pulumi from "@pulumi/pulumi";
import { renderClusterEnv, toolsLogin } from "../render/container-scripts";
import { renderRedisConf } from "../render/redis-conf";
import { ServerArgs, ServerComponent } from "./server-container";

/**
 * One Redis server: container, data volume, its initial redis.conf and its settings step. Roles
 * move after a failover and the start script follows the Sentinels; the endpoint never moves.
 */
export class RedisNode extends ServerComponent {
    constructor(name: string, args: ServerArgs, opts?: pulumi.ComponentResourceOptions) {
        const { settings, endpoint: node, passwords } = args;
        const both = pulumi.secret(pulumi.all([passwords.redis, passwords.sentinel]));
        const users = passwords.users;
        // On a users stack: the users in redis.conf, and the tools' login for the container's scripts.
        const files = users
            ? {
                  initialConfig: pulumi.secret(users.apply((u) => renderRedisConf({ settings, node, password: "", users: u }))),
                  clusterEnv: pulumi.secret(users.apply((u) => renderClusterEnv({ settings, kind: "redis", ...toolsLogin(u.passwords) }))),
              }
            : {
                  initialConfig: both.apply(([password]) => renderRedisConf({ settings, node, password })),
                  clusterEnv: both.apply(([redisPassword, sentinelPassword]) =>
                      renderClusterEnv({ settings, kind: "redis", redisPassword, sentinelPassword }),
                  ),
              };
        super("appscreens:redis:RedisNode", name, "redis", args, files, opts);
    }
}
