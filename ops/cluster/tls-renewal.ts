// A TLS stack's certificate renewal without replacing a server (issue 17, docs/tls.md "Renewal").
// The provider renews a leaf inside `tls.renewalWindowHours` (or on `pulumi up --replace`), which
// changes the server's settings step (its TLS_SERVER_ENV) but not its container: the TLS uploads
// are ignored changes (components/server-container.ts). The step then brings the running server
// to the leaf it is given, whatever the reason it serves another (a renewal, or a container that
// kept older uploads over a fresh volume):
// - the new pair is written over the server's files on its volume (render/tls-conf.ts);
// - a node re-reads them on `CONFIG SET tls-cert-file/tls-key-file` with the same paths (7.0.1+)
//   and keeps every connection, its replicas' included; `CONFIG REWRITE` then keeps the config
//   file in step with what runs;
// - a Sentinel cannot reload (no CONFIG, and SENTINEL CONFIG SET takes no tls-*), so it restarts
//   on its own rewritten config. Sentinel steps run one after another (components/redis-cluster.ts),
//   and each waits until its Sentinel serves the new leaf and has the quorum again before it ends,
//   so at most one Sentinel is ever away.
// What the server serves is read from a TLS handshake (its certificate's SHA-256) before and after.
// A CA rotation (docs/tls.md "Rotating the CA") goes the same way: the CAs a server trusts are its
// CA file (/data/tls/ca.pem), read back through the Engine and rewritten when it holds other
// certificates than the stack's bundle; the node reloads it with the leaf (one CONFIG SET), the
// Sentinel restarts once for both.
import { X509Certificate } from "node:crypto";
import { errorMessage, waitUntil } from "../deadline";
import type { ServerLeaf } from "../../contracts/tls-env";
import type { ServerKind } from "../../settings/address-plan";
import { PeerCertificateObservation } from "../verify/tls-expiry";
import type { LeafInstaller, TrustFile } from "../docker/tls-files";

/** Why a renewal failed (never matched on text). */
export type TlsRenewalFailureKind =
    /** The server needs the new leaf and the step cannot reach its container (no engine, or no container id). */
    | "no-container"
    /** Writing the files into the container failed. */
    | "install-failed"
    /** After the reload or restart the server still serves another certificate. */
    | "not-served"
    /** A restarted Sentinel did not get the quorum back in time. */
    | "no-quorum"
    /**
     * The leaf to install is signed by a CA the server does not trust yet: a CA rotation's switch
     * deployed before the deploy that adds the new CA to every server's bundle (settings/tls-rules.ts).
     */
    | "ca-not-trusted";

export class TlsRenewalError extends Error {
    constructor(
        readonly kind: TlsRenewalFailureKind,
        message: string,
    ) {
        super(message);
        this.name = "TlsRenewalError";
    }
}

/** What the renewal asks of the server itself. */
export interface RenewalTarget {
    readonly name: string;
    readonly kind: ServerKind;
    /** A TLS handshake's view of the certificate the server serves now. */
    served(): Promise<PeerCertificateObservation>;
    /** Node: re-read the TLS files and persist the config (CONFIG SET, CONFIG REWRITE). */
    reload(): Promise<void>;
    /** Sentinel: resolves once it has its quorum again; throws (any error) while it has not. */
    quorum(): Promise<void>;
}

/** The SHA-256 of a PEM certificate as a handshake reports it (`AB:CD:...`). */
export const fingerprintOf = (pem: string): string => new X509Certificate(pem).fingerprint256;

/** Whether a server serving `served` must be given `leaf`: they are different certificates. Pure. */
export const needsRenewal = (served: Pick<PeerCertificateObservation, "fingerprint256">, leaf: ServerLeaf): boolean =>
    served.fingerprint256 !== fingerprintOf(leaf.cert);

export interface RenewalResult {
    /** The serial served before and after; equal when nothing was to do. */
    readonly fromSerial: string;
    readonly toSerial: string;
    readonly renewed: boolean;
    /** Whether the server's CA file was rewritten (a CA rotation's bundle, or its end). */
    readonly trustChanged: boolean;
}

/** The PEM certificates of a bundle, each block on its own. Pure. */
export const certificatesOf = (bundle: string): string[] =>
    bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];

/** Whether two bundles hold the same certificates, in any order (OpenSSL trusts a set). Pure. */
export function sameCertificates(a: string | undefined, b: string): boolean {
    if (a === undefined) return false;
    const set = (bundle: string) => certificatesOf(bundle).map(fingerprintOf).sort().join(",");
    return set(a) === set(b);
}

/** Whether `leaf` was signed by one of `bundle`'s CAs (issuer name and signature). Pure. */
export function issuedByAny(leaf: string, bundle: string): boolean {
    const cert = new X509Certificate(leaf);
    return certificatesOf(bundle).some((pem) => {
        const ca = new X509Certificate(pem);
        return cert.checkIssued(ca) && cert.verify(ca.publicKey);
    });
}

/**
 * Brings one server to `leaf` and, given `trust` (the CAs it must trust, StackTls.trustPem), its
 * CA file to `trust`: nothing when it already serves the leaf and its CA file holds `trust` and is
 * loaded; else install what differs, reload (node) or restart (Sentinel) once for both, then confirm
 * by a handshake. `installer` is undefined when the step cannot reach the container; that fails
 * only if there is something to install or a CA file to read.
 */
export async function renewServerLeaf(
    target: RenewalTarget,
    leaf: ServerLeaf,
    installer: LeafInstaller | undefined,
    timeoutMs: number,
    trust?: string,
): Promise<RenewalResult> {
    const before = await target.served();
    const leafNeeded = needsRenewal(before, leaf);
    const wanted = new X509Certificate(leaf.cert).serialNumber;
    const unreachable = (what: string) =>
        new TlsRenewalError(
            "no-container",
            `${target.name}: the step cannot reach its container to ${what}: check that its Docker Engine is reachable from where pulumi runs and deploy again`,
        );
    let file: TrustFile | undefined;
    if (trust !== undefined) {
        if (!installer) throw unreachable("read the CAs it trusts");
        file = await installer.readTrust().catch((err: unknown) => {
            throw unreachable(`read the CAs it trusts (${errorMessage(err)})`);
        });
    }
    const trustChanged = trust !== undefined && !sameCertificates(file?.pem, trust);
    const trustReload = trustChanged || file?.pending === true;
    if (!leafNeeded && !trustReload)
        return { fromSerial: before.serialNumber, toSerial: before.serialNumber, renewed: false, trustChanged: false };
    if (!installer) throw unreachable(`install certificate ${wanted} (it serves ${before.serialNumber}, not the stack's ${wanted})`);
    // Its peers trust what it trusts now (every server's CA file is the same bundle): a leaf of a CA
    // outside it would be refused on every link the moment it is served.
    if (leafNeeded && file?.pem !== undefined && !issuedByAny(leaf.cert, file.pem))
        throw new TlsRenewalError(
            "ca-not-trusted",
            `${target.name}: its new certificate ${wanted} is signed by a CA the servers do not trust yet, so serving it would cut every link. ` +
                `A CA rotation adds the new CA to every server first: deploy with cluster.tls.caGeneration at the old generation and ` +
                `cluster.tls.caNextGeneration at the new one, then the switch (docs/tls.md, "Rotating the CA")`,
        );
    try {
        if (trustChanged && trust !== undefined) await installer.installTrust(trust);
        if (leafNeeded) await installer.install(leaf);
    } catch (err) {
        throw new TlsRenewalError("install-failed", `${target.name}: writing its new TLS files failed: ${errorMessage(err)}`);
    }
    if (target.kind === "redis") await target.reload();
    else await installer.restart();
    // waitUntil counts a probe that throws as "not yet": a restarting Sentinel refuses connections for a moment.
    const after = await waitUntil(
        `${target.name} to serve certificate ${wanted}`,
        async () => {
            const seen = await target.served();
            return needsRenewal(seen, leaf) ? undefined : seen;
        },
        timeoutMs,
    ).catch((err: unknown) => {
        const how = target.kind === "redis" ? "reload" : "restart";
        throw new TlsRenewalError("not-served", `${target.name} after its ${how}: ${errorMessage(err)}`);
    });
    if (target.kind === "sentinel")
        await waitUntil(`${target.name} to have its quorum again`, async () => (await target.quorum(), true), timeoutMs).catch(
            (err: unknown) => {
                throw new TlsRenewalError(
                    "no-quorum",
                    `${target.name} serves its new certificate but has no quorum (${errorMessage(err)}): ` +
                        `run \`npm run verify -- --stack <stack>\` and bring the other Sentinels back before deploying again`,
                );
            },
        );
    if (trustReload)
        await installer.trustLoaded().catch((err: unknown) => {
            throw new TlsRenewalError("install-failed", `${target.name}: clearing its CA file's pending mark failed: ${errorMessage(err)}`);
        });
    return { fromSerial: before.serialNumber, toSerial: after.serialNumber, renewed: leafNeeded, trustChanged };
}
