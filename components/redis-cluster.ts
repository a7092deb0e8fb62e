import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { buildConnectionInfo, HostPort } from "../config/connection-info";
import { StackSettings } from "../config/validate";
import { RedisNode } from "./redis-node";
import { Sentinel } from "./sentinel";
import { stackLabels } from "./server-container";

export interface RedisClusterArgs {
    readonly settings: StackSettings;
    /** Supplied with `pulumi config set --secret`; generated (and kept secret) when absent. */
    readonly redisPassword?: pulumi.Input<string>;
    readonly sentinelPassword?: pulumi.Input<string>;
}

/** A Redis master, its replicas and the Sentinels watching them, on a network of their own. */
export class RedisCluster extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    public readonly nodes: RedisNode[];
    public readonly sentinels: Sentinel[];
    public readonly networkName: pulumi.Output<string>;
    public readonly redisPassword: pulumi.Output<string>;
    public readonly sentinelPassword: pulumi.Output<string>;
    public readonly masterName: string;
    public readonly sentinelEndpoints: readonly HostPort[];
    public readonly sentinelEndpointsInNetwork: readonly HostPort[];
    public readonly natMap: Readonly<Record<string, HostPort>>;
    public readonly publishedPorts: Readonly<Record<string, number>>;
    public readonly ioredisExample: string;

    constructor(name: string, args: RedisClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:RedisCluster", name, {}, opts);
        const { settings } = args;
        const { plan, cluster } = settings;

        this.redisPassword = pulumi.secret(args.redisPassword ?? this.generatedPassword("redis-password"));
        this.sentinelPassword = pulumi.secret(args.sentinelPassword ?? this.generatedPassword("sentinel-password"));

        const image = cluster.image.pull
            ? new docker.RemoteImage("image", { name: cluster.image.name, keepLocally: true }, { parent: this }).imageId
            : pulumi.output(cluster.image.name);

        this.network = new docker.Network(
            "network",
            {
                name: settings.namePrefix,
                driver: "bridge",
                // Static addresses for the servers live in the lower half; Docker hands out the upper half
                // to app containers that join, so the two never collide.
                ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway, ipRange: plan.dynamicRange }],
                labels: stackLabels(settings, "network"),
            },
            { parent: this, deleteBeforeReplace: true },
        );
        this.networkName = this.network.name;

        const common = { settings, image, networkName: this.network.name };
        const master = new RedisNode(plan.nodes[0].name, { ...common, index: 0, password: this.redisPassword }, { parent: this });
        const replicas = plan.nodes
            .slice(1)
            .map(
                (node, i) =>
                    new RedisNode(
                        node.name,
                        { ...common, index: i + 1, password: this.redisPassword, dependsOn: [master.container] },
                        { parent: this },
                    ),
            );
        this.nodes = [master, ...replicas];
        const nodeContainers = this.nodes.map((n) => n.container);
        this.sentinels = plan.sentinels.map(
            (s, i) =>
                new Sentinel(
                    s.name,
                    {
                        ...common,
                        index: i,
                        redisPassword: this.redisPassword,
                        sentinelPassword: this.sentinelPassword,
                        dependsOn: nodeContainers,
                    },
                    { parent: this },
                ),
        );

        const info = buildConnectionInfo(settings);
        this.masterName = info.masterName;
        this.sentinelEndpoints = info.sentinelEndpoints;
        this.sentinelEndpointsInNetwork = info.sentinelEndpointsInNetwork;
        this.natMap = info.natMap;
        this.publishedPorts = info.publishedPorts;
        this.ioredisExample = info.ioredisExample;
        this.registerOutputs({
            networkName: this.networkName,
            masterName: this.masterName,
            sentinelEndpoints: this.sentinelEndpoints,
            redisPassword: this.redisPassword,
            sentinelPassword: this.sentinelPassword,
        });
    }

    private generatedPassword(name: string): pulumi.Output<string> {
        // Letters and digits only: nothing a config line or a shell could misread.
        return new random.RandomPassword(name, { length: 32, special: false }, { parent: this }).result;
    }
}
