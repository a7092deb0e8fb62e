// The stack's TLS material under mocks, with real keys and certificates from the provider model
// (tests/support/replay/tls-model.ts), checked with Node's own X509Certificate.
import "reflect-metadata";
import * as x509 from "@peculiar/x509";
import type * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { AddressInfo } from "node:net";
import * as tls from "node:tls";
import { flattenConfig, StackConfigObject } from "../../../settings/stack-file";
import { isWireSecret, ProgramRun, resourceKey, runProgramUnderMocks, unwrapSecrets } from "../../support/program-under-mocks";
import { FIRST_START_UPLOADS } from "../../../components/server-container";
import { EXPORTER_FILE_MODE, EXPORTER_TLS_FILES } from "../../../render/exporter";
import { CONTAINER_PATHS } from "../../../render/paths";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";
import { TLS_ENV, TLS_SERVER_ENV } from "../../../contracts/env";
import { parseTlsEnvironment, parseTlsServerEnvironment } from "../../../contracts/tls-env";
import { certRequestState, locallySignedCertState, privateKeyState, TLS_TYPES, tlsResourceState } from "../../support/replay/tls-model";

interface Declared {
    readonly run: ProgramRun;
    readonly resources: pulumi.runtime.MockResourceArgs[];
    /** What each resource's mock returned, by name. */
    readonly states: Map<string, Record<string, unknown>>;
}

async function declare(config: StackConfigObject, preview = false): Promise<Declared> {
    const resources: pulumi.runtime.MockResourceArgs[] = [];
    const states = new Map<string, Record<string, unknown>>();
    const run = await runProgramUnderMocks(
        "dev",
        flattenConfig(config),
        {
            async newResource(args) {
                resources.push(args);
                const computed: Record<string, unknown> = {};
                if (args.type === "random:index/randomPassword:RandomPassword") computed.result = "GeneratedPassw0rdGeneratedPassw0";
                if (args.type === "command:local:Command") computed.stdout = JSON.stringify(SAMPLE_REPORT);
                const state = (await tlsResourceState(args.type, args.inputs)) ?? { ...args.inputs, ...computed };
                states.set(args.name, state);
                return { id: `${args.name}-id`, state };
            },
            call: (args) => args.inputs,
        },
        new Map(),
        preview,
    );
    return { run, resources, states };
}

const SERVERS = ["redis-0", "redis-1", "redis-2", "sentinel-0", "sentinel-1", "sentinel-2"];
const ANNOUNCED: Record<string, string> = {
    "redis-0": "172.28.0.10",
    "redis-1": "172.28.0.11",
    "redis-2": "172.28.0.12",
    "sentinel-0": "172.28.0.40",
    "sentinel-1": "172.28.0.41",
    "sentinel-2": "172.28.0.42",
};
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

/** Every string in a value, however deep, with whether it sits inside a secret. */
function strings(value: unknown, inSecret = false): { text: string; secret: boolean }[] {
    if (isWireSecret(value)) return strings(value.value, true);
    if (typeof value === "string") return [{ text: value, secret: inSecret }];
    if (Array.isArray(value)) return value.flatMap((v) => strings(v, inSecret));
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap((v) => strings(v, inSecret));
    return [];
}

const certOf = (d: Declared, name: string) => new X509Certificate(String(d.states.get(name)?.certPem));
/** Extended key usages (Node calls them keyUsage). */
const ekuOf = (cert: X509Certificate) => cert.keyUsage ?? [];
/** Key Usage bits, which Node does not expose. */
function keyUsagesOf(cert: X509Certificate) {
    const ext = new x509.X509Certificate(cert.raw).getExtension(x509.KeyUsagesExtension);
    return { usages: ext?.usages, critical: ext?.critical };
}
const CA_USAGES = x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature;
const LEAF_USAGES = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment;

describe("the stack's TLS material (real certificates under mocks)", function () {
    this.timeout(60_000);
    let d: Declared;
    before(async () => {
        d = await declare({ cluster: { tls: { enabled: true } } });
    });

    it("declares one CA, and a key, a request and a certificate per server and client, all ECDSA P-256", () => {
        const count = (type: string) => d.resources.filter((r) => r.type === type).length;
        const leaves = SERVERS.length + 4;
        expect(count(TLS_TYPES.privateKey)).to.equal(leaves + 1);
        expect(count(TLS_TYPES.selfSignedCert)).to.equal(1);
        expect(count(TLS_TYPES.certRequest)).to.equal(leaves);
        expect(count(TLS_TYPES.locallySignedCert)).to.equal(leaves);
        for (const key of d.resources.filter((r) => r.type === TLS_TYPES.privateKey)) {
            expect(key.inputs, key.name).to.deep.equal({ algorithm: "ECDSA", ecdsaCurve: "P256" });
            const pem = String(d.states.get(key.name)?.privateKeyPem);
            expect(pem, key.name).to.match(/^-----BEGIN EC PRIVATE KEY-----\n/);
            expect(createPrivateKey(pem).asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
        }
    });

    it("makes a CA that is a CA, signs certificates and CRLs only, and signed itself", () => {
        const ca = certOf(d, "tls-ca");
        expect(ca.ca).to.equal(true);
        expect(ca.checkIssued(ca)).to.equal(true);
        expect(ca.verify(ca.publicKey)).to.equal(true);
        expect(ca.subject).to.equal("O=appscreens-redis-dev\nCN=appscreens-redis-dev CA");
        expect(ca.publicKey.asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
        expect(keyUsagesOf(ca)).to.deep.equal({ usages: CA_USAGES, critical: true });
        expect(ekuOf(ca)).to.deep.equal([]);
        const inputs = d.resources.find((r) => r.name === "tls-ca")?.inputs;
        expect(inputs?.isCaCertificate).to.equal(true);
        expect(inputs?.allowedUses).to.deep.equal(["cert_signing", "crl_signing", "digital_signature"]);
    });

    for (const server of SERVERS) {
        it(`gives ${server} a leaf for its announced address and 127.0.0.1, for server and client auth, chained to the CA`, () => {
            const ca = certOf(d, "tls-ca");
            const leaf = certOf(d, `${server}-tls-cert`);
            expect(leaf.subjectAltName).to.equal(`IP Address:${ANNOUNCED[server]}, IP Address:127.0.0.1`);
            expect(leaf.checkIP(ANNOUNCED[server])).to.equal(ANNOUNCED[server]);
            expect(leaf.checkIP("127.0.0.1")).to.equal("127.0.0.1");
            expect(leaf.checkIP("172.28.0.99")).to.equal(undefined);
            expect(ekuOf(leaf)).to.have.members([SERVER_AUTH, CLIENT_AUTH]);
            expect(keyUsagesOf(leaf)).to.deep.equal({ usages: LEAF_USAGES, critical: true });
            expect(leaf.ca).to.equal(false);
            expect(leaf.subject).to.equal(`O=appscreens-redis-dev\nCN=${server}`);
            expect(leaf.publicKey.asymmetricKeyDetails?.namedCurve).to.equal("prime256v1");
            expect(leaf.verify(ca.publicKey)).to.equal(true);
            expect(leaf.checkIssued(ca)).to.equal(true);
            expect(leaf.issuer).to.equal(ca.subject);
            // The certificate is for the key the server gets.
            const key = String(d.states.get(`${server}-tls-key`)?.privateKeyPem);
            expect(leaf.checkPrivateKey(createPrivateKey(key))).to.equal(true);
            const lifetimeHours = (Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)) / 3_600_000;
            expect(lifetimeHours).to.equal(8760);
        });
    }

    it("gives the app, warmer, exporter and tools client-auth-only certificates chained to the CA", () => {
        const ca = certOf(d, "tls-ca");
        for (const client of ["app", "warmer", "exporter", "tools"]) {
            const cert = certOf(d, `client-${client}-tls-cert`);
            expect(ekuOf(cert), client).to.deep.equal([CLIENT_AUTH]);
            expect(keyUsagesOf(cert).usages, client).to.equal(LEAF_USAGES);
            expect(cert.subject, client).to.equal(`O=appscreens-redis-dev\nCN=${client}`);
            expect(cert.subjectAltName, client).to.equal(undefined);
            expect(cert.verify(ca.publicKey), client).to.equal(true);
            expect(cert.checkIssued(ca), client).to.equal(true);
        }
    });

    it("exports the CA certificate and the app's certificate in the clear, and the app's key only as a secret", () => {
        const { rawOutputs, outputs } = d.run;
        expect(isWireSecret(rawOutputs.tlsCaCert)).to.equal(false);
        expect(new X509Certificate(String(outputs.tlsCaCert)).ca).to.equal(true);
        expect(isWireSecret(rawOutputs.tlsAppClientCert)).to.equal(false);
        expect(isWireSecret(rawOutputs.tlsAppClientKey)).to.equal(true);
        const cert = new X509Certificate(String(outputs.tlsAppClientCert));
        expect(cert.checkPrivateKey(createPrivateKey(String(outputs.tlsAppClientKey)))).to.equal(true);
    });

    it("hands every settings step the CA and the tools' certificate as a secret, and the post-deploy command the warmer's too", () => {
        const pemOf = (name: string, field: string) => String(d.states.get(name)?.[field]);
        const tools = { cert: pemOf("client-tools-tls-cert", "certPem"), key: pemOf("client-tools-tls-key", "privateKeyPem") };
        const steps = d.resources.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-settings"));
        expect(steps.map((r) => r.name).sort()).to.deep.equal(SERVERS.map((s) => `${s}-settings`).sort());
        for (const step of steps) {
            // The value is a secret (the mocks lift a nested secret to the whole map; either way it is inside one).
            const value = strings(step.inputs.environment).find((v) => v.text.includes("renewalWindowHours"));
            expect(value?.secret, step.name).to.equal(true);
            const material = parseTlsEnvironment({ [TLS_ENV]: value?.text });
            expect(material).to.deep.equal({ ca: pemOf("tls-ca", "certPem"), tools, renewalWindowHours: 720 });
        }
        const postDeploy = d.resources.find((r) => r.name === "warm-and-verify");
        const value = strings(postDeploy?.inputs.environment).find((v) => v.text.includes("renewalWindowHours"));
        expect(value?.secret, "the post-deploy environment").to.equal(true);
        const material = parseTlsEnvironment({ [TLS_ENV]: value?.text });
        expect(material?.tools).to.deep.equal(tools);
        expect(material?.warmer).to.deep.equal({
            cert: pemOf("client-warmer-tls-cert", "certPem"),
            key: pemOf("client-warmer-tls-key", "privateKeyPem"),
        });
        // The volume check reads Docker, not Redis: it gets nothing of TLS.
        expect(JSON.stringify(d.resources.find((r) => r.name === "data-volume-check")?.inputs)).to.not.include(TLS_ENV);
    });

    it("hands every server's settings step that server's own leaf and key, as a secret, which it installs on a renewal", () => {
        const pemOf = (name: string, field: string) => String(d.states.get(name)?.[field]);
        for (const server of SERVERS) {
            const step = d.resources.find((r) => r.type === "command:local:Command" && r.name === `${server}-settings`);
            const value = strings(step?.inputs.environment).find(
                (v) => v.text.includes("BEGIN CERTIFICATE") && !v.text.includes("renewalWindowHours"),
            );
            expect(value?.secret, server).to.equal(true);
            expect(parseTlsServerEnvironment({ [TLS_SERVER_ENV]: value?.text }), server).to.deep.equal({
                cert: pemOf(`${server}-tls-cert`, "certPem"),
                key: pemOf(`${server}-tls-key`, "privateKeyPem"),
            });
        }
    });

    it("exports the tools' TLS environment as a secret, and an ioredis example with the three TLS options", () => {
        const { rawOutputs, outputs } = d.run;
        expect(isWireSecret(rawOutputs.tlsToolsEnvironment)).to.equal(true);
        expect(parseTlsEnvironment({ [TLS_ENV]: String(outputs.tlsToolsEnvironment) })?.warmer).to.equal(undefined);
        expect(String(outputs.ioredisExample))
            .to.include("tls: { ca: process.env.REDIS_TLS_CA, cert: process.env.REDIS_TLS_CERT, key: process.env.REDIS_TLS_KEY }")
            .and.include("sentinelTLS: {")
            .and.include("enableTLSForSentinelMode: true");
    });

    it("never holds a private key in plain text in a resource's inputs or a stack output", () => {
        const keyPems = [...d.states.entries()]
            .filter(([name]) => name.endsWith("-key"))
            .flatMap(([, s]) => [String(s.privateKeyPem), String(s.privateKeyPemPkcs8)]);
        expect(keyPems).to.have.length(2 * (SERVERS.length + 5));
        const keyBodies = keyPems.map((pem) => pem.split("\n").slice(1, 3).join(""));
        const places = [
            ...d.resources.map((r) => ({ where: `${r.type}::${r.name}`, value: r.inputs })),
            { where: "stack outputs", value: d.run.rawOutputs },
        ];
        let secretHits = 0;
        for (const { where, value } of places) {
            for (const s of strings(value)) {
                const holdsKey = /PRIVATE KEY/.test(s.text) || keyBodies.some((body) => s.text.includes(body));
                if (!holdsKey) continue;
                expect(s.secret, `${where} holds a private key in plain text`).to.equal(true);
                secretHits++;
            }
        }
        // Every CSR and certificate input and the app key output: the check above saw real keys.
        expect(secretHits).to.be.greaterThan(2 * (SERVERS.length + 4));
    });

    describe("in a real mutual-TLS handshake (Node's OpenSSL, tls-auth-clients yes as a server would run it)", () => {
        const pem = (name: string, field: string) => String(d.states.get(name)?.[field]);
        /** redis-0 serving on 127.0.0.1 with tls-auth-clients yes; resolves with who connected, or the refusal. */
        async function handshake(client: { cert: string; key: string }, host = "127.0.0.1"): Promise<string> {
            const ca = pem("tls-ca", "certPem");
            // Why the server refused a client: OpenSSL's verification error, as Redis logs it.
            let serverError = "";
            const server = tls.createServer({
                cert: pem("redis-0-tls-cert", "certPem"),
                key: pem("redis-0-tls-key", "privateKeyPem"),
                ca,
                requestCert: true,
                // Judged below, so the reason OpenSSL gives (what Redis logs) is kept.
                rejectUnauthorized: false,
            });
            // Only a client the server verified gets a byte.
            server.on("secureConnection", (socket) => {
                if (socket.authorized) socket.end("+OK\r\n");
                else {
                    serverError = String(socket.authorizationError);
                    socket.destroy();
                }
            });

            await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
            try {
                return await new Promise<string>((resolve) => {
                    const socket = tls.connect({
                        host: "127.0.0.1",
                        port: (server.address() as AddressInfo).port,
                        ca,
                        ...client,
                        checkServerIdentity: (_, cert) => tls.checkServerIdentity(host, cert),
                    });
                    // TLS 1.3: the server judges the client certificate after the client has finished its side of the handshake.
                    socket.once("data", () => resolve(`accepted ${socket.getPeerCertificate().subject.CN}`));
                    socket.once("close", () => resolve(`refused by the server: ${serverError}`));
                    socket.once("error", (err) => resolve(`refused: ${err.message}`));
                });
            } finally {
                server.close();
            }
        }

        it("accepts a replica presenting its own server leaf as a client certificate, and the app's client certificate", async () => {
            expect(await handshake({ cert: pem("redis-1-tls-cert", "certPem"), key: pem("redis-1-tls-key", "privateKeyPem") })).to.equal(
                "accepted redis-0",
            );
            expect(
                await handshake({ cert: pem("client-app-tls-cert", "certPem"), key: pem("client-app-tls-key", "privateKeyPem") }),
            ).to.equal("accepted redis-0");
        });

        it("refuses a server-auth-only leaf as a client (what would break replication), and an address the leaf does not name", async () => {
            const key = privateKeyState({ algorithm: "ECDSA", ecdsaCurve: "P256" });
            const request = await certRequestState({
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: "redis-1" },
                ipAddresses: ["127.0.0.1"],
            });
            const serverOnly = await locallySignedCertState({
                certRequestPem: request.certRequestPem,
                caPrivateKeyPem: pem("tls-ca-key", "privateKeyPem"),
                caCertPem: pem("tls-ca", "certPem"),
                allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                validityPeriodHours: 24,
            });
            expect(await handshake({ cert: String(serverOnly.certPem), key: String(key.privateKeyPem) })).to.equal(
                "refused by the server: INVALID_PURPOSE",
            );
            expect(
                await handshake(
                    { cert: pem("client-app-tls-cert", "certPem"), key: pem("client-app-tls-key", "privateKeyPem") },
                    "172.28.0.11",
                ),
            ).to.match(/^refused: .*IP: 172\.28\.0\.11 is not in the cert's list/);
        });
    });

    it("publishes each key's public half as the provider does", () => {
        const state = d.states.get("redis-0-tls-key") ?? {};
        const pub = createPublicKey(String(state.privateKeyPem)).export({ type: "spki", format: "pem" });
        expect(state.publicKeyPem).to.equal(pub);
        expect(state.publicKeyOpenssh).to.match(/^ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY[A-Za-z0-9+/=]+\n$/);
        expect(state.publicKeyFingerprintSha256).to.match(/^SHA256:[A-Za-z0-9+/]{43}$/);
        expect(state.publicKeyFingerprintMd5).to.match(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
        expect(state.id).to.match(/^[0-9a-f]{40}$/);
    });
});

describe("the stack's TLS material across hosts (preview)", () => {
    it("names each server's host address (announced) and its static address (its exporter's) besides loopback", async () => {
        const hosts = ["a", "b", "c"].map((h, i) => ({
            name: `host-${h}`,
            docker: `unix:///run/host-${h}/docker.sock`,
            address: `10.77.0.${11 + i}`,
        }));
        const d = await declare({ cluster: { hosts, tls: { enabled: true } } }, true);
        const ca = new X509Certificate(String(d.states.get("tls-ca")?.certPem));
        const expected: Record<string, string> = {
            "redis-0": "10.77.0.11, IP Address:172.28.0.10",
            "redis-1": "10.77.0.12, IP Address:172.28.0.11",
            "redis-2": "10.77.0.13, IP Address:172.28.0.12",
            "sentinel-0": "10.77.0.11, IP Address:172.28.0.40",
            "sentinel-1": "10.77.0.12, IP Address:172.28.0.41",
            "sentinel-2": "10.77.0.13, IP Address:172.28.0.42",
        };
        for (const [server, sans] of Object.entries(expected)) {
            const leaf = new X509Certificate(String(d.states.get(`${server}-tls-cert`)?.certPem));
            expect(leaf.subjectAltName, server).to.equal(`IP Address:${sans}, IP Address:127.0.0.1`);
            expect(leaf.checkIssued(ca), server).to.equal(true);
        }
    }).timeout(60_000);
});

describe("the stack without TLS", () => {
    it("declares no key or certificate and exports none", async () => {
        const d = await declare({});
        expect(d.resources.filter((r) => r.type.startsWith("tls:"))).to.deep.equal([]);
        expect(d.run.outputs.tlsCaCert).to.equal(undefined);
        expect(d.run.outputs.tlsAppClientKey).to.equal(undefined);
        expect(d.run.outputs.tlsToolsEnvironment).to.equal(undefined);
        expect(JSON.stringify(d.resources.map((r) => r.inputs))).to.not.include(TLS_ENV);
        expect(String(d.run.outputs.ioredisExample)).to.not.include("tls");
    });
});

describe("the servers' and exporters' TLS files under mocks (uploads, secrets, ignored changes)", function () {
    this.timeout(60_000);
    let d: Declared;
    before(async () => {
        d = await declare({ cluster: { tls: { enabled: true } } });
    });
    const CONTAINER = "docker:index/container:Container";
    const containers = () => d.resources.filter((r) => r.type === CONTAINER);
    const pemOf = (name: string, field: string) => String(d.states.get(name)?.[field]);
    interface Upload {
        readonly file: string;
        readonly content: unknown;
        readonly permissions: string;
    }
    const uploadsOf = (r: pulumi.runtime.MockResourceArgs) => unwrapSecrets(r.inputs.uploads) as Upload[];
    /** An upload holding exactly `want`, with `mode`; and every string of the container's uploads that holds it is inside a secret. */
    function expectSecretUpload(r: pulumi.runtime.MockResourceArgs, file: string, want: string, mode: string) {
        const upload = uploadsOf(r).find((u) => u.file === file);
        expect(upload?.content, `${r.name} ${file}`).to.equal(want);
        expect(upload?.permissions, `${r.name} ${file}`).to.equal(mode);
        const holding = strings(r.inputs.uploads).filter((x) => x.text === want);
        expect(holding, `${r.name} ${file}`).to.have.length(1);
        expect(holding[0].secret, `${r.name} ${file} is inside a secret`).to.equal(true);
    }

    for (const server of SERVERS) {
        it(`uploads ${server}'s leaf, key and the CA as 0400 secrets, and ignores their later changes`, () => {
            const container = containers().find((r) => r.name === server);
            if (!container) throw new Error(`no container ${server}`);
            const uploads = uploadsOf(container);
            expectSecretUpload(container, CONTAINER_PATHS.tlsCaUpload, pemOf("tls-ca", "certPem"), "0400");
            expectSecretUpload(container, CONTAINER_PATHS.tlsCertUpload, pemOf(`${server}-tls-cert`, "certPem"), "0400");
            expectSecretUpload(container, CONTAINER_PATHS.tlsKeyUpload, pemOf(`${server}-tls-key`, "privateKeyPem"), "0400");
            const ignored = d.run.registrations.get(resourceKey(CONTAINER, server))?.ignoreChanges ?? [];
            const tlsIndices = uploads.flatMap((u, i) =>
                [CONTAINER_PATHS.tlsCaUpload, CONTAINER_PATHS.tlsCertUpload, CONTAINER_PATHS.tlsKeyUpload].includes(u.file as never)
                    ? [i]
                    : [],
            );
            expect(tlsIndices, server).to.have.length(3);
            expect(ignored, server).to.include.members([...FIRST_START_UPLOADS, ...tlsIndices.map((i) => `uploads[${i}].content`)]);
            // Nothing else is ignored: a changed script still reaches a new container.
            expect(ignored, server).to.have.length(FIRST_START_UPLOADS.length + 3);
        });
    }

    it("gives each exporter the CA and its client certificate and key, secret and readable by its group only", () => {
        const exporters = containers().filter((r) => r.name.endsWith("-exporter"));
        expect(exporters).to.have.length(SERVERS.length);
        for (const e of exporters) {
            expectSecretUpload(e, EXPORTER_TLS_FILES.caCert, pemOf("tls-ca", "certPem"), EXPORTER_FILE_MODE);
            expectSecretUpload(e, EXPORTER_TLS_FILES.clientCert, pemOf("client-exporter-tls-cert", "certPem"), EXPORTER_FILE_MODE);
            expectSecretUpload(e, EXPORTER_TLS_FILES.clientKey, pemOf("client-exporter-tls-key", "privateKeyPem"), EXPORTER_FILE_MODE);
            const command = e.inputs.command as string[];
            expect(command[0], e.name).to.match(/^--redis\.addr=rediss:\/\//);
            expect(command, e.name).to.include(`--tls-client-key-file=${EXPORTER_TLS_FILES.clientKey}`);
        }
    });

    it("puts no PEM, certificate or key, in any container's environment, command, entrypoint, labels or health check", () => {
        const pems = [...d.states.entries()].flatMap(([name, s]) =>
            name.endsWith("-tls-key")
                ? [String(s.privateKeyPem)]
                : name.endsWith("-tls-cert") || name === "tls-ca"
                  ? [String(s.certPem)]
                  : [],
        );
        expect(pems).to.have.length(1 + 2 * (SERVERS.length + 4));
        const bodies = pems.map((pem) => pem.split("\n")[1]);
        let looked = 0;
        for (const c of containers()) {
            for (const field of ["envs", "command", "entrypoints", "labels", "healthcheck"]) {
                for (const s of strings(c.inputs[field])) {
                    looked++;
                    expect(s.text, `${c.name} ${field}`).to.not.include("-----BEGIN");
                    for (const body of bodies) expect(s.text.includes(body), `${c.name} ${field} holds a PEM`).to.equal(false);
                }
            }
        }
        expect(looked).to.be.greaterThan(100);
    });

    it("starts the servers TLS-only: no --port on their command lines, port 0 and tls-port in their initial configs", () => {
        for (const server of SERVERS) {
            const container = containers().find((r) => r.name === server);
            expect(container?.inputs.command as string[], server).to.not.include("--port");
            const initial = uploadsOf(container as pulumi.runtime.MockResourceArgs).find((u) => u.file === CONTAINER_PATHS.initialConf);
            const conf = String(initial?.content);
            expect(conf, server).to.match(/^port 0$/m);
            expect(conf, server).to.match(new RegExp(`^tls-port ${server.startsWith("redis") ? 6379 : 26379}$`, "m"));
        }
    });
});

describe("a CA rotation's three deploys under mocks: what each trusts and who signs", function () {
    this.timeout(120_000);
    /** The CA certificates of a bundle, by subject. */
    const subjectsOf = (bundle: string) =>
        (bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? []).map(
            (pem) => new X509Certificate(pem).subject.split("\n")[1],
        );
    const chainsTo = (d: Declared, leaf: string, ca: string) => certOf(d, leaf).verify(certOf(d, ca).publicKey);
    /** What every place that trusts holds: the output, each step's TLS_ENV, each server's CA upload. */
    function trusted(d: Declared): string[] {
        const bundle = String(d.run.outputs.tlsCaCert);
        for (const step of d.resources.filter((r) => r.type === "command:local:Command" && r.name.endsWith("-settings"))) {
            const value = strings(step.inputs.environment).find((v) => v.text.includes("renewalWindowHours"));
            expect(parseTlsEnvironment({ [TLS_ENV]: value?.text })?.ca, step.name).to.equal(bundle);
        }
        for (const server of SERVERS) {
            const container = d.resources.find((r) => r.type === "docker:index/container:Container" && r.name === server);
            const uploads = unwrapSecrets(container?.inputs.uploads) as { file: string; content: string }[];
            expect(uploads.find((u) => u.file === CONTAINER_PATHS.tlsCaUpload)?.content, server).to.equal(bundle);
        }
        return subjectsOf(bundle);
    }

    it("deploy 1: both CAs trusted everywhere, the old one first, and every leaf still signed by the old one", async () => {
        const d = await declare({ cluster: { tls: { enabled: true, caNextGeneration: 1 } } });
        expect(trusted(d)).to.deep.equal(["CN=appscreens-redis-dev CA", "CN=appscreens-redis-dev CA 1"]);
        expect(certOf(d, "tls-ca-g1").ca).to.equal(true);
        for (const leaf of [...SERVERS, "client-app", "client-tools"])
            expect(chainsTo(d, `${leaf}-tls-cert`, "tls-ca"), leaf).to.equal(true);
        // A CA keeps its lifetime: tls.caValidityHours is for the next generation.
        for (const ca of ["tls-ca", "tls-ca-g1"])
            expect(d.run.registrations.get(resourceKey(TLS_TYPES.selfSignedCert, ca))?.ignoreChanges, ca).to.deep.equal([
                "validityPeriodHours",
            ]);
    });

    it("deploy 2: the new CA signs every leaf, the old one still trusted after it", async () => {
        const d = await declare({ cluster: { tls: { enabled: true, caGeneration: 1, caPreviousGeneration: 0 } } });
        expect(trusted(d)).to.deep.equal(["CN=appscreens-redis-dev CA 1", "CN=appscreens-redis-dev CA"]);
        for (const leaf of [...SERVERS, "client-app", "client-tools", "client-warmer", "client-exporter"]) {
            expect(chainsTo(d, `${leaf}-tls-cert`, "tls-ca-g1"), leaf).to.equal(true);
            expect(certOf(d, `${leaf}-tls-cert`).issuer, leaf).to.equal("O=appscreens-redis-dev\nCN=appscreens-redis-dev CA 1");
        }
        expect(new X509Certificate(String(d.run.outputs.tlsAppClientCert)).checkIssued(certOf(d, "tls-ca-g1"))).to.equal(true);
    });

    it("deploy 3: only the new CA, declared and trusted; the old one's key and certificate are gone from the program", async () => {
        const d = await declare({ cluster: { tls: { enabled: true, caGeneration: 1 } } });
        expect(trusted(d)).to.deep.equal(["CN=appscreens-redis-dev CA 1"]);
        expect(d.resources.filter((r) => r.type === TLS_TYPES.selfSignedCert).map((r) => r.name)).to.deep.equal(["tls-ca-g1"]);
        expect(d.resources.some((r) => r.name === "tls-ca-key")).to.equal(false);
        expect(chainsTo(d, "redis-0-tls-cert", "tls-ca-g1")).to.equal(true);
    });
});
