import * as pulumi from "@pulumi/pulumi";
import { renderRedisConf } from "../config-templates/redis-conf";
import { ServerArgs, ServerComponent } from "./server-container";

export interface RedisNodeArgs extends ServerArgs {
    readonly password: pulumi.Input<string>;
}

/**
 * One Redis server: container, data volume and its rendered redis.conf. Index 0 is the initial
 * master; roles move after a failover, the index does not. Replicas pass the master in dependsOn.
 */
export class RedisNode extends ServerComponent {
    constructor(name: string, args: RedisNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        const config = pulumi
            .secret(args.password)
            .apply((password) => renderRedisConf({ settings: args.settings, nodeIndex: args.index, password }));
        super("appscreens:redis:RedisNode", name, "redis", args, args.settings.plan.nodes[args.index], config, opts);
    }
}
