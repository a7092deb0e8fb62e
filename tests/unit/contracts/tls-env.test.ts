import { expect } from "chai";
import {
    connectionMaterial,
    parseTlsEnvironment,
    parseTlsServerEnvironment,
    tlsEnvironment,
    TlsEnvError,
    TlsClientEnv,
    tlsServerEnvironment,
} from "../../../contracts/tls-env";
import { TLS_ENV, TLS_SERVER_ENV } from "../../../contracts/env";
import { parseSettingsEnvironment, settingsEnvironment } from "../../../contracts/settings-env";
import { runtimeValues, REDIS_DIRECTIVES } from "../../../render/directives";
import { SETTINGS_ENV } from "../../../contracts/env";
import { credentialsWithTls } from "../../../cli/common";
import { settingsFor } from "../../support/settings";

// PEM-shaped, not real: the schema reads the armour; real certificates meet it in tests/host/tls-clients.test.ts.
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CA = pem("CERTIFICATE", "Q0FjZXJ0aWZpY2F0ZQ==");
const TOOLS = { cert: pem("CERTIFICATE", "dG9vbHNjZXJ0"), key: pem("PRIVATE KEY", "U0VDUkVUdG9vbHNrZXk=") };
const WARMER = { cert: pem("CERTIFICATE", "d2FybWVyY2VydA=="), key: pem("EC PRIVATE KEY", "U0VDUkVUd2FybWVya2V5") };
const FULL: TlsClientEnv = { ca: CA, tools: TOOLS, warmer: WARMER, renewalWindowHours: 720 };

describe("the TLS clients' environment (contracts/tls-env.ts)", () => {
    it("reads back exactly what the program wrote, and nothing when unset", () => {
        expect(parseTlsEnvironment(tlsEnvironment(FULL))).to.deep.equal(FULL);
        expect(
            parseTlsEnvironment(tlsEnvironment({ ca: CA + CA, renewalWindowHours: 1 })),
            "a CA bundle, no client certificate",
        ).to.deep.equal({
            ca: CA + CA,
            renewalWindowHours: 1,
        });
        expect(parseTlsEnvironment({})).to.equal(undefined);
        expect(parseTlsEnvironment({ [TLS_ENV]: "" })).to.equal(undefined);
    });

    it("refuses what is not JSON or not the schema with kind bad-environment, naming the field and never the value", () => {
        const refusal = (env: NodeJS.ProcessEnv): TlsEnvError => {
            try {
                parseTlsEnvironment(env);
            } catch (err) {
                if (err instanceof TlsEnvError) return err;
                throw err;
            }
            throw new Error("accepted");
        };
        const notJson = refusal({ [TLS_ENV]: `{"ca": "SECRETtext` });
        expect(notJson.kind).to.equal("bad-environment");
        expect(notJson.message).to.include(TLS_ENV).and.not.include("SECRET");
        // A key in the certificate's place, a certificate in the key's: both named by path, neither echoed.
        const swapped = refusal({ [TLS_ENV]: JSON.stringify({ ...FULL, tools: { cert: TOOLS.key, key: TOOLS.cert } }) });
        expect(swapped.message).to.include("tools.cert").and.include("tools.key").and.not.include("SECRET").and.not.include("BEGIN");
        expect(refusal({ [TLS_ENV]: JSON.stringify({ ...FULL, renewalWindowHours: 0 }) }).message).to.include("renewalWindowHours");
        expect(refusal({ [TLS_ENV]: JSON.stringify({ ...FULL, password: "x" }) }).message, "strict").to.include("(top)");
        expect(() => tlsEnvironment({ ...FULL, ca: "not a pem" }), "the program checks what it writes").to.throw();
    });

    it("gives each process its own certificate with the CA, and the CA alone where none was made", () => {
        expect(connectionMaterial(FULL, "tools")).to.deep.equal({ ca: CA, ...TOOLS });
        expect(connectionMaterial(FULL, "warmer")).to.deep.equal({ ca: CA, ...WARMER });
        expect(connectionMaterial({ ca: CA, renewalWindowHours: 5 }, "warmer")).to.deep.equal({ ca: CA });
    });

    it("reaches the settings step's request as the tools' material, absent without TLS", () => {
        const settings = settingsFor();
        const node = settings.plan.nodes[0];
        const target = {
            kind: "redis" as const,
            name: node.name,
            stack: "dev",
            host: "127.0.0.1",
            port: node.hostPort,
            masterName: "mymaster",
        };
        const env = {
            ...settingsEnvironment(target, runtimeValues(REDIS_DIRECTIVES, settings, node), 90),
            [SETTINGS_ENV.redisPassword]: "P".repeat(20),
        };
        expect(parseSettingsEnvironment(env).tls).to.equal(undefined);
        expect(parseSettingsEnvironment({ ...env, ...tlsEnvironment(FULL) }).tls).to.deep.equal({ ca: CA, ...TOOLS });
    });
});

describe("the CLIs' credentials with TLS (cli/common.ts credentialsWithTls)", () => {
    const plain = { redisPassword: "r".repeat(20), sentinelPassword: "s".repeat(20) };
    const users = {
        redisUser: "admin",
        redisPassword: "a".repeat(20),
        sentinelUser: "admin",
        sentinelPassword: "a".repeat(20),
        warmer: { redisUser: "warmer", redisPassword: "w".repeat(20), sentinelUser: "discovery", sentinelPassword: "d".repeat(20) },
    };

    it("leaves the credentials as they are without TLS_ENV", () => {
        expect(credentialsWithTls(users, undefined)).to.equal(users);
    });

    it("gives the tools their certificate and the warmer its own, keeping each one's logins", () => {
        const c = credentialsWithTls(users, FULL);
        expect(c.tls).to.deep.equal({ ca: CA, ...TOOLS, renewalWindowHours: 720 });
        expect(c.redisUser).to.equal("admin");
        expect(c.warmer?.redisUser).to.equal("warmer");
        expect(c.warmer?.tls).to.deep.equal({ ca: CA, ...WARMER, renewalWindowHours: 720 });
    });

    it("gives a stack without users a warmer with the same passwords and its own certificate", () => {
        const c = credentialsWithTls(plain, FULL);
        expect(c.warmer).to.deep.equal({ ...plain, tls: { ca: CA, ...WARMER, renewalWindowHours: 720 } });
        // Only the tools' certificate (an operator's environment): the warmer has no credentials of its own.
        expect(credentialsWithTls(plain, { ca: CA, tools: TOOLS, renewalWindowHours: 720 }).warmer).to.equal(undefined);
    });
});

describe("a server's leaf for its settings step (TLS_SERVER_ENV)", () => {
    it("crosses as JSON and reads back the same, and is absent without TLS", () => {
        const env = tlsServerEnvironment(TOOLS);
        expect(Object.keys(env)).to.deep.equal([TLS_SERVER_ENV]);
        expect(parseTlsServerEnvironment(env)).to.deep.equal(TOOLS);
        expect(parseTlsServerEnvironment({})).to.equal(undefined);
    });

    it("refuses a value that is not a certificate and a key, with its kind, naming the field and never the value", () => {
        for (const raw of ["{not json", JSON.stringify({ cert: TOOLS.key, key: TOOLS.key }), JSON.stringify({ cert: TOOLS.cert })]) {
            let err: unknown;
            try {
                parseTlsServerEnvironment({ [TLS_SERVER_ENV]: raw });
            } catch (e) {
                err = e;
            }
            expect(err, raw).to.be.instanceOf(TlsEnvError);
            expect((err as TlsEnvError).kind).to.equal("bad-environment");
            expect((err as Error).message)
                .to.include(TLS_SERVER_ENV)
                .and.not.include("U0VDUkVU");
        }
    });

    it("reaches a settings step's request as its leaf", () => {
        const settings = settingsFor({});
        const env = {
            ...settingsEnvironment(
                { kind: "redis", name: "redis-0", stack: "t", host: "127.0.0.1", port: 6379, masterName: "m" },
                runtimeValues(REDIS_DIRECTIVES, settings, settings.plan.nodes[0]),
                60,
            ),
            [SETTINGS_ENV.redisPassword]: "p".repeat(20),
            ...tlsEnvironment(FULL),
            ...tlsServerEnvironment(TOOLS),
        };
        expect(parseSettingsEnvironment(env).leaf).to.deep.equal(TOOLS);
    });
});
