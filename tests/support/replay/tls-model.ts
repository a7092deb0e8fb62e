// The @pulumi/tls resources the stack declares (PrivateKey, CertRequest, SelfSignedCert,
// LocallySignedCert), made the way terraform-provider-tls makes them, so tests under mocks and the
// replay deployer hold real keys and certificates. Read from the provider's source
// (internal/provider/resource_private_key.go, common_key.go, resource_cert_request.go,
// resource_self_signed_cert.go, resource_locally_signed_cert.go, common_cert.go):
// - keys: ECDSA private_key_pem is SEC 1 ("EC PRIVATE KEY"), RSA PKCS #1, ED25519 PKCS #8;
//   private_key_pem_pkcs8 always PKCS #8; public_key_pem PKIX; the id is the SHA-1 of the PKIX
//   bytes (hashForState, which trims whitespace first); an ECDSA curve defaults to P224.
// - certificates: a random serial below 2^128 (the id, in decimal); not-before now, not-after
//   validity_period_hours later; Basic Constraints always present and critical (CA:FALSE on a leaf);
//   Key Usage (critical) and Extended Key Usage from allowed_uses; a CA gets a Subject Key
//   Identifier (SHA-1 of the public point) and a leaf signed by it the matching Authority Key
//   Identifier (Go's x509.CreateCertificate); the signature hash follows the curve.
// - a locally signed certificate takes the request's subject and SANs, none of its other
//   extensions, and does not check the request's signature.
// - renewal: a plan at or after validity_end_time minus early_renewal_hours replaces the
//   certificate (property-table.ts certificateReadyForRenewal, applied by diff.ts planChange); a new
//   certificate's ready_for_renewal is what its plan modifier sets (true when validity_period_hours
//   is 0 or early_renewal_hours is at least validity_period_hours), and not-before is the same
//   clock's now (the provider's overridableTimeFunc serves both).
// Not modelled: private_key_openssh (left empty), RSA and ED25519 certificates, P224 certificates
// (Web Crypto has no P-224), URIs, max_path_length, set_authority_key_id, and the refresh that
// sets ready_for_renewal in the state (the replay never refreshes). Which input changes replace
// and which update: property-table.ts.
//
// Library: @peculiar/x509 over Node's Web Crypto builds the requests and certificates in process
// (async, no temporary files for the CA key, as the openssl CLI would need); Node's crypto makes
// the keys and their encodings.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import { createHash, generateKeyPairSync, KeyObject, createPrivateKey, createPublicKey, randomBytes, webcrypto } from "node:crypto";
import { unwrapSecrets } from "../program-under-mocks";
import { TLS_CERT_REQUEST, TLS_LOCALLY_SIGNED_CERT, TLS_PRIVATE_KEY, TLS_SELF_SIGNED_CERT } from "./property-table";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

export const TLS_TYPES = {
    privateKey: TLS_PRIVATE_KEY,
    certRequest: TLS_CERT_REQUEST,
    selfSignedCert: TLS_SELF_SIGNED_CERT,
    locallySignedCert: TLS_LOCALLY_SIGNED_CERT,
} as const;

/** The provider's curve names -> Node's and Web Crypto's. */
const CURVES: Record<string, { node: string; web: string; hash: string; ssh: string } | undefined> = {
    P224: { node: "secp224r1", web: "P-224", hash: "SHA-256", ssh: "nistp224" },
    P256: { node: "prime256v1", web: "P-256", hash: "SHA-256", ssh: "nistp256" },
    P384: { node: "secp384r1", web: "P-384", hash: "SHA-384", ssh: "nistp384" },
    P521: { node: "secp521r1", web: "P-521", hash: "SHA-512", ssh: "nistp521" },
};

export class TlsModelError extends Error {
    readonly kind = "tls-model" as const;
}

/** Provider attribute names (snake_case) -> the Pulumi SDK's (camelCase), as the bridge maps them. */
const camel = (name: string) => name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const toSdk = (state: Record<string, unknown>) => Object.fromEntries(Object.entries(state).map(([k, v]) => [camel(k), v]));

/** Go's strings.TrimSpace over bytes: ASCII white space and U+0085 / U+00A0 at either end. */
function trimSpace(bytes: Buffer): Buffer {
    let start = 0;
    let end = bytes.length;
    const space = (b: number) => b === 0x20 || (b >= 0x09 && b <= 0x0d);
    for (;;) {
        if (start < end && space(bytes[start])) start++;
        else if (end - start >= 2 && bytes[start] === 0xc2 && (bytes[start + 1] === 0x85 || bytes[start + 1] === 0xa0)) start += 2;
        else break;
    }
    for (;;) {
        if (end > start && space(bytes[end - 1])) end--;
        else if (end - start >= 2 && bytes[end - 2] === 0xc2 && (bytes[end - 1] === 0x85 || bytes[end - 1] === 0xa0)) end -= 2;
        else break;
    }
    return bytes.subarray(start, end);
}

const hashForState = (bytes: Buffer): string => (bytes.length === 0 ? "" : createHash("sha1").update(trimSpace(bytes)).digest("hex"));

const sshString = (b: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
};

/** Bytes of a coordinate per curve (Node's names). */
const COORDINATE_BYTES: Record<string, number> = { secp224r1: 28, prime256v1: 32, secp384r1: 48, secp521r1: 66 };

/**
 * The uncompressed public point of an EC key (what Go's elliptic.Marshal gives): the end of its
 * PKIX encoding, whose BIT STRING holds exactly that (Node's JWK export has no P-224).
 */
const ecPoint = (pub: KeyObject): Buffer => {
    const size = COORDINATE_BYTES[pub.asymmetricKeyDetails?.namedCurve ?? ""];
    if (!size) throw new TlsModelError(`not an ECDSA key of a curve the provider supports`);
    const spki = pub.export({ type: "spki", format: "der" });
    return spki.subarray(spki.length - (1 + 2 * size));
};

/** tls.PrivateKey: a new key, in the encodings the provider stores. */
export function privateKeyState(inputs: Record<string, unknown>): Record<string, unknown> {
    const algorithm = String(inputs.algorithm);
    let key: { privateKey: KeyObject; publicKey: KeyObject };
    let privatePem: string;
    let ssh = { key: "", md5: "", sha256: "" };
    if (algorithm === "ECDSA") {
        const curveName = typeof inputs.ecdsaCurve === "string" ? inputs.ecdsaCurve : "P224";
        const curve = CURVES[curveName];
        if (!curve) throw new TlsModelError(`ecdsa_curve ${curveName} is not one the provider supports`);
        key = generateKeyPairSync("ec", { namedCurve: curve.node });
        privatePem = key.privateKey.export({ type: "sec1", format: "pem" }).toString();
        const blob = Buffer.concat([
            sshString(Buffer.from(`ecdsa-sha2-${curve.ssh}`)),
            sshString(Buffer.from(curve.ssh)),
            sshString(ecPoint(key.publicKey)),
        ]);
        ssh = {
            key: `ecdsa-sha2-${curve.ssh} ${blob.toString("base64")}\n`,
            md5: (createHash("md5").update(blob).digest("hex").match(/../g) ?? []).join(":"),
            sha256: `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`,
        };
    } else if (algorithm === "RSA") {
        key = generateKeyPairSync("rsa", { modulusLength: typeof inputs.rsaBits === "number" ? inputs.rsaBits : 2048 });
        privatePem = key.privateKey.export({ type: "pkcs1", format: "pem" }).toString();
    } else if (algorithm === "ED25519") {
        key = generateKeyPairSync("ed25519");
        privatePem = key.privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    } else {
        throw new TlsModelError(`algorithm ${algorithm} is not one the provider supports`);
    }
    const spki = key.publicKey.export({ type: "spki", format: "der" });
    return toSdk({
        ...inputs,
        id: hashForState(spki),
        private_key_pem: privatePem,
        private_key_pem_pkcs8: key.privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        private_key_openssh: "",
        public_key_pem: key.publicKey.export({ type: "spki", format: "pem" }).toString(),
        public_key_openssh: ssh.key,
        public_key_fingerprint_md5: ssh.md5,
        public_key_fingerprint_sha256: ssh.sha256,
    });
}

interface Subject {
    readonly commonName?: string;
    readonly organization?: string;
    readonly organizationalUnit?: string;
    readonly streetAddresses?: readonly string[];
    readonly locality?: string;
    readonly province?: string;
    readonly country?: string;
    readonly postalCode?: string;
    readonly serialNumber?: string;
}

/** The subject in the order Go's pkix.Name writes it (C, ST, L, STREET, postalCode, O, OU, CN, serialNumber). */
function subjectName(subject: Subject | undefined): x509.Name {
    const s = subject ?? {};
    const parts: [string, readonly string[] | string | undefined][] = [
        ["2.5.4.6", s.country],
        ["2.5.4.8", s.province],
        ["2.5.4.7", s.locality],
        ["2.5.4.9", s.streetAddresses],
        ["2.5.4.17", s.postalCode],
        ["2.5.4.10", s.organization],
        ["2.5.4.11", s.organizationalUnit],
        ["2.5.4.3", s.commonName],
        ["2.5.4.5", s.serialNumber],
    ];
    return new x509.Name(
        parts.flatMap(([oid, v]) =>
            v === undefined || v.length === 0 ? [] : (typeof v === "string" ? [v] : v).map((value) => ({ [oid]: [value] })),
        ),
    );
}

/** A signing key as Web Crypto holds it, with its algorithm (the hash follows the curve, as in Go). */
async function signingKey(
    pem: string,
): Promise<{ key: webcrypto.CryptoKey; algorithm: webcrypto.EcdsaParams & webcrypto.EcKeyImportParams; node: KeyObject }> {
    const node = createPrivateKey(pem);
    const curveName = node.asymmetricKeyDetails?.namedCurve;
    const curve = Object.values(CURVES).find((c) => c?.node === curveName);
    if (node.asymmetricKeyType !== "ec" || !curve || curve.web === "P-224") {
        throw new TlsModelError(
            `only ECDSA P-256, P-384 and P-521 keys are modelled (got ${node.asymmetricKeyType ?? "?"} ${curveName ?? ""})`,
        );
    }
    const algorithm = { name: "ECDSA", namedCurve: curve.web, hash: curve.hash };
    const key = await webcrypto.subtle.importKey("pkcs8", node.export({ type: "pkcs8", format: "der" }), algorithm, false, ["sign"]);
    return { key: key as webcrypto.CryptoKey, algorithm, node };
}

async function publicCryptoKey(node: KeyObject, algorithm: webcrypto.EcKeyImportParams): Promise<webcrypto.CryptoKey> {
    return (await webcrypto.subtle.importKey("spki", node.export({ type: "spki", format: "der" }), algorithm, true, [
        "verify",
    ])) as webcrypto.CryptoKey;
}

const sanExtension = (ips: readonly string[], dns: readonly string[], critical: boolean) =>
    ips.length + dns.length === 0
        ? []
        : [
              new x509.SubjectAlternativeNameExtension(
                  [...dns.map((value) => ({ type: "dns" as const, value })), ...ips.map((value) => ({ type: "ip" as const, value }))],
                  critical,
              ),
          ];

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** tls.CertRequest: a PKCS #10 request signed by the given key, its SANs in an extension request. */
export async function certRequestState(inputs: Record<string, unknown>): Promise<Record<string, unknown>> {
    const { key, algorithm, node } = await signingKey(String(inputs.privateKeyPem));
    const name = subjectName(inputs.subject as Subject | undefined);
    const csr = await x509.Pkcs10CertificateRequestGenerator.create({
        name,
        keys: { privateKey: key, publicKey: await publicCryptoKey(createPublicKey(node), algorithm) },
        signingAlgorithm: algorithm,
        extensions: sanExtension(strings(inputs.ipAddresses), strings(inputs.dnsNames), false),
    });
    return toSdk({
        ...inputs,
        id: hashForState(Buffer.from(csr.rawData)),
        key_algorithm: "ECDSA",
        cert_request_pem: `${csr.toString("pem")}\n`,
    });
}

const KEY_USAGES: Record<string, x509.KeyUsageFlags> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    content_commitment: x509.KeyUsageFlags.nonRepudiation,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    data_encipherment: x509.KeyUsageFlags.dataEncipherment,
    key_agreement: x509.KeyUsageFlags.keyAgreement,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
    encipher_only: x509.KeyUsageFlags.encipherOnly,
    decipher_only: x509.KeyUsageFlags.decipherOnly,
};
const EXTENDED_KEY_USAGES: Record<string, string> = {
    any_extended: "2.5.29.37.0",
    server_auth: "1.3.6.1.5.5.7.3.1",
    client_auth: "1.3.6.1.5.5.7.3.2",
    code_signing: "1.3.6.1.5.5.7.3.3",
    email_protection: "1.3.6.1.5.5.7.3.4",
    ipsec_end_system: "1.3.6.1.5.5.7.3.5",
    ipsec_tunnel: "1.3.6.1.5.5.7.3.6",
    ipsec_user: "1.3.6.1.5.5.7.3.7",
    timestamping: "1.3.6.1.5.5.7.3.8",
    ocsp_signing: "1.3.6.1.5.5.7.3.9",
};

/** Go's time.MarshalText (RFC 3339 with the fraction's trailing zeros dropped). */
const goTime = (d: Date) => d.toISOString().replace(/\.?0+Z$/, "Z");

interface CertTemplate {
    readonly subject: x509.Name;
    readonly ips: readonly string[];
    readonly dns: readonly string[];
    readonly publicKey: webcrypto.CryptoKey;
    readonly publicPoint: Buffer;
}

/** common_cert.go createCertificate: serial, validity, uses, CA bits, then Go's CreateCertificate. */
async function createCertificate(
    inputs: Record<string, unknown>,
    template: CertTemplate,
    issuer: { name: x509.Name; key: webcrypto.CryptoKey; algorithm: webcrypto.EcdsaParams; subjectKeyId?: string },
    now: Date,
): Promise<Record<string, unknown>> {
    const serial = randomBytes(16);
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const validityHours = Number(inputs.validityPeriodHours);
    const notAfter = new Date(notBefore.getTime() + validityHours * 3600_000);
    const earlyRenewalHours = typeof inputs.earlyRenewalHours === "number" ? inputs.earlyRenewalHours : 0;
    const uses = strings(inputs.allowedUses);
    const keyUsage = uses.reduce((acc, u) => acc | (KEY_USAGES[u] ?? 0), 0);
    const extendedUsage = uses.flatMap((u) => (EXTENDED_KEY_USAGES[u] ? [EXTENDED_KEY_USAGES[u]] : []));
    const isCa = inputs.isCaCertificate === true;
    if (isCa && template.subject.toString() === "") {
        throw new TlsModelError("Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
    }
    const subjectKeyId =
        isCa || inputs.setSubjectKeyId === true ? createHash("sha1").update(template.publicPoint).digest("hex") : undefined;
    const selfSigned = template.subject.toString() === issuer.name.toString();
    const extensions: x509.Extension[] = [
        ...(keyUsage ? [new x509.KeyUsagesExtension(keyUsage, true)] : []),
        ...(extendedUsage.length > 0 ? [new x509.ExtendedKeyUsageExtension(extendedUsage, false)] : []),
        new x509.BasicConstraintsExtension(isCa, undefined, true),
        ...(subjectKeyId ? [new x509.SubjectKeyIdentifierExtension(subjectKeyId)] : []),
        ...(!selfSigned && issuer.subjectKeyId ? [new x509.AuthorityKeyIdentifierExtension(issuer.subjectKeyId)] : []),
        // Go marks the SANs critical only when the subject is empty (RFC 5280 4.2.1.6).
        ...sanExtension(template.ips, template.dns, template.subject.toString() === ""),
    ];
    const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial.toString("hex"),
        subject: template.subject,
        issuer: issuer.name,
        notBefore,
        notAfter,
        publicKey: template.publicKey,
        signingKey: issuer.key,
        signingAlgorithm: issuer.algorithm,
        extensions,
    });
    return {
        id: BigInt(`0x${serial.toString("hex")}`).toString(),
        cert_pem: `${cert.toString("pem")}\n`,
        validity_start_time: goTime(notBefore),
        validity_end_time: goTime(notAfter),
        // attribute_plan_modifier_bool ReadyForRenewal: born due when its window covers its whole life.
        ready_for_renewal: validityHours === 0 || earlyRenewalHours >= validityHours,
    };
}

/** tls.SelfSignedCert. */
export async function selfSignedCertState(inputs: Record<string, unknown>, now = new Date()): Promise<Record<string, unknown>> {
    const { key, algorithm, node } = await signingKey(String(inputs.privateKeyPem));
    const pub = createPublicKey(node);
    const name = subjectName(inputs.subject as Subject | undefined);
    const template = {
        subject: name,
        ips: strings(inputs.ipAddresses),
        dns: strings(inputs.dnsNames),
        publicKey: await publicCryptoKey(pub, algorithm),
        publicPoint: ecPoint(pub),
    };
    const cert = await createCertificate(inputs, template, { name, key, algorithm }, now);
    return toSdk({ ...inputs, ...cert, key_algorithm: "ECDSA" });
}

/** tls.LocallySignedCert: the request's subject and SANs, signed by the CA's key. */
export async function locallySignedCertState(inputs: Record<string, unknown>, now = new Date()): Promise<Record<string, unknown>> {
    const request = new x509.Pkcs10CertificateRequest(String(inputs.certRequestPem));
    const ca = new x509.X509Certificate(String(inputs.caCertPem));
    const { key, algorithm } = await signingKey(String(inputs.caPrivateKeyPem));
    const san = request.extensions.find(
        (e): e is x509.SubjectAlternativeNameExtension => e instanceof x509.SubjectAlternativeNameExtension,
    );
    const names = san?.names.items ?? [];
    const requestKey = createPublicKey({ key: Buffer.from(request.publicKey.rawData), format: "der", type: "spki" });
    const curve = Object.values(CURVES).find((c) => c?.node === requestKey.asymmetricKeyDetails?.namedCurve);
    if (!curve) throw new TlsModelError("only ECDSA certificate requests are modelled");
    const template = {
        subject: request.subjectName,
        ips: names.filter((n) => n.type === "ip").map((n) => n.value),
        dns: names.filter((n) => n.type === "dns").map((n) => n.value),
        publicKey: await publicCryptoKey(requestKey, { name: "ECDSA", namedCurve: curve.web }),
        publicPoint: ecPoint(requestKey),
    };
    const caKeyId = ca.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId;
    const cert = await createCertificate(inputs, template, { name: ca.subjectName, key, algorithm, subjectKeyId: caKeyId }, now);
    return toSdk({ ...inputs, ...cert, ca_key_algorithm: "ECDSA" });
}

/**
 * The provider's state for a @pulumi/tls resource, as a mock's `newResource` returns it (SDK
 * names, the inputs with the computed attributes); undefined for any other type.
 */
export async function tlsResourceState(
    type: string,
    wireInputs: Record<string, unknown>,
    now = new Date(),
): Promise<Record<string, unknown> | undefined> {
    const inputs = unwrapSecrets(wireInputs) as Record<string, unknown>;
    switch (type) {
        case TLS_TYPES.privateKey:
            return privateKeyState(inputs);
        case TLS_TYPES.certRequest:
            return certRequestState(inputs);
        case TLS_TYPES.selfSignedCert:
            return selfSignedCertState(inputs, now);
        case TLS_TYPES.locallySignedCert:
            return locallySignedCertState(inputs, now);
        default:
            return undefined;
    }
}
