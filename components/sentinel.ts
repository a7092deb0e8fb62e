import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../config/address-plan";
import { StackSettings } from "../config/validate";
import { renderSentinelConf } from "../config-templates/sentinel-conf";
import { declareServerContainer } from "./server-container";

export interface SentinelArgs {
    readonly settings: StackSettings;
    readonly index: number;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    readonly redisPassword: pulumi.Input<string>;
    readonly sentinelPassword: pulumi.Input<string>;
    /** Sentinels start once every Redis node is up, so their first look finds the whole cluster. */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** One Sentinel: container, a writable volume for the config it rewrites, and its template. */
export class Sentinel extends pulumi.ComponentResource {
    public readonly endpoint: Endpoint;
    public readonly container: docker.Container;
    public readonly volume: docker.Volume;
    public readonly containerName: pulumi.Output<string>;

    constructor(name: string, args: SentinelArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:Sentinel", name, {}, opts);
        this.endpoint = args.settings.plan.sentinels[args.index];
        const config = pulumi
            .secret(pulumi.all([args.redisPassword, args.sentinelPassword]))
            .apply(([redisPassword, sentinelPassword]) =>
                renderSentinelConf({ settings: args.settings, sentinelIndex: args.index, redisPassword, sentinelPassword }),
            );
        const server = declareServerContainer(
            {
                kind: "sentinel",
                settings: args.settings,
                endpoint: this.endpoint,
                image: args.image,
                networkName: args.networkName,
                config,
            },
            this,
            args.dependsOn ?? [],
        );
        this.container = server.container;
        this.volume = server.volume;
        this.containerName = server.container.name;
        this.registerOutputs({ containerName: this.containerName, address: this.endpoint.address, hostPort: this.endpoint.hostPort });
    }
}
