import Docker from "dockerode";

/** The type token of the docker provider's own resource (`new docker.Provider(...)`). */
export const DOCKER_PROVIDER = "pulumi:providers:docker";

/** The inputs of a docker.Provider the replay reads: where the engine is and how to trust it. */
export interface ProviderEndpoint {
    readonly host?: string;
    readonly caMaterial?: string;
    readonly certMaterial?: string;
    readonly keyMaterial?: string;
}

/**
 * Why a provider could not be configured, as the provider's configure fails
 * (kreuzwerker/terraform-provider-docker internal/provider/provider.go providerConfigure):
 * - `client-init`: the host could not be turned into a client ("Error initializing Docker client").
 * - `unreachable`: the engine did not answer its ping ("Error pinging Docker server").
 */
export type ProviderFailureKind = "client-init" | "unreachable";

export class ProviderConfigureError extends Error {
    constructor(
        readonly kind: ProviderFailureKind,
        /** The provider's `host` input: which engine (and so which host of the stack) failed. */
        readonly host: string,
        message: string,
        options?: { cause?: unknown },
    ) {
        super(message, options);
        this.name = "ProviderConfigureError";
    }
}

/**
 * dockerode's options for a provider's `host`, as the provider's client reads it: `unix://` a
 * socket, `tcp://` HTTP or, with the three PEMs, HTTPS with the engine's certificate checked,
 * `ssh://` through dockerode's ssh transport. Pure, so each form is unit-tested. Not the tools'
 * reader (ops/docker/engines.ts dockerOptionsFor), on purpose: that one enforces the stack's rules
 * (a tcp:// host needs all three PEMs), while this one stands in for the provider, which takes a
 * tcp:// host without them (plain HTTP) as the provider itself would.
 */
export function dockerOptions(endpoint: ProviderEndpoint): Docker.DockerOptions {
    // The provider's default when `host` is unset (it also reads DOCKER_HOST; the replay's default engine does the same).
    const host = endpoint.host || process.env.DOCKER_HOST || "unix:///var/run/docker.sock";
    let url: URL;
    try {
        url = new URL(host);
    } catch (err) {
        throw new ProviderConfigureError("client-init", host, `Error initializing Docker client: unable to parse docker host \`${host}\``, {
            cause: err,
        });
    }
    switch (url.protocol) {
        case "unix:":
            return { socketPath: url.pathname };
        case "tcp:": {
            const tls = endpoint.caMaterial && endpoint.certMaterial && endpoint.keyMaterial;
            return {
                host: url.hostname,
                port: Number(url.port || (tls ? 2376 : 2375)),
                protocol: tls ? "https" : "http",
                ...(tls ? { ca: endpoint.caMaterial, cert: endpoint.certMaterial, key: endpoint.keyMaterial } : {}),
            };
        }
        case "ssh:":
            return { protocol: "ssh", host: url.hostname, port: Number(url.port || 22), username: url.username || undefined };
        default:
            throw new ProviderConfigureError(
                "client-init",
                host,
                `Error initializing Docker client: unsupported protocol ${url.protocol.replace(/:$/, "")} in \`${host}\``,
            );
    }
}

/** Makes the client of one engine; tests hand in fakes. */
export type DockerClientFactory = (endpoint: ProviderEndpoint) => Docker;

const PING_TIMEOUT_MS = 10_000;

export const dockerodeClient: DockerClientFactory = (endpoint) => new Docker(dockerOptions(endpoint));

/**
 * Which engine each resource goes to. A resource declared with a docker.Provider goes to that
 * provider's `host`; one without goes to the default engine (the machine's own, as before
 * providers existed, and never pinged, as before). Each provider's engine is pinged once per run
 * before its first use, and a failed ping fails with the provider's own message naming the host:
 * the engine configures a provider before any resource of it is touched, for a delete too.
 */
export class EngineRoutes {
    private readonly clients = new Map<string, { docker: Docker; ready: Promise<void> }>();
    /** Provider key (`type::name`) -> its endpoint, as registered (this run) or recorded (state). */
    private readonly providers = new Map<string, ProviderEndpoint>();

    constructor(
        private readonly factory: DockerClientFactory = dockerodeClient,
        readonly defaultEngine: Docker = new Docker(),
    ) {}

    /**
     * A new run (`up`, `preview`, `destroy`): each is a new engine process that configures every
     * provider again, so an engine that died since the last run fails this one.
     */
    newRun(): void {
        this.clients.clear();
    }

    /** A provider's registration: remembers its endpoint and configures it (ping) as the engine does. */
    async configure(providerKey: string, endpoint: ProviderEndpoint): Promise<void> {
        this.providers.set(providerKey, endpoint);
        await this.client(endpoint);
    }

    /** What a provider recorded in the state stands for, so a later run reaches its engine without the program. */
    remember(providerKey: string, endpoint: ProviderEndpoint): void {
        if (!this.providers.has(providerKey)) this.providers.set(providerKey, endpoint);
    }

    endpointOf(providerKey: string | undefined): ProviderEndpoint | undefined {
        return providerKey ? this.providers.get(providerKey) : undefined;
    }

    /**
     * The engine of a resource's provider: the default one for no provider ("" or undefined) and
     * for another package's provider (a random or command resource talks to no engine).
     */
    async engineFor(providerKey: string | undefined): Promise<Docker> {
        if (!providerKey?.startsWith(`${DOCKER_PROVIDER}::`)) return this.defaultEngine;
        const endpoint = this.providers.get(providerKey);
        if (!endpoint)
            throw new Error(
                `the replay deployer has no docker provider ${providerKey}: it must be registered before the resources that use it`,
            );
        return this.client(endpoint);
    }

    private async client(endpoint: ProviderEndpoint): Promise<Docker> {
        const host = endpoint.host ?? "";
        let entry = this.clients.get(host);
        if (!entry) {
            const docker = this.factory(endpoint);
            // The provider's ping has no deadline of its own; a frozen engine must not hang the run.
            let timer: NodeJS.Timeout | undefined;
            const deadline = new Promise<never>((_, reject) => {
                timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS} ms`)), PING_TIMEOUT_MS);
            });
            const ready = Promise.race([docker.ping(), deadline])
                .finally(() => clearTimeout(timer))
                .then(
                    () => undefined,
                    (err: unknown) => {
                        throw new ProviderConfigureError(
                            "unreachable",
                            host,
                            `Error pinging Docker server: ${err instanceof Error ? err.message : String(err)} (host ${host})`,
                            {
                                cause: err,
                            },
                        );
                    },
                );
            // A failed ping is not cached: the next use tries again, as a new `up` would.
            ready.catch(() => this.clients.delete(host));
            entry = { docker, ready };
            this.clients.set(host, entry);
        }
        await entry.ready;
        return entry.docker;
    }
}
