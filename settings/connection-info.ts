import { APP_TLS_ENV, PASSWORD_ENV } from "../contracts/env";
import { memberKey } from "./address-plan";
import { StackSettings } from "./validate";

export interface HostPort {
    readonly host: string;
    readonly port: number;
}

/** One server as the outputs show it. */
export interface ServerEndpoint extends HostPort {
    /** `cluster.hosts[].name` of the host it runs on; only with `hosts`. */
    readonly hostName?: string;
}

export interface ConnectionInfo {
    readonly masterName: string;
    /** Sentinels as the Pulumi host (and anything on it) reaches them: published ports. */
    readonly sentinelEndpoints: readonly HostPort[];
    /**
     * Sentinels as containers on the stack's network reach them. Absent with `hosts`: each host
     * has a network of its own, and a container reaches the Sentinels at their announced endpoints.
     */
    readonly sentinelEndpointsInNetwork?: readonly HostPort[];
    /**
     * Announced `address:port` of each node and Sentinel -> published host port, for ioredis's
     * `natMap`. The Sentinels are in it because ioredis adds the Sentinels it discovers
     * (`updateSentinels`) at their announced addresses through the same map: unmapped, a stopped
     * Sentinel's address is a black hole from the host, and a failover waits on TCP timeouts.
     */
    readonly natMap: Readonly<Record<string, HostPort>>;
    readonly publishedPorts: Readonly<Record<string, number>>;
    /**
     * Where each server is reached, by name: its published address and port (its announced pair
     * with `hosts`), and with `hosts` the host it runs on. The placement travels here rather than
     * in an output of its own, which a single host would leave undefined (and the SDK warns of
     * every undefined output on every deploy).
     */
    readonly serverEndpoints: Readonly<Record<string, ServerEndpoint>>;
    readonly ioredisExample: string;
}

/** On a users stack: the users an app logs in as (from render/acl-users.ts, which settings/ may not import). */
export interface AppUsers {
    readonly onNodes: string;
    readonly onSentinels: string;
}

/** What an app needs to connect, derived from the validated settings alone (and, on a users stack, the app's user names). */
export function buildConnectionInfo(settings: StackSettings, users?: AppUsers): ConnectionInfo {
    const { plan, cluster } = settings;
    const servers = [...plan.nodes, ...plan.sentinels];
    const reached = (e: (typeof servers)[number]): HostPort => ({ host: e.publishAddress, port: e.hostPort });
    const sentinelEndpoints = plan.sentinels.map(reached);
    // Across hosts every server announces the pair it is reached at: nothing to translate.
    const multiHost = plan.hosts !== undefined;
    const natMap = multiHost ? {} : Object.fromEntries(servers.map((n) => [memberKey(n.announce), reached(n)]));
    const example = [
        'import Redis from "ioredis";',
        "",
        multiHost
            ? "// From anywhere that reaches every host's address: the servers announce those addresses, no address translation."
            : "// From the host; inside the stack's Docker network use sentinelEndpointsInNetwork and drop natMap.",
        "const redis = new Redis({",
        `  sentinels: ${JSON.stringify(sentinelEndpoints)},`,
        `  name: ${JSON.stringify(cluster.sentinel.masterName)},`,
        ...(users
            ? [
                  `  username: ${JSON.stringify(users.onNodes)}, // stack output appUser`,
                  `  password: process.env.${PASSWORD_ENV.redis}, // stack output appPassword`,
                  `  sentinelUsername: ${JSON.stringify(users.onSentinels)}, // stack output discoveryUser`,
                  `  sentinelPassword: process.env.${PASSWORD_ENV.sentinel}, // stack output discoveryPassword`,
              ]
            : [
                  `  password: process.env.${PASSWORD_ENV.redis}, // stack output redisPassword`,
                  `  sentinelPassword: process.env.${PASSWORD_ENV.sentinel}, // stack output sentinelPassword`,
              ]),
        "  failoverDetector: true, // leave a demoted master within about a second",
        ...tlsExampleLines(cluster.tls),
        ...(multiHost ? [] : [`  natMap: ${JSON.stringify(natMap)},`]),
        "});",
        // The race ops/redis/failover-detector.ts retires in the stack's own clients (README, "Connecting from an app").
        "// ioredis 6.0.0: retire the failover detector when the connection closes, or a failover announced",
        "// while the client reconnects can end the client for good (every command: Connection is closed).",
        'redis.on("close", () => redis["connector"]?.failoverDetector?.cleanup());',
    ].join("\n");
    return {
        masterName: cluster.sentinel.masterName,
        sentinelEndpoints,
        ...(multiHost ? {} : { sentinelEndpointsInNetwork: plan.sentinels.map((s) => ({ host: s.address, port: s.port })) }),
        natMap,
        publishedPorts: Object.fromEntries(servers.map((e) => [e.name, e.hostPort])),
        serverEndpoints: Object.fromEntries(servers.map((e) => [e.name, { ...reached(e), ...(e.host ? { hostName: e.host } : {}) }])),
        ioredisExample: example,
    };
}

/**
 * With `tls.enabled`: ioredis's three TLS options (ops/redis/tls-options.ts says why all three),
 * the client certificate only with `authClients: yes`. No `servername`: the leaves name IP SANs.
 */
function tlsExampleLines(tls: StackSettings["cluster"]["tls"]): string[] {
    if (!tls.enabled) return [];
    const env = (v: string) => `process.env.${v}`;
    const options =
        tls.authClients === "yes"
            ? `{ ca: ${env(APP_TLS_ENV.ca)}, cert: ${env(APP_TLS_ENV.cert)}, key: ${env(APP_TLS_ENV.key)} }`
            : `{ ca: ${env(APP_TLS_ENV.ca)} }`;
    const outputs = tls.authClients === "yes" ? "tlsCaCert, tlsAppClientCert, tlsAppClientKey" : "tlsCaCert";
    return [
        `  // TLS: the same options for the Sentinels and for the master they name (stack outputs ${outputs}).`,
        `  tls: ${options},`,
        `  sentinelTLS: ${options},`,
        "  enableTLSForSentinelMode: true,",
    ];
}

/** The stack outputs as the app, the warmer and the verifier read them. */
export interface StackOutputs extends Omit<ConnectionInfo, "natMap"> {
    readonly natMap: Record<string, HostPort>;
    /** The stack's Docker network; absent with `hosts` (one network per host, all of that name). */
    readonly networkName?: string;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
    /** With `cluster.users.enabled` (then the two passwords above are absent): the clients' logins. */
    readonly appUser?: string;
    readonly appPassword?: string;
    readonly discoveryUser?: string;
    readonly discoveryPassword?: string;
    readonly adminUser?: string;
    readonly adminPassword?: string;
}
