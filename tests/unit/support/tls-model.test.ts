import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type Docker from "dockerode";
import { expect } from "chai";
import { createHash, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { createResource } from "../../support/replay/docker-apply";
import { checkKnownInputs, UnknownPropertyError } from "../../support/replay/property-table";
import { privateKeyState, selfSignedCertState, TLS_TYPES, TlsModelError } from "../../support/replay/tls-model";

/** A certificate's Subject Key Identifier, in hex (Node does not show it). */
const subjectKeyId = (pem: string) => new x509.X509Certificate(pem).getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;

// The replay creates TLS resources without touching Docker.
const NO_DOCKER = undefined as unknown as Docker;

describe("the model of the tls provider", () => {
    it("defaults an ECDSA key to P224 as the provider does, and ids it by the SHA-1 of its public key", async () => {
        const key = await createResource(NO_DOCKER, TLS_TYPES.privateKey, { algorithm: "ECDSA" }, "run");
        expect(createPrivateKey(String(key.privateKeyPem)).asymmetricKeyDetails?.namedCurve).to.equal("secp224r1");
        expect(String(key.privateKeyPemPkcs8)).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
        const spki = createPublicKey(String(key.privateKeyPem)).export({ type: "spki", format: "der" });
        // hashForState trims white space first; a DER ending in a space byte would differ, which is rare.
        if (![0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20].includes(spki[spki.length - 1])) {
            expect(key.id).to.equal(createHash("sha1").update(spki).digest("hex"));
        }
    });

    it("dates a certificate by the clock it is given, and marks one born inside its renewal window ready", async () => {
        const key = privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const at = new Date("2027-03-01T10:20:30.400Z");
        const inputs = {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: "c" },
            allowedUses: ["server_auth"],
            validityPeriodHours: 48,
        };
        const cert = await selfSignedCertState({ ...inputs, earlyRenewalHours: 47 }, at);
        const parsed = new X509Certificate(String(cert.certPem));
        expect(new Date(parsed.validFrom).toISOString()).to.equal("2027-03-01T10:20:30.000Z");
        expect(cert.validityStartTime).to.equal("2027-03-01T10:20:30Z");
        expect(cert.validityEndTime).to.equal("2027-03-03T10:20:30Z");
        expect(cert.readyForRenewal).to.equal(false);
        // attribute_plan_modifier_bool ReadyForRenewal: a window as long as the validity is due at once.
        expect((await selfSignedCertState({ ...inputs, earlyRenewalHours: 48 }, at)).readyForRenewal).to.equal(true);
    });

    it("ids a certificate by its serial in decimal, and refuses what it does not model with its kind", async () => {
        const key = privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        const cert = await selfSignedCertState({
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: "c" },
            allowedUses: ["server_auth"],
            validityPeriodHours: 1,
        });
        expect(cert.id).to.equal(BigInt(`0x${new X509Certificate(String(cert.certPem)).serialNumber}`).toString());
        expect(cert.readyForRenewal).to.equal(false);
        // A CA's Subject Key Identifier is the SHA-1 of its public point (common_cert.go generateSubjectKeyID).
        const ca = await selfSignedCertState({
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: "ca" },
            isCaCertificate: true,
            allowedUses: ["cert_signing"],
            validityPeriodHours: 1,
        });
        const spki = createPublicKey(String(key.privateKeyPem)).export({ type: "spki", format: "der" });
        const ski = createHash("sha1")
            .update(spki.subarray(spki.length - 65))
            .digest("hex");
        expect(new X509Certificate(String(ca.certPem)).ca).to.equal(true);
        expect(subjectKeyId(String(ca.certPem))).to.equal(ski);
        const p224 = privateKeyState({ algorithm: "ECDSA" });
        const err = await selfSignedCertState({ privateKeyPem: p224.privateKeyPem, validityPeriodHours: 1 }).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(TlsModelError);
        expect((err as TlsModelError).kind).to.equal("tls-model");
    });

    it("knows no write-only key input: the stack does not use them, and the replay would not guess", () => {
        expect(() => checkKnownInputs(TLS_TYPES.certRequest, { privateKeyPemWo: "x" })).to.throw(UnknownPropertyError);
    });
});
