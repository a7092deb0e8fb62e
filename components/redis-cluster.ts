import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { PlanHost } from "../settings/address-plan";
import { buildConnectionInfo, HostPort, ServerEndpoint } from "../settings/connection-info";
import { dockerEndpointKind, HostConfig } from "../settings/schema";
import { planTls } from "../settings/tls-plan";
import { StackSettings } from "../settings/validate";
import { renderAlertRules } from "../render/alert-rules";
import { renderScrapeConfig, scrapeAddress, stackExporters } from "../render/prometheus";
import { Exporter } from "./exporter";
import { RedisNode } from "./redis-node";
import { Sentinel } from "./sentinel";
import { ServerPasswords } from "./server-settings";
import { ServerTls, stackLabels } from "./server-container";
import { StackTls } from "./tls";
import { ACL_USER_NAMES, AclPasswords, CLIENT_USERS, StackUsers } from "../render/acl-users";
import { declareVolumeCheck } from "./volume-check";
import { userPasswordsJson } from "../contracts/user-passwords-env";

/** The users' passwords as the migration CLIs read them, secret. */
const migrationJson = (users: pulumi.Output<StackUsers>): pulumi.Output<string> =>
    pulumi.secret(users.apply((u) => userPasswordsJson({ passwords: u.passwords })));

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
    /** The `hostTls` secret: the PEMs of each tcp:// host, by host name (validated: all three present). */
    readonly hostTls?: pulumi.Output<Readonly<Record<string, HostTls>>>;
}

/** The TLS material of one tcp:// host. */
export interface HostTls {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

/** What each host gets of its own: the provider its servers use, their network and their image. */
export interface HostResources {
    readonly host: PlanHost;
    /** Absent on a single host: the default provider, as before hosts existed. */
    readonly provider?: docker.Provider;
    readonly network: docker.Network;
    readonly image: pulumi.Input<string>;
}

/** A Redis master, its replicas and the Sentinels watching them, on a network of their own. */
export class RedisCluster extends pulumi.ComponentResource {
    /** Per host, by host name; on a single host one entry under "" with the default provider. */
    public readonly hostResources: ReadonlyMap<string, HostResources>;
    /** The network of a single host; absent with `hosts` (see hostResources). */
    public readonly network?: docker.Network;
    public readonly nodes: RedisNode[];
    public readonly sentinels: Sentinel[];
    /** Only on a single host: with `hosts` each host has a network of this name, so none is "the" network. */
    public readonly networkName?: pulumi.Output<string>;
    /** The `default` user's passwords; absent on a users stack, where `default` is off. */
    public readonly redisPassword?: pulumi.Output<string>;
    public readonly sentinelPassword?: pulumi.Output<string>;
    /** With `cluster.users.enabled`: every user's password (secret) and the app's option. */
    public readonly users?: pulumi.Output<StackUsers>;
    /**
     * The migration steps' APPSCREENS_USER_PASSWORDS (contracts/user-passwords-env.ts; secret), with
     * `cluster.users.migration: prepare` (the stack does not use them yet) or `migrated` (step 4 and
     * rotations still read them).
     */
    public readonly migrationUserPasswords?: pulumi.Output<string>;
    /** With `cluster.users.enabled`: what clients log in as (names in clear, passwords secret). */
    public readonly clientLogins?: {
        readonly app: { readonly user: string; readonly password: pulumi.Output<string> };
        readonly discovery: { readonly user: string; readonly password: pulumi.Output<string> };
        readonly admin: { readonly user: string; readonly password: pulumi.Output<string> };
    };
    public readonly masterName: string;
    public readonly sentinelEndpoints: readonly HostPort[];
    /** Only on a single host (see networkName). */
    public readonly sentinelEndpointsInNetwork?: readonly HostPort[];
    public readonly natMap: Readonly<Record<string, HostPort>>;
    public readonly publishedPorts: Readonly<Record<string, number>>;
    /** Each server's endpoint and, with `hosts`, its host. */
    public readonly serverEndpoints: Readonly<Record<string, ServerEndpoint>>;
    public readonly ioredisExample: string;
    /** One redis_exporter per node and Sentinel (none with metrics off). */
    public readonly exporters: Exporter[];
    /** Server name -> URL of its exporter's metrics, as the host reaches them. */
    public readonly metricsEndpoints: Readonly<Record<string, string>>;
    /** The stack's Prometheus scrape config and alerting rules (no secret in either); undefined with metrics off. */
    public readonly prometheusScrapeConfig?: string;
    public readonly prometheusRules?: string;
    /** The stack's CA, server and client certificates with `tls.enabled`: uploaded into the servers and exporters. */
    public readonly tls?: StackTls;

    constructor(name: string, args: RedisClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:RedisCluster", name, {}, opts);
        const { settings } = args;
        const { plan, cluster } = settings;

        // First, before anything Docker holds: a re-created stack must not start on the data volumes
        // an earlier deploy left with passwords generated anew (components/volume-check.ts).
        const checkArgs = {
            settings,
            generated: { redis: args.redisPassword === undefined, sentinel: args.sentinelPassword === undefined },
            previous: { redis: args.redisPasswordPrevious !== undefined, sentinel: args.sentinelPasswordPrevious !== undefined },
            projectDir: args.projectDir,
            hostTls: args.hostTls,
        };
        const volumeCheck = declareVolumeCheck("data-volume-check", checkArgs, this);

        // With users: the users check after it, and everything that waited for the volume check
        // waits for the users check instead (components/volume-check.ts).
        // A stack moved onto the users (`migrated`) has volumes by design: its guard is the settings
        // steps' own (admin accepted, masteruser replication), which steps 1 and 2 made true.
        const firstStep =
            cluster.users.enabled && !cluster.users.migrated
                ? declareVolumeCheck("users-check", checkArgs, this, { after: volumeCheck })
                : volumeCheck;

        // A users stack: one generated password per user, and no `default` password at all
        // (validation refused the password keys with users on).
        let passwords: ServerPasswords;
        if (cluster.users.enabled) {
            const users = this.userPasswords(cluster.users.appWrites);
            const passwordOf = (user: keyof AclPasswords) => pulumi.secret(users.apply((u) => u.passwords[user]));
            const login = (user: keyof AclPasswords) => ({ user, password: passwordOf(user) });
            this.users = users;
            if (cluster.users.migrated) this.migrationUserPasswords = migrationJson(users);
            this.clientLogins = {
                app: login(CLIENT_USERS.app),
                discovery: login(CLIENT_USERS.appOnSentinels),
                admin: login(CLIENT_USERS.tools),
            };
            const tools = passwordOf(CLIENT_USERS.tools);
            passwords = { redis: tools, sentinel: tools, users };
        } else {
            // Before the move onto the users: their passwords, under the names a users stack gives
            // them, so that the flip deploy keeps them; nothing else of the stack changes.
            if (cluster.users.migration === "prepare") this.migrationUserPasswords = migrationJson(this.userPasswords(false));
            const redisPassword = pulumi.secret(args.redisPassword ?? this.generatedPassword("redis-password"));
            const sentinelPassword = pulumi.secret(args.sentinelPassword ?? this.generatedPassword("sentinel-password"));
            this.redisPassword = redisPassword;
            this.sentinelPassword = sentinelPassword;
            passwords = {
                redis: redisPassword,
                sentinel: sentinelPassword,
                redisPrevious: args.redisPasswordPrevious,
                sentinelPrevious: args.sentinelPasswordPrevious,
            };
        }

        // Keys and certificates: with TLS off nothing is declared, so a stack without it is unchanged.
        // With it, each server gets its leaf and key and the CA as uploads, each exporter the CA and
        // its client certificate (components/server-container.ts, components/exporter.ts). Declared
        // before the servers, whose settings steps connect with the tools' certificate.
        const tlsPlan = planTls({ namePrefix: settings.namePrefix, tls: cluster.tls, plan });
        const stackTls = tlsPlan ? new StackTls("tls", { plan: tlsPlan }, { parent: this }) : undefined;
        this.tls = stackTls;
        if (stackTls) passwords = { ...passwords, tls: stackTls.clientEnvironment(cluster.tls.renewalWindowHours, false) };

        const hostResources = new Map<string, HostResources>();
        if (cluster.hosts) {
            for (const config of cluster.hosts) {
                const host: PlanHost = { name: config.name, address: config.address };
                const provider = this.hostProvider(config, args.hostTls);
                hostResources.set(host.name, {
                    host,
                    provider,
                    ...this.hostObjects(settings, firstStep, `-${host.name}`, provider, host),
                });
            }
        } else {
            // Exactly the objects (names included) a stack had before hosts existed: no provider, so
            // the default one, one network and one image.
            const host = { name: "", address: cluster.publish.host };
            hostResources.set("", { host, ...this.hostObjects(settings, firstStep, "", undefined, undefined) });
        }
        this.hostResources = hostResources;
        const single = cluster.hosts ? undefined : hostResources.get("");
        this.network = single?.network;
        this.networkName = single?.network.name;

        const serverTls = (endpoint: { name: string }): { tls?: ServerTls } => {
            if (!stackTls) return {};
            const leaf = stackTls.servers[endpoint.name];
            if (!leaf) throw new Error(`no TLS leaf planned for ${endpoint.name}`);
            return { tls: { ...leaf, caCertPem: stackTls.trustPem } };
        };

        const common = { settings, passwords, projectDir: args.projectDir, volumeCheck: firstStep, hostTls: args.hostTls };
        // Each server goes to its host's provider through the component's `providers`, so its volume
        // and container (docker resources) are created on that host's engine; the settings step (a
        // local command) still runs on the deploy machine.
        const onHost = (endpoint: { host?: string }) => {
            const resources = hostResources.get(endpoint.host ?? "");
            // The plan places servers only on the configured hosts (settings/address-plan.ts).
            if (!resources) throw new Error(`server placed on host "${endpoint.host ?? ""}", which has no provider`);
            return {
                args: { image: resources.image, networkName: resources.network.name },
                opts: { parent: this, ...(resources.provider ? { providers: [resources.provider] } : {}) },
            };
        };
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
                        ...onHost(endpoint).args,
                        ...serverTls(endpoint),
                        endpoint,
                        dependsOn: previous ? [previous.container] : [],
                        // Settings steps run one at a time too: a burst would compete for CPU with the servers.
                        settingsDependsOn: previous ? [previous.settingsStep] : [],
                    },
                    onHost(endpoint).opts,
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
                        ...onHost(endpoint).args,
                        ...serverTls(endpoint),
                        endpoint,
                        dependsOn: [previous],
                        settingsDependsOn: [
                            ...this.nodes.map((n) => n.settingsStep),
                            ...(index > 0 ? [this.sentinels[index - 1].settingsStep] : []),
                        ],
                    },
                    onHost(endpoint).opts,
                ),
            );
        }

        // Exporters come last and nothing waits for them: they never hold up a server's replacement.
        // Each runs beside its server: on its host's engine and network, from an image there.
        const exporterImages = new Map<string, pulumi.Input<string>>();
        const exporterImageOn = (host: string | undefined, provider: docker.Provider | undefined): pulumi.Input<string> => {
            const key = host ?? "";
            let image = exporterImages.get(key);
            if (!image) {
                image = cluster.metrics.image.pull
                    ? new docker.RemoteImage(
                          `exporter-image${host ? `-${host}` : ""}`,
                          { name: cluster.metrics.image.name, keepLocally: true },
                          { parent: this, ...(provider ? { provider } : {}) },
                      ).imageId
                    : cluster.metrics.image.name;
                exporterImages.set(key, image);
            }
            return image;
        };
        const exporters = cluster.metrics.enabled ? stackExporters(settings) : [];
        this.exporters = exporters.map((exporter) => {
            const resources = hostResources.get(exporter.server.host ?? "");
            if (!resources)
                throw new Error(
                    `exporter of ${exporter.server.name} placed on host "${exporter.server.host ?? ""}", which has no provider`,
                );
            return new Exporter(
                exporter.name,
                {
                    settings,
                    exporter,
                    image: exporterImageOn(exporter.server.host, resources.provider),
                    networkName: resources.network.name,
                    ...(passwords.users
                        ? { password: passwords.users.apply((u) => u.passwords[CLIENT_USERS.exporter]), user: CLIENT_USERS.exporter }
                        : { password: exporter.kind === "redis" ? passwords.redis : passwords.sentinel }),
                    // The CA, and the exporter's own client certificate when servers require one.
                    ...(stackTls ? { tls: { caCertPem: stackTls.trustPem, client: stackTls.clients.exporter } } : {}),
                },
                { parent: this, ...(resources.provider ? { providers: [resources.provider] } : {}) },
            );
        });
        this.metricsEndpoints = Object.fromEntries(exporters.map((e) => [e.server.name, `http://${scrapeAddress(e)}/metrics`]));
        this.prometheusScrapeConfig = renderScrapeConfig(settings);
        this.prometheusRules = renderAlertRules(settings);

        const info = buildConnectionInfo(
            settings,
            this.users ? { onNodes: CLIENT_USERS.app, onSentinels: CLIENT_USERS.appOnSentinels } : undefined,
        );
        this.masterName = info.masterName;
        this.sentinelEndpoints = info.sentinelEndpoints;
        this.sentinelEndpointsInNetwork = info.sentinelEndpointsInNetwork;
        this.natMap = info.natMap;
        this.publishedPorts = info.publishedPorts;
        this.serverEndpoints = info.serverEndpoints;
        this.ioredisExample = info.ioredisExample;
        this.registerOutputs({
            networkName: this.networkName,
            masterName: this.masterName,
            sentinelEndpoints: this.sentinelEndpoints,
            redisPassword: this.redisPassword,
            sentinelPassword: this.sentinelPassword,
        });
    }

    /**
     * The provider of one host. A tcp:// host gets its three PEMs from the `hostTls` secret
     * (validation required all three: with an empty CA the provider would not verify the engine).
     */
    private hostProvider(config: HostConfig, hostTls: RedisClusterArgs["hostTls"]): docker.Provider {
        const tls = dockerEndpointKind(config.docker) === "tcp" ? hostTls?.apply((t) => t[config.name]) : undefined;
        return new docker.Provider(
            `docker-${config.name}`,
            {
                host: config.docker,
                ...(config.sshOpts ? { sshOpts: config.sshOpts } : {}),
                ...(tls
                    ? {
                          caMaterial: pulumi.secret(tls.apply((t) => t.ca)),
                          certMaterial: pulumi.secret(tls.apply((t) => t.cert)),
                          keyMaterial: pulumi.secret(tls.apply((t) => t.key)),
                      }
                    : {}),
            },
            { parent: this },
        );
    }

    /**
     * A host's network and image. `suffix` is "" on a single host, which keeps the resource names
     * (and so the state) of a stack from before hosts existed.
     */
    private hostObjects(
        settings: StackSettings,
        volumeCheck: pulumi.Resource,
        suffix: string,
        provider: docker.Provider | undefined,
        host: PlanHost | undefined,
    ): { network: docker.Network; image: pulumi.Input<string> } {
        const { cluster, plan } = settings;
        const providerOpts = provider ? { provider } : {};
        const image = cluster.image.pull
            ? new docker.RemoteImage(`image${suffix}`, { name: cluster.image.name, keepLocally: true }, { parent: this, ...providerOpts })
                  .imageId
            : pulumi.output(cluster.image.name);
        const network = new docker.Network(
            `network${suffix}`,
            {
                name: settings.namePrefix,
                driver: "bridge",
                // Static addresses for the servers live in the lower half; Docker hands out the upper half
                // to app containers that join, so the two never collide.
                ipamConfigs: [{ subnet: plan.subnet, gateway: plan.gateway, ipRange: plan.dynamicRange }],
                labels: stackLabels(settings, "network", undefined, host?.name),
            },
            { parent: this, deleteBeforeReplace: true, dependsOn: [volumeCheck], ...providerOpts },
        );
        return { network, image };
    }

    /**
     * One generated password per ACL user (render/acl-users.ts), kept secret. A name on both kinds
     * of server (`admin`, `exporter`) is one user with one password.
     */
    private userPasswords(appWrites: boolean): pulumi.Output<StackUsers> {
        const each = Object.fromEntries(ACL_USER_NAMES.map((user) => [user, this.generatedPassword(`user-password-${user}`)]));
        return pulumi.secret(pulumi.all(each).apply((passwords) => ({ passwords: passwords as AclPasswords, options: { appWrites } })));
    }

    private generatedPassword(name: string): pulumi.Output<string> {
        // Letters and digits only: nothing a config line or a shell could misread.
        return new random.RandomPassword(name, { length: 32, special: false }, { parent: this }).result;
    }
}
