import { expect } from "chai";
import { generateKeyPairSync } from "node:crypto";
import { ClientTlsError, directTlsOptions, sentinelTlsOptions, tlsConnectionOptions } from "../../../../ops/redis/tls-options";
import { directClient, nodeLogin, sentinelClient, sentinelLogin } from "../../../../ops/redis/connect";
import { buildPostDeployPlan, nodesOf, sentinelsOf } from "../../../../contracts/plan";
import { settingsFor } from "../../../support/settings";

// Only the PEM headers are read here; real certificates meet these options in tests/host/tls.test.ts.
const CA = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----\n";
const CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----\n";
const KEY = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();

describe("ops/redis/tls-options", () => {
    it("gives a Sentinel-mode client tls, sentinelTLS and enableTLSForSentinelMode, which ioredis needs together", () => {
        const o = sentinelTlsOptions({ ca: CA, cert: CERT, key: KEY });
        expect(o.enableTLSForSentinelMode).to.equal(true);
        expect(o.tls).to.deep.equal({ ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true });
        expect(o.sentinelTLS).to.deep.equal(o.tls);
        expect(o.sentinelTLS, "two objects").to.not.equal(o.tls);
    });

    it("gives a direct client tls only", () => {
        expect(directTlsOptions({ ca: CA, cert: CERT, key: KEY })).to.deep.equal({
            tls: { ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true },
        });
    });

    it("leaves the certificate out under authClients optional, and never sets servername (servers are checked by IP SAN)", () => {
        const o = tlsConnectionOptions({ ca: CA });
        expect(o).to.deep.equal({ ca: CA, rejectUnauthorized: true });
        expect(o).to.not.have.any.keys("servername", "checkServerIdentity", "cert", "key");
    });

    it("refuses material that cannot work, with a kind and without echoing the key", () => {
        const cases = [
            { ca: "not a pem" },
            { ca: CA, cert: CERT },
            { ca: CA, key: KEY },
            { ca: CA, cert: "x", key: KEY },
            { ca: CA, cert: CERT, key: `x${KEY.replace(/PRIVATE KEY/g, "")}` },
        ];
        for (const material of cases) {
            let caught: unknown;
            try {
                tlsConnectionOptions(material);
            } catch (err) {
                caught = err;
            }
            expect(caught, JSON.stringify(Object.keys(material))).to.be.instanceOf(ClientTlsError);
            expect((caught as ClientTlsError).kind).to.equal("client-tls-material");
            expect((caught as Error).message).to.not.include(KEY.split("\n")[1]);
        }
    });
});

describe("ops/redis/connect with TLS material in the credentials", () => {
    const plan = buildPostDeployPlan(settingsFor());
    const material = { ca: CA, cert: CERT, key: KEY, renewalWindowHours: 720 };
    const plain = { redisPassword: "p".repeat(20), sentinelPassword: "s".repeat(20) };

    it("opens direct connections to nodes and Sentinels over TLS with the credentials' certificate, in plain text without", () => {
        const node = nodesOf(plan)[0];
        const withTls = directClient(node, nodeLogin({ ...plain, tls: material }));
        const sentinel = directClient(sentinelsOf(plan)[0], sentinelLogin({ ...plain, tls: material }));
        const without = directClient(node, nodeLogin(plain));
        // A step that authenticates later (no login yet) gives its material as an option.
        const noLogin = directClient(node, undefined, { tls: material });
        try {
            expect(withTls.options.tls).to.deep.equal({ ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true });
            expect(sentinel.options.tls).to.deep.equal(withTls.options.tls);
            expect(noLogin.options.tls).to.deep.equal(withTls.options.tls);
            expect(without.options.tls).to.equal(undefined);
        } finally {
            for (const c of [withTls, sentinel, without, noLogin]) c.disconnect();
        }
    });

    it("gives a Sentinel-mode client all three TLS options, and none without material", () => {
        const withTls = sentinelClient(plan, { ...plain, tls: material });
        const without = sentinelClient(plan, plain);
        try {
            expect(withTls.options.tls).to.deep.equal({ ca: CA, cert: CERT, key: KEY, rejectUnauthorized: true });
            expect(withTls.options.sentinelTLS).to.deep.equal(withTls.options.tls);
            expect(withTls.options.enableTLSForSentinelMode).to.equal(true);
            expect(without.options.tls).to.equal(undefined);
            expect(without.options.sentinelTLS).to.equal(undefined);
            expect(without.options.enableTLSForSentinelMode).to.not.equal(true);
        } finally {
            withTls.disconnect();
            without.disconnect();
        }
    });
});
