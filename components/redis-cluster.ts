import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { buildConnectionInfo, HostPort } from "../settings/connection-info";
import { StackSettings } from "../settings/validate";
import { renderAlertRules } from "../render/alert-rules";
import { renderScrapeConfig, scrapeAddress, stackExporters } from "../render/prometheus";
import { Exporter } from "./exporter";
import { RedisNode } from "./redis-node";
import { Sentinel } from "./sentinel";
import { ServerPasswords } from "./server-settings";
import { stackLabels } from "./server-container";
import { declareVolumeCheck } from "./volume-check";

export interface RedisClusterArgs {
    readonly settings: StackSettings;
    /** Supplied with `pulumi config set --secret`; generated (and kept secret) when absent. */
    readonly redisPassword?: pulumi.Input<string>;
    readonly sentinelPassword?: pulumi.Input<string>;
    /** The passwords being rotated out: accepted alongside the new ones while set. */
    readonly redisPasswordPrevious?: pulumi.Input<string>;
    readonly sentinelPasswordPrevious?: pulumi.Input<string>;
    /** Where the project (and its node_modules) lives: the settings steps run the CLI from there. */
    readonly projectDir: string;
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
    /** One redis_exporter per node and Sentinel (none with metrics off). */
    public readonly exporters: Exporter[];
    /** Server name -> URL of its exporter's metrics, as the host reaches them. */
    public readonly metricsEndpoints: Readonly<Record<string, string>>;
    /** The stack's Prometheus scrape config and alerting rules (no secret in either); undefined with metrics off. */
    public readonly prometheusScrapeConfig?: string;
    public readonly prometheusRules?: string;

    constructor(name: string, args: RedisClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:RedisCluster", name, {}, opts);
        const { settings } = args;
        const { plan, cluster } = settings;

        // First, before anything Docker holds: a re-created stack must not start on the data volumes
        // an earlier deploy left with passwords generated anew (components/volume-check.ts).
        const volumeCheck = declareVolumeCheck(
            "data-volume-check",
            {
                settings,
                generated: { redis: args.redisPassword === undefined, sentinel: args.sentinelPassword === undefined },
                previous: { redis: args.redisPasswordPrevious !== undefined, sentinel: args.sentinelPasswordPrevious !== undefined },
                projectDir: args.projectDir,
            },
            this,
        );

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
            { parent: this, deleteBeforeReplace: true, dependsOn: [volumeCheck] },
        );
        this.networkName = this.network.name;

        const passwords: ServerPasswords = {
            redis: this.redisPassword,
            sentinel: this.sentinelPassword,
            redisPrevious: args.redisPasswordPrevious,
            sentinelPrevious: args.sentinelPasswordPrevious,
        };
        const common = { settings, image, networkName: this.network.name, passwords, projectDir: args.projectDir, volumeCheck };
        // Each server waits for the one before it: a change that replaces every container replaces
        // them one at a time, each healthy (a replica: in sync) before the next goes, and a master
        // hands its role over as it stops. Nodes first, then Sentinels, so a quorum stays up.
        this.nodes = [];
        for (const [index, endpoint] of plan.nodes.entries()) {
            const previous = this.nodes[index - 1];
            this.nodes.push(
                new RedisNode(
                    endpoint.name,
                    {
                        ...common,
                        endpoint,
                        dependsOn: previous ? [previous.container] : [],
                        // Settings steps run one at a time too: a burst would compete for CPU with the servers.
                        settingsDependsOn: previous ? [previous.settingsStep] : [],
                    },
                    { parent: this },
                ),
            );
        }
        const lastNode = this.nodes[this.nodes.length - 1];
        this.sentinels = [];
        for (const [index, endpoint] of plan.sentinels.entries()) {
            const previous = this.sentinels[index - 1]?.container ?? lastNode.container;
            this.sentinels.push(
                new Sentinel(
                    endpoint.name,
                    // Passwords change on every node before any Sentinel presents the new one.
                    {
                        ...common,
                        endpoint,
                        dependsOn: [previous],
                        settingsDependsOn: [
                            ...this.nodes.map((n) => n.settingsStep),
                            ...(index > 0 ? [this.sentinels[index - 1].settingsStep] : []),
                        ],
                    },
                    { parent: this },
                ),
            );
        }

        // Exporters come last and nothing waits for them: they never hold up a server's replacement.
        const exporterImage = !cluster.metrics.enabled
            ? undefined
            : cluster.metrics.image.pull
              ? new docker.RemoteImage("exporter-image", { name: cluster.metrics.image.name, keepLocally: true }, { parent: this }).imageId
              : pulumi.output(cluster.metrics.image.name);
        const exporters = exporterImage ? stackExporters(settings) : [];
        this.exporters = exporters.map(
            (exporter) =>
                new Exporter(
                    exporter.name,
                    {
                        settings,
                        exporter,
                        image: exporterImage as pulumi.Output<string>,
                        networkName: this.network.name,
                        password: exporter.kind === "redis" ? this.redisPassword : this.sentinelPassword,
                    },
                    { parent: this },
                ),
        );
        this.metricsEndpoints = Object.fromEntries(exporters.map((e) => [e.server.name, `http://${scrapeAddress(settings, e)}/metrics`]));
        this.prometheusScrapeConfig = renderScrapeConfig(settings);
        this.prometheusRules = renderAlertRules(settings);

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
