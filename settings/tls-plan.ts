// The stack's certificates as data: which keys and certificates exist, what each certificate says
// (subject, IP SANs, uses) and how long it lives. components/tls.ts declares exactly this with
// @pulumi/tls; the names of uses and curves are the provider's own (terraform-provider-tls
// common_cert.go keyUsages/extendedKeyUsages, common_key.go), so the plan passes through unchanged.
import { Endpoint } from "./address-plan";
import { TlsConfig } from "./schema";

/** Every key is ECDSA P-256: the provider's default curve is P-224, for which TLS 1.3 defines no signature scheme (RFC 8446 4.2.3). */
export const TLS_KEY_ALGORITHM = { algorithm: "ECDSA", ecdsaCurve: "P256" } as const;

export const LOOPBACK = "127.0.0.1";

/**
 * A server's leaf is also its client certificate: a replica presents it to its master, a Sentinel
 * to the nodes and to its peers (`tls-replication yes`), and with `tls-auth-clients yes` a
 * server-auth-only leaf is refused there, which breaks replication. `key_encipherment` is listed
 * for clients that still expect it beside `digital_signature`.
 */
export const SERVER_USES = ["digital_signature", "key_encipherment", "server_auth", "client_auth"] as const;
/** A client's certificate authenticates it and nothing else. */
export const CLIENT_USES = ["digital_signature", "key_encipherment", "client_auth"] as const;
/** The CA signs certificates (and, if ever needed, revocation lists); it is never a server. */
export const CA_USES = ["cert_signing", "crl_signing", "digital_signature"] as const;

/** The clients that get a certificate of their own when servers require one. */
export const TLS_CLIENTS = ["app", "warmer", "exporter", "tools"] as const;
export type TlsClient = (typeof TLS_CLIENTS)[number];

export interface CertSubject {
    readonly commonName: string;
    readonly organization: string;
}

/** One key and the certificate the CA signs for it. */
export interface LeafPlan {
    /** Resource names derive from it: `<name>-tls-key`, `-tls-csr`, `-tls-cert`. */
    readonly name: string;
    readonly subject: CertSubject;
    /** IP SANs, de-duplicated, in the order they are listed here; none for a client. */
    readonly ipAddresses: readonly string[];
    readonly allowedUses: readonly string[];
}

export interface TlsPlan {
    readonly ca: { readonly subject: CertSubject; readonly allowedUses: readonly string[]; readonly validityHours: number };
    /** One per node, then one per Sentinel, by server name. */
    readonly servers: readonly LeafPlan[];
    /** Only with `authClients: yes`: with `optional` a client connects without one. */
    readonly clients: readonly LeafPlan[];
    readonly validityHours: number;
    readonly earlyRenewalHours: number;
}

export interface TlsPlanInput {
    /** Every Docker object's name prefix (`appscreens-redis-<stack>`): the certificates' organization. */
    readonly namePrefix: string;
    readonly tls: TlsConfig;
    readonly plan: { readonly nodes: readonly Endpoint[]; readonly sentinels: readonly Endpoint[] };
}

/** `publish.host: 0.0.0.0` publishes on every interface: no one address to name. */
const ALL_INTERFACES = "0.0.0.0";

/**
 * The addresses a server is reached at: what it announces (its peers and the apps in its network
 * connect there), its static address when that differs (across hosts its exporter reaches it on
 * its host's network), the interface its port is published on (apps outside Docker connect there,
 * through the natMap output), and loopback (its own scripts and health check). With ports
 * published on every interface (0.0.0.0) no interface is named: such a client must connect by
 * one of the others.
 */
export const serverIpSans = (server: Endpoint): string[] => [
    ...new Set([
        server.announce.address,
        server.address,
        ...(server.publishAddress === ALL_INTERFACES ? [] : [server.publishAddress]),
        LOOPBACK,
    ]),
];

/** The stack's certificates; undefined with TLS off. */
export function planTls(input: TlsPlanInput): TlsPlan | undefined {
    const { tls, namePrefix } = input;
    if (!tls.enabled) return undefined;
    const subject = (commonName: string): CertSubject => ({ commonName, organization: namePrefix });
    return {
        ca: { subject: subject(`${namePrefix} CA`), allowedUses: CA_USES, validityHours: tls.caValidityHours },
        servers: [...input.plan.nodes, ...input.plan.sentinels].map((server) => ({
            name: server.name,
            subject: subject(server.name),
            ipAddresses: serverIpSans(server),
            allowedUses: SERVER_USES,
        })),
        clients:
            tls.authClients === "yes"
                ? TLS_CLIENTS.map((client) => ({
                      name: `client-${client}`,
                      subject: subject(client),
                      ipAddresses: [],
                      allowedUses: CLIENT_USES,
                  }))
                : [],
        validityHours: tls.validityHours,
        earlyRenewalHours: tls.renewalWindowHours,
    };
}
