import { expect } from "chai";
import { tlsEnvironmentOf } from "../../../bench/warm-child";
import { parseTlsEnvironment, TlsClientEnv } from "../../../contracts/tls-env";
import { credentialsWithTls } from "../../../cli/common";
import { Credentials } from "../../../ops/redis/connect";

// PEM-shaped, not real: the schema reads the armour (real certificates: bench/tls-overhead.ts, tests/host/tls-clients.test.ts).
const pem = (label: string, body: string) => `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
const CA = pem("CERTIFICATE", "Q0FjZXJ0aWZpY2F0ZQ==");
const TOOLS = { cert: pem("CERTIFICATE", "dG9vbHNjZXJ0"), key: pem("PRIVATE KEY", "U0VDUkVUdG9vbHNrZXk=") };
const WARMER = { cert: pem("CERTIFICATE", "d2FybWVyY2VydA=="), key: pem("EC PRIVATE KEY", "U0VDUkVUd2FybWVya2V5") };
const PLAIN: Credentials = { redisPassword: "r", sentinelPassword: "s" };

describe("bench: the warm child's TLS environment (bench/warm-child.ts)", () => {
    // The child's CLI builds its credentials from TLS_ENV with credentialsWithTls: what the bench
    // hands over must come back as the credentials it started from, or the child warms with other material.
    for (const [name, env] of [
        ["the tools' and the warmer's certificates", { ca: CA, tools: TOOLS, warmer: WARMER, renewalWindowHours: 24 }],
        ["the tools' only", { ca: CA, tools: TOOLS, renewalWindowHours: 72 }],
        ["a CA and no client certificate", { ca: CA, renewalWindowHours: 1 }],
    ] as [string, TlsClientEnv][]) {
        it(`round-trips ${name} through TLS_ENV to the credentials the CLI builds`, () => {
            const credentials = credentialsWithTls(PLAIN, env);
            const crossed = parseTlsEnvironment(tlsEnvironmentOf(credentials));
            expect(crossed).to.deep.equal(env);
            expect(credentialsWithTls(PLAIN, crossed)).to.deep.equal(credentials);
        });
    }

    it("sets nothing without TLS: the child connects in plain text", () => {
        expect(tlsEnvironmentOf(PLAIN)).to.deep.equal({});
    });
});
