import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { DockerTls } from "../contracts/docker-hosts";
import { Endpoint, ServerKind } from "../settings/address-plan";
import { dataVolumeName, dockerName } from "../settings/docker-names";
import { StackSettings } from "../settings/validate";
import { renderScriptEnv, serverScripts } from "../render/container-scripts";
import { bootstrapArgs, DIRECTIVES } from "../render/directives";
import { CONTAINER_PATHS } from "../render/paths";
import { declareServerSettings, ServerPasswords } from "./server-settings";
import { TlsMaterial } from "./tls";

export interface ServerContainerArgs {
    readonly kind: ServerKind;
    readonly settings: StackSettings;
    readonly endpoint: Endpoint;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    /** The initial config (runtime settings, passwords): a secret output. */
    readonly initialConfig: pulumi.Output<string>;
    /** The cluster snapshot the start and stop scripts read (holds a password): a secret output. */
    readonly clusterEnv: pulumi.Output<string>;
    /** The stack was created with `cluster.users.enabled`: the scripts log in as the tools' user. */
    readonly users?: boolean;
    /** With `cluster.tls.enabled`: this server's leaf and key, and the stack's CA (components/tls.ts). */
    readonly tls?: ServerTls;
}

/** What a server is given of the stack's TLS material. */
export interface ServerTls extends TlsMaterial {
    /** The CAs it trusts (StackTls.trustPem): its settings step keeps /data/tls/ca.pem at this through a CA rotation. */
    readonly caCertPem: pulumi.Output<string>;
}

export interface ServerContainer {
    readonly volume: docker.Volume;
    readonly container: docker.Container;
}

/** Labels that let an operator (and the test sweeper) find a stack's objects. */
export function stackLabels(settings: StackSettings, role: string, node?: string, host?: string): { label: string; value: string }[] {
    const labels = {
        "appscreens.project": "appscreens-redis",
        "appscreens.stack": settings.stack,
        "appscreens.role": role,
        ...(node ? { "appscreens.node": node } : {}),
        // With hosts only. A changed provider alone does not replace a resource (pulumi's step
        // generator asks the provider's DiffConfig, and the docker provider's does not replace), so
        // a server moved to another host would stay where it was; a changed label forces it.
        ...(host ? { "appscreens.host": host } : {}),
    };
    return Object.entries(labels).map(([label, value]) => ({ label, value }));
}

/**
 * Uploads whose later changes the container ignores: the initial config and the cluster snapshot
 * are read only on a volume's first start, and every deploy applies the current settings and
 * passwords to the running server instead (components/server-settings.ts). Without this a
 * password rotation or a maxmemory change would replace every container.
 */
export const FIRST_START_UPLOADS = ["uploads[0].content", "uploads[1].content"];

/**
 * The uploads of a server's container: the first-start files, its scripts and, with TLS, its CA,
 * leaf and key. The TLS ones come last, so the indices above stay what they were.
 */
function serverUploads(args: ServerContainerArgs): docker.types.input.ContainerUpload[] {
    const { kind, settings } = args;
    const users = args.users ?? false;
    const tls = settings.cluster.tls.enabled;
    if (tls !== (args.tls !== undefined))
        throw new Error(`${args.endpoint.name}: TLS material must be given exactly when cluster.tls.enabled`);
    const p = CONTAINER_PATHS;
    return [
        { file: p.initialConf, content: args.initialConfig, permissions: "0400" },
        { file: p.clusterEnv, content: args.clusterEnv, permissions: "0400" },
        ...serverScripts(kind, users, tls).map((script) => ({ file: script.file, content: script.content, permissions: "0555" })),
        // Secret, all three: the key must be, and the certificates go with it (root-only, 0400; the
        // start script installs copies for the redis user into /data/tls).
        ...(args.tls
            ? [
                  { file: p.tlsCaUpload, content: pulumi.secret(args.tls.caCertPem), permissions: "0400" },
                  { file: p.tlsCertUpload, content: pulumi.secret(args.tls.certPem), permissions: "0400" },
                  { file: p.tlsKeyUpload, content: pulumi.secret(args.tls.keyPem), permissions: "0400" },
              ]
            : []),
    ];
}

/**
 * The TLS uploads' places among `uploads`, whose later changes the container ignores too. A renewed
 * leaf (the provider replaces a certificate within its renewal window) would otherwise replace every
 * server at once; the running server keeps its files in /data/tls, which the start script fills
 * from these uploads only while empty, and a renewal writes the new leaf there and reloads it
 * instead (docs/tls.md). A container replaced for another reason keeps the uploads it had (ignored
 * changes keep their old values) and the volume keeps /data/tls.
 */
export function tlsUploadChanges(uploads: readonly docker.types.input.ContainerUpload[]): string[] {
    const tlsFiles: string[] = [CONTAINER_PATHS.tlsCaUpload, CONTAINER_PATHS.tlsCertUpload, CONTAINER_PATHS.tlsKeyUpload];
    return uploads.flatMap((u, i) => (tlsFiles.includes(u.file as string) ? [`uploads[${i}].content`] : []));
}

/**
 * The script uploads' places among `uploads`, whose later changes a stack moved onto the users
 * (`cluster.users.migrated`) ignores: migration step 1b wrote the users scripts into the running
 * containers, so the flip to users must not replace them to upload the same (docs/security.md,
 * "Moving an existing stack onto users"). The cluster snapshot is a first-start upload already.
 */
export function migratedUploadChanges(uploads: readonly docker.types.input.ContainerUpload[]): string[] {
    const scripts: string[] = [
        CONTAINER_PATHS.startScript,
        CONTAINER_PATHS.healthcheckScript,
        CONTAINER_PATHS.handoverScript,
        CONTAINER_PATHS.promotionGuardScript,
    ];
    return uploads.flatMap((u, i) => (scripts.includes(u.file as string) ? [`uploads[${i}].content`] : []));
}

/**
 * A Redis-family server (node or Sentinel): its data volume and its container, children of
 * `parent`. Shared by both components because they differ only in what they render.
 */
export function declareServerContainer(
    args: ServerContainerArgs,
    parent: pulumi.Resource,
    dependsOn: pulumi.Input<pulumi.Resource>[],
    volumeDependsOn: pulumi.Input<pulumi.Resource>[] = [],
): ServerContainer {
    const { settings, endpoint, kind } = args;
    const name = dockerName(settings, endpoint.name);
    const labels = stackLabels(settings, kind, endpoint.name, endpoint.host);
    // Data outlives the container: a replaced container mounts the same volume, and an `up` never
    // deletes it (scaling down or `destroy` leaves it for the operator; see docs/operations.md). Docker's
    // create returns a volume of that name that is already there: the volume check runs first.
    const volume = new docker.Volume(
        `${endpoint.name}-data`,
        { name: dataVolumeName(settings, endpoint.name), labels },
        { parent, retainOnDelete: true, dependsOn: volumeDependsOn },
    );
    const uploads = serverUploads(args);
    const container = new docker.Container(
        endpoint.name,
        {
            name,
            hostname: endpoint.name,
            image: args.image,
            // The start script runs as root, installs the config for the redis user and drops to it with
            // gosu, as the official image's entrypoint does: nothing depends on upload ownership.
            entrypoints: ["/bin/sh", CONTAINER_PATHS.startScript],
            command: bootstrapArgs(DIRECTIVES[kind], settings, endpoint),
            envs: renderScriptEnv(settings, endpoint),
            uploads,
            volumes: [{ volumeName: volume.name, containerPath: CONTAINER_PATHS.dataDir }],
            networksAdvanced: [{ name: args.networkName, ipv4Address: endpoint.address, aliases: [endpoint.name] }],
            ports: [{ internal: endpoint.port, external: endpoint.hostPort, ip: endpoint.publishAddress, protocol: "tcp" }],
            // Durations as the provider reads them back (Go's format), or every preview shows a diff.
            healthcheck: {
                tests: ["CMD", "/bin/sh", CONTAINER_PATHS.healthcheckScript],
                interval: "2s",
                timeout: "3s",
                retries: 15,
                startPeriod: "1m0s",
            },
            // No ulimits: an input here would make maxclients a replacement. Containers inherit the
            // engine's open-file limit (Docker's systemd unit: 1048576); a maxclients above what it
            // allows is refused by CONFIG SET, and the settings step fails naming it.
            restart: "unless-stopped",
            // SIGTERM hands the master role over, then Redis writes its final AOF/RDB: both need time,
            // on a replacement or destroy (destroyGraceSeconds) and on a plain `docker stop` (stopTimeout).
            destroyGraceSeconds: 30,
            stopTimeout: 30,
            wait: true,
            waitTimeout: 180,
            labels,
        },
        {
            parent,
            dependsOn,
            // Fixed container names and host ports cannot exist twice, so replace by delete-then-create.
            deleteBeforeReplace: true,
            ignoreChanges: [
                ...FIRST_START_UPLOADS,
                ...tlsUploadChanges(uploads),
                ...(settings.cluster.users.migrated ? migratedUploadChanges(uploads) : []),
            ],
            // The provider updates a changed healthcheck in its state only; a new container applies it.
            replaceOnChanges: ["healthcheck"],
        },
    );
    return { volume, container };
}

/** What every server component takes. */
export interface ServerArgs {
    readonly settings: StackSettings;
    /** The server, by value (one of `settings.plan.nodes` or `.sentinels`): name, address, ports. */
    readonly endpoint: Endpoint;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    readonly passwords: ServerPasswords;
    readonly projectDir: string;
    /** The `hostTls` secret, with `hosts`: a settings step on a tcp:// host reads its container's log with it. */
    readonly hostTls?: pulumi.Output<DockerTls>;
    /** The stack's volume check: the data volume waits for it. */
    readonly volumeCheck: command.local.Command;
    /** With `cluster.tls.enabled`: this server's leaf and key and the stack's CA. */
    readonly tls?: ServerTls;
    /** The container waits for these (the previous server: replacements go one at a time). */
    readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
    /** The settings step waits for these (Sentinels for every node's: passwords change nodes first). */
    readonly settingsDependsOn?: pulumi.Input<pulumi.Resource>[];
}

/** A Redis node or a Sentinel: a component whose children are its container and data volume. */
export abstract class ServerComponent extends pulumi.ComponentResource {
    public readonly endpoint: Endpoint;
    public readonly container: docker.Container;
    public readonly volume: docker.Volume;
    public readonly containerName: pulumi.Output<string>;
    /** Applies runtime settings and passwords to the running server (see server-settings.ts). */
    public readonly settingsStep: command.local.Command;

    protected constructor(
        type: string,
        name: string,
        kind: ServerKind,
        args: ServerArgs,
        files: { initialConfig: pulumi.Output<string>; clusterEnv: pulumi.Output<string> },
        opts?: pulumi.ComponentResourceOptions,
    ) {
        super(type, name, {}, opts);
        const { settings, endpoint, image, networkName } = args;
        this.endpoint = endpoint;
        const server = declareServerContainer(
            { kind, settings, endpoint, image, networkName, ...files, users: args.passwords.users !== undefined, tls: args.tls },
            this,
            args.dependsOn ?? [],
            [args.volumeCheck],
        );
        this.container = server.container;
        this.volume = server.volume;
        this.containerName = server.container.name;
        this.settingsStep = declareServerSettings(
            `${name}-settings`,
            {
                kind,
                settings,
                endpoint,
                container: server.container,
                passwords: args.passwords,
                projectDir: args.projectDir,
                hostTls: args.hostTls,
                ...(args.tls ? { leaf: args.tls } : {}),
                dependsOn: args.settingsDependsOn ?? [],
            },
            this,
        );
        this.registerOutputs({ containerName: this.containerName, address: endpoint.address, hostPort: endpoint.hostPort });
    }
}
