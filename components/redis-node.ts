import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../config/address-plan";
import { StackSettings } from "../config/validate";
import { renderRedisConf } from "../config-templates/redis-conf";
import { declareServerContainer } from "./server-container";

export interface RedisNodeArgs {
    readonly settings: StackSettings;
    /** 0 is the initial master; roles move after a failover, the index does not. */
    readonly index: number;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
    /** Replicas start after the master they replicate from. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One Redis server: container, data volume and its rendered redis.conf. */
export class RedisNode extends pulumi.ComponentResource {
    public readonly endpoint: Endpoint;
    public readonly container: docker.Container;
    public readonly volume: docker.Volume;
    public readonly containerName: pulumi.Output<string>;

    constructor(name: string, args: RedisNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:RedisNode", name, {}, opts);
        this.endpoint = args.settings.plan.nodes[args.index];
        const config = pulumi
            .secret(args.password)
            .apply((password) => renderRedisConf({ settings: args.settings, nodeIndex: args.index, password }));
        const server = declareServerContainer(
            { kind: "redis", settings: args.settings, endpoint: this.endpoint, image: args.image, networkName: args.networkName, config },
            this,
            args.dependsOn ?? [],
        );
        this.container = server.container;
        this.volume = server.volume;
        this.containerName = server.container.name;
        this.registerOutputs({ containerName: this.containerName, address: this.endpoint.address, hostPort: this.endpoint.hostPort });
    }
}
