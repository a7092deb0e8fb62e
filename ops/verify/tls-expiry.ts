// The certificate-expiry check (issue 17, TLS part 1): a server whose certificate is within
// `tls.renewalWindowHours` of its end fails verification, because the deploy that should have
// renewed it did not (or the server still serves the old one). The pure check takes what a
// handshake showed; `readPeerCertificate` is the handshake; `certificateExpiryChecks` runs both on
// every server, as the verifier does on a TLS stack.
import { connect, PeerCertificate } from "node:tls";
import { Check, check } from "./report";

const HOUR_MS = 3_600_000;

/** What one server's TLS handshake showed. */
export interface PeerCertificateObservation {
    /** The server's name (`redis-0`, `sentinel-1`). */
    readonly server: string;
    /** The certificate's notAfter, as the handshake gave it (`validTo`). */
    readonly validTo: Date;
    readonly serialNumber: string;
    /** SHA-256 of the DER certificate, as Node's `fingerprint256` (`AB:CD:...`): what a renewal compares. */
    readonly fingerprint256: string;
}

/**
 * Passes while the certificate ends after the renewal window: `validTo - now > renewalWindowHours`.
 * At or inside the window (or past its end) it fails, naming the server, the end and the setting.
 */
export function certificateExpiryCheck(cert: PeerCertificateObservation, renewalWindowHours: number, now: Date): Check {
    const hoursLeft = (cert.validTo.getTime() - now.getTime()) / HOUR_MS;
    const ends = cert.validTo.toISOString();
    const which = `${cert.server}'s certificate (serial ${cert.serialNumber})`;
    const inside = hoursLeft <= renewalWindowHours;
    const when = hoursLeft <= 0 ? `expired at ${ends}` : `expires ${ends}, in ${hoursLeft.toFixed(1)} h`;
    const why = inside ? `, inside tls.renewalWindowHours (${renewalWindowHours} h): it was not renewed; the next deploy renews it` : "";
    return check(
        `tls.${cert.server}.expiry`,
        `more than tls.renewalWindowHours (${renewalWindowHours} h) left`,
        `${which} ${when}${why}`,
        !inside,
    );
}

export type PeerCertificateErrorKind = "handshake" | "no-certificate" | "timeout";

export class PeerCertificateError extends Error {
    constructor(
        readonly kind: PeerCertificateErrorKind,
        readonly server: string,
        message: string,
        options?: { cause?: unknown },
    ) {
        super(`${server}: ${message}`, options);
        this.name = "PeerCertificateError";
    }
}

export interface PeerCertificateTarget {
    readonly server: string;
    readonly host: string;
    readonly port: number;
    /** The stack's CA: the handshake verifies the chain and the IP SAN, as any client would. */
    readonly ca: string;
    /** A client certificate and key, for servers with `tls-auth-clients yes`. */
    readonly cert?: string;
    readonly key?: string;
}

/**
 * Opens a TLS connection, reads the certificate the server presents and closes it; sends nothing
 * of Redis's protocol. Fails with a kind: `handshake` (refused, not verified), `no-certificate`,
 * or `timeout` after `timeoutMs`.
 */
export function readPeerCertificate(target: PeerCertificateTarget, timeoutMs = 5000): Promise<PeerCertificateObservation> {
    return new Promise((resolve, reject) => {
        const socket = connect({
            host: target.host,
            port: target.port,
            ca: target.ca,
            ...(target.cert !== undefined ? { cert: target.cert, key: target.key } : {}),
            rejectUnauthorized: true,
        });
        const timer = setTimeout(() => {
            socket.destroy();
            reject(
                new PeerCertificateError(
                    "timeout",
                    target.server,
                    `no TLS handshake with ${target.host}:${target.port} within ${timeoutMs} ms`,
                ),
            );
        }, timeoutMs);
        const finish = (outcome: () => void) => {
            clearTimeout(timer);
            socket.destroy();
            outcome();
        };
        socket.once("secureConnect", () => {
            const peer: PeerCertificate = socket.getPeerCertificate();
            finish(() => {
                if (!peer || !peer.valid_to) {
                    reject(
                        new PeerCertificateError("no-certificate", target.server, `${target.host}:${target.port} presented no certificate`),
                    );
                } else {
                    resolve({
                        server: target.server,
                        validTo: new Date(peer.valid_to),
                        serialNumber: peer.serialNumber,
                        fingerprint256: peer.fingerprint256,
                    });
                }
            });
        });
        socket.once("error", (err) =>
            finish(() =>
                reject(
                    new PeerCertificateError(
                        "handshake",
                        target.server,
                        `TLS handshake with ${target.host}:${target.port} failed: ${err.message}`,
                        {
                            cause: err,
                        },
                    ),
                ),
            ),
        );
    });
}

/** Where a server listens, by name (the plan's servers). */
export interface TlsServer {
    readonly name: string;
    readonly host: string;
    readonly port: number;
}

/**
 * The expiry check on every server: a handshake each (in parallel), then certificateExpiryCheck.
 * A server whose handshake fails fails its check, the error's kind first: a certificate nobody
 * can read is no better than an expired one.
 */
export async function certificateExpiryChecks(
    servers: readonly TlsServer[],
    tls: { readonly ca: string; readonly cert?: string; readonly key?: string; readonly renewalWindowHours: number },
    now: () => Date = () => new Date(),
    timeoutMs = 5000,
): Promise<Check[]> {
    const { ca, cert, key, renewalWindowHours } = tls;
    return Promise.all(
        servers.map(async (s): Promise<Check> => {
            try {
                const seen = await readPeerCertificate({ server: s.name, host: s.host, port: s.port, ca, cert, key }, timeoutMs);
                return certificateExpiryCheck(seen, renewalWindowHours, now());
            } catch (err) {
                const why = err instanceof PeerCertificateError ? `${err.kind}: ${err.message}` : String(err);
                return check(`tls.${s.name}.expiry`, `more than tls.renewalWindowHours (${renewalWindowHours} h) left`, why, false);
            }
        }),
    );
}
