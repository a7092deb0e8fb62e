import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint } from "../config/address-plan";
import { StackSettings } from "../config/validate";
import { renderHealthcheckScript, renderStartScript, ServerKind } from "../config-templates/container-scripts";
import { CONTAINER_PATHS, REDIS_UID } from "../config-templates/paths";

export interface ServerContainerArgs {
    readonly kind: ServerKind;
    readonly settings: StackSettings;
    readonly endpoint: Endpoint;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    /** The rendered config template; it holds passwords, so it must be a secret output. */
    readonly config: pulumi.Output<string>;
}

export interface ServerContainer {
    readonly volume: docker.Volume;
    readonly container: docker.Container;
}

/** Labels that let an operator (and the test sweeper) find a stack's objects. */
export function stackLabels(settings: StackSettings, role: string, node?: string): { label: string; value: string }[] {
    const labels = {
        "appscreens.project": "appscreens-redis",
        "appscreens.stack": settings.stack,
        "appscreens.role": role,
        ...(node ? { "appscreens.node": node } : {}),
    };
    return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/**
 * A Redis-family server (node or Sentinel): its data volume and its container, children of
 * `parent`. Shared by both components because they differ only in what they render.
 */
export function declareServerContainer(
    args: ServerContainerArgs,
    parent: pulumi.Resource,
    dependsOn: pulumi.Input<pulumi.Resource>[],
): ServerContainer {
    const { settings, endpoint, kind } = args;
    const dockerName = `${settings.namePrefix}-${endpoint.name}`;
    const labels = stackLabels(settings, kind, endpoint.name);
    const volume = new docker.Volume(`${endpoint.name}-data`, { name: `${dockerName}-data`, labels }, { parent });
    const template = kind === "redis" ? CONTAINER_PATHS.redisTemplate : CONTAINER_PATHS.sentinelTemplate;
    const uid = String(REDIS_UID);
    const container = new docker.Container(
        endpoint.name,
        {
            name: dockerName,
            hostname: endpoint.name,
            image: args.image,
            user: `${uid}:${uid}`,
            entrypoints: ["/bin/sh", CONTAINER_PATHS.startScript],
            command: [],
            uploads: [
                { file: template, content: args.config, owner: uid, group: uid, permissions: "0400" },
                { file: CONTAINER_PATHS.startScript, content: renderStartScript(kind), permissions: "0555" },
                { file: CONTAINER_PATHS.healthcheckScript, content: renderHealthcheckScript(kind), permissions: "0555" },
            ],
            volumes: [{ volumeName: volume.name, containerPath: CONTAINER_PATHS.dataDir }],
            networksAdvanced: [{ name: args.networkName, ipv4Address: endpoint.address, aliases: [endpoint.name] }],
            ports: [{ internal: endpoint.port, external: endpoint.hostPort, ip: settings.cluster.publish.host, protocol: "tcp" }],
            healthcheck: {
                tests: ["CMD", "/bin/sh", CONTAINER_PATHS.healthcheckScript],
                interval: "2s",
                timeout: "3s",
                retries: 15,
                startPeriod: "60s",
            },
            // Redis refuses clients beyond what the open-file limit allows (it keeps 32 for itself).
            ulimits: [{ name: "nofile", soft: settings.cluster.redis.maxclients + 64, hard: settings.cluster.redis.maxclients + 64 }],
            restart: "unless-stopped",
            // SIGTERM lets Redis fsync the AOF and write its final snapshot before it exits.
            destroyGraceSeconds: 30,
            wait: true,
            waitTimeout: 180,
            labels,
        },
        // Fixed container names and host ports cannot exist twice, so replace by delete-then-create.
        { parent, dependsOn, deleteBeforeReplace: true },
    );
    return { volume, container };
}

/** What every server component takes besides its passwords. */
export interface ServerArgs {
    readonly settings: StackSettings;
    /** Position among its kind; names (`redis-0`, `sentinel-1`) and addresses follow from it. */
    readonly index: number;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Redis node or a Sentinel: a component whose children are its container and data volume. */
export abstract class ServerComponent extends pulumi.ComponentResource {
    public readonly endpoint: Endpoint;
    public readonly container: docker.Container;
    public readonly volume: docker.Volume;
    public readonly containerName: pulumi.Output<string>;

    protected constructor(
        type: string,
        name: string,
        kind: ServerKind,
        args: ServerArgs,
        endpoint: Endpoint,
        config: pulumi.Output<string>,
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        this.endpoint = endpoint;
        const { settings, image, networkName } = args;
        const server = declareServerContainer({ kind, settings, endpoint, image, networkName, config }, this, args.dependsOn ?? []);
        this.container = server.container;
        this.volume = server.volume;
        this.containerName = server.container.name;
        this.registerOutputs({ containerName: this.containerName, address: endpoint.address, hostPort: endpoint.hostPort });
    }
}
