import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import {
    certificatesOf,
    fingerprintOf,
    issuedByAny,
    needsRenewal,
    RenewalTarget,
    renewServerLeaf,
    sameCertificates,
    TlsRenewalError,
} from "../../../../ops/cluster/tls-renewal";
import type { LeafInstaller } from "../../../../ops/docker/tls-files";
import type { ServerLeaf } from "../../../../contracts/tls-env";
import { certRequestState, locallySignedCertState, privateKeyState, selfSignedCertState } from "../../../support/replay/tls-model";

/** A real leaf (the provider's model): the renewal compares certificates by their SHA-256. */
async function leaf(cn: string): Promise<ServerLeaf> {
    const key = privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    const cert = await selfSignedCertState({
        privateKeyPem: key.privateKeyPem,
        subject: { commonName: cn },
        allowedUses: ["server_auth", "client_auth"],
        validityPeriodHours: 48,
    });
    return { cert: String(cert.certPem), key: String(key.privateKeyPem) };
}

/** A CA of the provider's model, and a leaf it signs. */
async function caOf(cn: string) {
    const key = String(privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem);
    const cert = String(
        (
            await selfSignedCertState({
                privateKeyPem: key,
                subject: { commonName: cn },
                isCaCertificate: true,
                allowedUses: ["cert_signing", "digital_signature"],
                validityPeriodHours: 480,
            })
        ).certPem,
    );
    const sign = async (leafCn: string): Promise<ServerLeaf> => {
        const leafKey = String(privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" }).privateKeyPem);
        const csr = await certRequestState({ privateKeyPem: leafKey, subject: { commonName: leafCn }, ipAddresses: ["127.0.0.1"] });
        const signed = await locallySignedCertState({
            certRequestPem: csr.certRequestPem,
            caCertPem: cert,
            caPrivateKeyPem: key,
            allowedUses: ["server_auth", "client_auth"],
            validityPeriodHours: 48,
        });
        return { cert: String(signed.certPem), key: leafKey };
    };
    return { cert, sign };
}

/**
 * A server that serves `serving` until its reload (node) or restart (Sentinel) picks up what was
 * installed, with a CA file `trusting` (pending when `pending`).
 */
function fakeServer(
    kind: "redis" | "sentinel",
    serving: ServerLeaf,
    options: { reloadWorks?: boolean; quorumAfter?: number; trusting?: string; pending?: boolean } = {},
) {
    const calls: string[] = [];
    const trustFile = { pem: options.trusting, pending: options.pending ?? false };
    let installed: ServerLeaf | undefined;
    let served = serving;
    let quorumChecks = 0;
    const pickUp = () => {
        if (installed && options.reloadWorks !== false) served = installed;
    };
    const target: RenewalTarget = {
        name: kind === "redis" ? "redis-1" : "sentinel-0",
        kind,
        served: async () => {
            const x = new X509Certificate(served.cert);
            return { server: "s", validTo: new Date(x.validTo), serialNumber: x.serialNumber, fingerprint256: x.fingerprint256 };
        },
        reload: async () => {
            calls.push("reload");
            pickUp();
        },
        quorum: async () => {
            calls.push("quorum");
            quorumChecks += 1;
            if (quorumChecks <= (options.quorumAfter ?? 0)) throw new Error("NOQUORUM");
        },
    };
    const installer: LeafInstaller = {
        install: async (l) => {
            calls.push("install");
            installed = l;
        },
        restart: async () => {
            calls.push("restart");
            pickUp();
        },
        readTrust: async () => ({ ...trustFile }),
        installTrust: async (pem) => {
            calls.push("installTrust");
            trustFile.pem = pem;
            trustFile.pending = true;
        },
        trustLoaded: async () => {
            calls.push("trustLoaded");
            trustFile.pending = false;
        },
    };
    return { target, installer, calls, trustFile };
}

describe("ops/cluster/tls-renewal", () => {
    let current: ServerLeaf;
    let renewed: ServerLeaf;
    before(async () => {
        current = await leaf("redis-1");
        renewed = await leaf("redis-1");
    });

    it("tells two leaves apart by their certificate's SHA-256, whatever their subject", () => {
        expect(fingerprintOf(current.cert)).to.equal(new X509Certificate(current.cert).fingerprint256);
        expect(needsRenewal({ fingerprint256: fingerprintOf(current.cert) }, current)).to.equal(false);
        expect(needsRenewal({ fingerprint256: fingerprintOf(current.cert) }, renewed)).to.equal(true);
    });

    it("does nothing to a server that serves its leaf, and needs no container for it", async () => {
        const s = fakeServer("redis", current);
        const result = await renewServerLeaf(s.target, current, undefined, 1000);
        expect(result.renewed).to.equal(false);
        expect(result.fromSerial).to.equal(result.toSerial);
        expect(s.calls).to.deep.equal([]);
    });

    it("installs a node's new leaf and reloads it in place: no restart, and the new serial is served", async () => {
        const s = fakeServer("redis", current);
        const result = await renewServerLeaf(s.target, renewed, s.installer, 1000);
        expect(s.calls).to.deep.equal(["install", "reload"]);
        expect(result).to.deep.equal({
            renewed: true,
            trustChanged: false,
            fromSerial: new X509Certificate(current.cert).serialNumber,
            toSerial: new X509Certificate(renewed.cert).serialNumber,
        });
    });

    it("restarts a Sentinel (it cannot reload) and ends only once it has its quorum again", async () => {
        const s = fakeServer("sentinel", current, { quorumAfter: 2 });
        const result = await renewServerLeaf(s.target, renewed, s.installer, 2000);
        expect(result.renewed).to.equal(true);
        expect(s.calls).to.deep.equal(["install", "restart", "quorum", "quorum", "quorum"]);
    });

    it("fails with its kind when the server needs a leaf and its container cannot be reached", async () => {
        const s = fakeServer("redis", current);
        const err = await renewServerLeaf(s.target, renewed, undefined, 1000).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(TlsRenewalError);
        expect((err as TlsRenewalError).kind).to.equal("no-container");
        expect((err as Error).message).to.include(new X509Certificate(renewed.cert).serialNumber);
    });

    it("fails with its kind when the server still serves the old leaf after the reload", async () => {
        const s = fakeServer("redis", current, { reloadWorks: false });
        const err = await renewServerLeaf(s.target, renewed, s.installer, 300).catch((e: unknown) => e);
        expect((err as TlsRenewalError).kind).to.equal("not-served");
    });

    it("fails with its kind when a restarted Sentinel never gets its quorum back", async () => {
        const s = fakeServer("sentinel", current, { quorumAfter: 1_000 });
        const err = await renewServerLeaf(s.target, renewed, s.installer, 300).catch((e: unknown) => e);
        expect((err as TlsRenewalError).kind).to.equal("no-quorum");
        expect((err as Error).message).to.include("NOQUORUM");
    });

    it("names a failed install with its kind, and never quotes the key", async () => {
        const s = fakeServer("redis", current);
        const installer: LeafInstaller = { ...s.installer, install: () => Promise.reject(new Error("no such container")) };
        const err = await renewServerLeaf(s.target, renewed, installer, 300).catch((e: unknown) => e);
        expect((err as TlsRenewalError).kind).to.equal("install-failed");
        expect((err as Error).message).to.not.include("PRIVATE KEY");
    });

    describe("a CA rotation through a bundle", () => {
        let oldCa: Awaited<ReturnType<typeof caOf>>;
        let newCa: Awaited<ReturnType<typeof caOf>>;
        let oldLeaf: ServerLeaf;
        let newLeaf: ServerLeaf;
        let bundle: string;
        before(async () => {
            oldCa = await caOf("stack CA");
            newCa = await caOf("stack CA 1");
            oldLeaf = await oldCa.sign("redis-1");
            newLeaf = await newCa.sign("redis-1");
            bundle = oldCa.cert + newCa.cert;
        });

        it("compares bundles as sets of certificates and tells which CA signed a leaf", () => {
            expect(certificatesOf(bundle)).to.have.length(2);
            expect(sameCertificates(bundle, newCa.cert + oldCa.cert)).to.equal(true);
            expect(sameCertificates(oldCa.cert, bundle)).to.equal(false);
            expect(sameCertificates(undefined, bundle)).to.equal(false);
            expect(issuedByAny(newLeaf.cert, bundle)).to.equal(true);
            expect(issuedByAny(newLeaf.cert, oldCa.cert)).to.equal(false);
            expect(issuedByAny(oldLeaf.cert, oldCa.cert)).to.equal(true);
        });

        it("deploy 1 on a node: writes the bundle and reloads in place, the leaf untouched, then clears the pending mark", async () => {
            const s = fakeServer("redis", oldLeaf, { trusting: oldCa.cert });
            const result = await renewServerLeaf(s.target, oldLeaf, s.installer, 1000, bundle);
            expect(s.calls).to.deep.equal(["installTrust", "reload", "trustLoaded"]);
            expect(result).to.include({ renewed: false, trustChanged: true });
            expect(s.trustFile).to.deep.equal({ pem: bundle, pending: false });
        });

        it("deploy 1 on a Sentinel: one restart, and it ends only with the quorum back", async () => {
            const s = fakeServer("sentinel", oldLeaf, { trusting: oldCa.cert, quorumAfter: 1 });
            const result = await renewServerLeaf(s.target, oldLeaf, s.installer, 2000, bundle);
            expect(s.calls).to.deep.equal(["installTrust", "restart", "quorum", "quorum", "trustLoaded"]);
            expect(result.trustChanged).to.equal(true);
        });

        it("deploy 2: installs the new CA's leaf on a server that trusts both, the bundle unchanged", async () => {
            const s = fakeServer("sentinel", oldLeaf, { trusting: bundle });
            const result = await renewServerLeaf(s.target, newLeaf, s.installer, 1000, newCa.cert + oldCa.cert);
            expect(s.calls).to.deep.equal(["install", "restart", "quorum"]);
            expect(result).to.include({ renewed: true, trustChanged: false });
        });

        it("deploy 3: drops the old CA from the file, one reload, the new leaf already served", async () => {
            const s = fakeServer("redis", newLeaf, { trusting: bundle });
            const result = await renewServerLeaf(s.target, newLeaf, s.installer, 1000, newCa.cert);
            expect(s.calls).to.deep.equal(["installTrust", "reload", "trustLoaded"]);
            expect(result).to.include({ renewed: false, trustChanged: true });
            expect(s.trustFile.pem).to.equal(newCa.cert);
        });

        it("does nothing when the file holds the bundle and nothing is pending, and reloads when a failed step left it pending", async () => {
            const settled = fakeServer("sentinel", oldLeaf, { trusting: bundle });
            await renewServerLeaf(settled.target, oldLeaf, settled.installer, 1000, bundle);
            expect(settled.calls).to.deep.equal([]);
            const pending = fakeServer("sentinel", oldLeaf, { trusting: bundle, pending: true });
            const result = await renewServerLeaf(pending.target, oldLeaf, pending.installer, 1000, bundle);
            expect(pending.calls).to.deep.equal(["restart", "quorum", "trustLoaded"]);
            expect(result.trustChanged).to.equal(false);
        });

        it("refuses the switch on a server that does not trust the new CA yet (deploy 1 skipped), changing nothing", async () => {
            const s = fakeServer("redis", oldLeaf, { trusting: oldCa.cert });
            const err = await renewServerLeaf(s.target, newLeaf, s.installer, 1000, newCa.cert + oldCa.cert).catch((e: unknown) => e);
            expect((err as TlsRenewalError).kind).to.equal("ca-not-trusted");
            expect((err as Error).message).to.include("cluster.tls.caNextGeneration");
            expect(s.calls).to.deep.equal([]);
        });

        it("fails with no-container when it cannot read the CA file, even with the leaf served", async () => {
            const s = fakeServer("redis", oldLeaf, { trusting: oldCa.cert });
            const err = await renewServerLeaf(s.target, oldLeaf, undefined, 1000, bundle).catch((e: unknown) => e);
            expect((err as TlsRenewalError).kind).to.equal("no-container");
        });
    });
});
