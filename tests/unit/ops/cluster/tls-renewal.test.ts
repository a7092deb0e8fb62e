import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { fingerprintOf, needsRenewal, RenewalTarget, renewServerLeaf, TlsRenewalError } from "../../../../ops/cluster/tls-renewal";
import type { LeafInstaller } from "../../../../ops/docker/tls-files";
import type { ServerLeaf } from "../../../../contracts/tls-env";
import { privateKeyState, selfSignedCertState } from "../../../support/replay/tls-model";

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

/** A server that serves `serving` until its reload (node) or restart (Sentinel) picks up what was installed. */
function fakeServer(kind: "redis" | "sentinel", serving: ServerLeaf, options: { reloadWorks?: boolean; quorumAfter?: number } = {}) {
    const calls: string[] = [];
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
    };
    return { target, installer, calls };
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
});
