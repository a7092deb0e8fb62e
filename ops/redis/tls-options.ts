// ioredis's TLS options for the stack's servers (issue 17, TLS part 1). Pure: PEMs in, options out.
//
// How ioredis 6 uses them (node_modules/ioredis/built/connectors/SentinelConnector/index.js):
// - `sentinelTLS` is passed as `tls` to every connection to a Sentinel (connectToSentinel), the
//   one that resolves the master and the failoverDetector's subscriptions alike.
// - The master or replica a Sentinel names is reached over TLS only when `enableTLSForSentinelMode`
//   is true AND `tls` is set: then `tls` is merged into the resolved {host, port} and passed to
//   tls.connect; otherwise it is a plain net connection, which a TLS-only server drops.
// So a Sentinel-mode client needs all three; a direct client needs `tls` only.
//
// No `servername`: every server's leaf names its addresses as IP SANs (settings/tls-plan.ts), and
// Node's default checkServerIdentity compares the IP it connected to with them (and sends no SNI
// for an IP). A client that connects by an address not in the leaf is refused, as it should be.
import type { ConnectionOptions } from "node:tls";

export interface ClientTlsMaterial {
    /** The stack's CA certificate (PEM): the only issuer the client trusts. */
    readonly ca: string;
    /** The client's certificate and key (PEM), required by servers with `tls-auth-clients yes`. */
    readonly cert?: string;
    readonly key?: string;
}

/** What a direct and a Sentinel-mode client add to their ioredis options. */
export interface DirectTlsOptions {
    readonly tls: ConnectionOptions;
}
export interface SentinelTlsOptions {
    readonly tls: ConnectionOptions;
    readonly sentinelTLS: ConnectionOptions;
    readonly enableTLSForSentinelMode: true;
}

export class ClientTlsError extends Error {
    readonly kind = "client-tls-material" as const;
    constructor(message: string) {
        super(message);
        this.name = "ClientTlsError";
    }
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----/;
const PEM_KEY = /-----BEGIN (EC |RSA |ENCRYPTED )?PRIVATE KEY-----/;

/** One connection's TLS options; the key itself never appears in an error message. */
export function tlsConnectionOptions(material: ClientTlsMaterial): ConnectionOptions {
    if (!PEM_CERT.test(material.ca)) throw new ClientTlsError("the CA is not a PEM certificate");
    if ((material.cert === undefined) !== (material.key === undefined)) {
        throw new ClientTlsError("a client certificate needs its key and a key its certificate: give both or neither");
    }
    if (material.cert !== undefined && !PEM_CERT.test(material.cert))
        throw new ClientTlsError("the client certificate is not a PEM certificate");
    if (material.key !== undefined && !PEM_KEY.test(material.key)) throw new ClientTlsError("the client key is not a PEM private key");
    return {
        ca: material.ca,
        // Never loosened: a server whose leaf does not chain to the CA or name the address is refused.
        rejectUnauthorized: true,
        ...(material.cert !== undefined ? { cert: material.cert, key: material.key } : {}),
    };
}

/** For a client connected to one server (the tools, the verifier, the exporters' checks). */
export const directTlsOptions = (material: ClientTlsMaterial): DirectTlsOptions => ({ tls: tlsConnectionOptions(material) });

/**
 * For a Sentinel-mode client. Sentinels and nodes share the CA and, with `authClients: yes`,
 * require the same client certificate, so both sides get the same options (two objects, so that
 * neither side's options can change the other's).
 */
export const sentinelTlsOptions = (material: ClientTlsMaterial): SentinelTlsOptions => ({
    tls: tlsConnectionOptions(material),
    sentinelTLS: tlsConnectionOptions(material),
    enableTLSForSentinelMode: true,
});
