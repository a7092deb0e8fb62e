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

/** One CA of the stack, by generation (docs/tls.md "Rotating the CA"). */
export interface CaPlan {
    readonly generation: number;
    /** Its key's and certificate's resource names: generation 0 keeps the names stacks were created with. */
    readonly keyName: string;
    readonly certName: string;
    readonly subject: CertSubject;
    readonly allowedUses: readonly string[];
    readonly validityHours: number;
}

/**
 * Where a CA rotation stands: `none` (one CA), `trust-next` (deploy 1: the next CA trusted, the
 * current one signs), `trust-previous` (deploy 2: the new CA signs, the previous one still trusted).
 */
export type CaRotationPhase = "none" | "trust-next" | "trust-previous";

export interface TlsPlan {
    /** The CA that signs every leaf: `tls.caGeneration`'s. */
    readonly ca: CaPlan;
    /**
     * Every CA the servers and clients trust, the signing one first: one, or two during a rotation.
     * Each is declared; a generation no longer listed is deleted with its key.
     */
    readonly trusted: readonly CaPlan[];
    readonly rotation: CaRotationPhase;
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

/** A generation's resource names: 0 keeps `tls-ca-key` / `tls-ca`, so a stack made before rotations existed keeps its CA. */
export const caResourceNames = (generation: number): { keyName: string; certName: string } =>
    generation === 0
        ? { keyName: "tls-ca-key", certName: "tls-ca" }
        : { keyName: `tls-ca-g${generation}-key`, certName: `tls-ca-g${generation}` };

/**
 * A generation's subject. Two CAs trusted together must not share a subject: OpenSSL finds a leaf's
 * issuer in a bundle by its subject name first, so each generation after 0 carries its number.
 */
export const caCommonName = (namePrefix: string, generation: number): string =>
    generation === 0 ? `${namePrefix} CA` : `${namePrefix} CA ${generation}`;

/** The stack's certificates; undefined with TLS off. */
export function planTls(input: TlsPlanInput): TlsPlan | undefined {
    const { tls, namePrefix } = input;
    if (!tls.enabled) return undefined;
    const subject = (commonName: string): CertSubject => ({ commonName, organization: namePrefix });
    const caPlan = (generation: number): CaPlan => ({
        generation,
        ...caResourceNames(generation),
        subject: subject(caCommonName(namePrefix, generation)),
        allowedUses: CA_USES,
        validityHours: tls.caValidityHours,
    });
    const other = tls.caNextGeneration ?? tls.caPreviousGeneration;
    const ca = caPlan(tls.caGeneration);
    return {
        ca,
        trusted: other === undefined ? [ca] : [ca, caPlan(other)],
        rotation: tls.caNextGeneration !== undefined ? "trust-next" : tls.caPreviousGeneration !== undefined ? "trust-previous" : "none",
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
