import * as pulumi from "@pulumi/pulumi";
import { renderSentinelConf } from "../config-templates/sentinel-conf";
import { ServerArgs, ServerComponent } from "./server-container";

export interface SentinelArgs extends ServerArgs {
    readonly redisPassword: pulumi.Input<string>;
    readonly sentinelPassword: pulumi.Input<string>;
}

/**
 * One Sentinel: container, a writable volume for the config it rewrites, and its template.
 * Sentinels pass every Redis node in dependsOn, so their first look finds the whole cluster.
 */
export class Sentinel extends ServerComponent {
    constructor(name: string, args: SentinelArgs, opts?: pulumi.ComponentResourceOptions) {
        const config = pulumi
            .secret(pulumi.all([args.redisPassword, args.sentinelPassword]))
            .apply(([redisPassword, sentinelPassword]) =>
                renderSentinelConf({ settings: args.settings, sentinelIndex: args.index, redisPassword, sentinelPassword }),
            );
        super("appscreens:redis:Sentinel", name, "sentinel", args, args.settings.plan.sentinels[args.index], config, opts);
    }
}
