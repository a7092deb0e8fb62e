// The stack's own clients over TLS (issue 17, client side): the real warmer through Sentinel and
// the real verifier (its expiry check included) against TLS-only Redis and Sentinel processes
// with `tls-auth-clients yes`, each connection opened by ops/redis/connect.ts from credentials
// built as the CLIs build them (cli/common.ts credentialsWithTls from APPSCREENS_TLS's contract).
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { writeJsonlSnapshots } from "../../bench/snapshot";
import { PostDeployPlan } from "../../contracts/plan";
import { parseTlsEnvironment, tlsEnvironment, TlsClientEnv } from "../../contracts/tls-env";
import { credentialsWithTls } from "../../cli/common";
import { Credentials, directClient, nodeLogin, sentinelClient } from "../../ops/redis/connect";
import { waitForSettledCluster } from "../../ops/cluster/settle";
import { runWarm } from "../../ops/warm/run";
import { verify } from "../../ops/verify/verifier";
import { postDeployFailures } from "../../ops/post-deploy";
import { Check } from "../../ops/verify/report";
import { TestCa, TlsHostCluster } from "../support/tls-host-cluster";
import { hostPlan } from "../support/host-cluster";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";

// Ports (DEVELOPMENT.md): nodes 22740-22741, Sentinels 22760-22762.
const BASE = 22740;

/** The first line of an error, or "ok". */
const outcome = (p: Promise<unknown>): Promise<string> =>
    p.then(
        () => "ok",
        (err: Error) => err.message.split("\n")[0],
    );

describe("host: the stack's clients over TLS (warmer, verifier, expiry check), authClients yes", function () {
    this.timeout(180_000);
    const passwords = { redis: randomBytes(16).toString("hex"), sentinel: randomBytes(16).toString("hex") };
    const plain: Credentials = { redisPassword: passwords.redis, sentinelPassword: passwords.sentinel };
    let cluster: TlsHostCluster;
    let dir: string;
    let env: TlsClientEnv;
    let plan: PostDeployPlan;

    /** The credentials a CLI builds from APPSCREENS_TLS, read back through the contract as the CLI reads it. */
    const credentials = (material: TlsClientEnv): Credentials => credentialsWithTls(plain, parseTlsEnvironment(tlsEnvironment(material)));
    const tlsChecks = (checks: readonly Check[]) => checks.filter((c) => c.name.startsWith("tls."));

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster = new TlsHostCluster({ basePort: BASE, authClients: "yes", passwords });
        await cluster.start();
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-tls-clients-"));
        const warmer = await cluster.ca.client(path.join(dir, "clients"), "warmer");
        env = {
            ca: cluster.ca.pem,
            tools: { cert: cluster.clientTls.cert!, key: cluster.clientTls.key! },
            warmer: { cert: warmer.cert!, key: warmer.key! },
            renewalWindowHours: 24,
        };
        const files = { appstore: path.join(dir, "a.jsonl"), playstore: path.join(dir, "p.jsonl") };
        await writeJsonlSnapshots(files, 500);
        plan = hostPlan(cluster.nodePorts, cluster.sentinelPorts, {
            warmer: { appstore: { kind: "file", path: files.appstore }, playstore: { kind: "file", path: files.playstore } },
        });
        // The settle loop is the tools' own (ops/cluster/settle.ts): every Sentinel and node over TLS.
        await waitForSettledCluster(plan, credentials(env), { timeoutMs: 60_000 });
    });

    after(async () => {
        await cluster?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("refuses a client without a certificate, and one in plain text, on nodes and through Sentinel", async () => {
        const [node] = plan.servers;
        const noCert = directClient(node, nodeLogin({ ...plain, tls: { ca: env.ca, renewalWindowHours: 24 } }));
        const plainText = directClient(node, nodeLogin(plain));
        const sentinelNoCert = sentinelClient(plan, { ...plain, tls: { ca: env.ca, renewalWindowHours: 24 } }, "host", {
            connectTimeoutMs: 2000,
        });
        const withCert = directClient(node, nodeLogin(credentials(env)));
        try {
            const refusals = {
                noCert: await outcome(noCert.ping()),
                plainText: await outcome(plainText.ping()),
                sentinelNoCert: await outcome(sentinelNoCert.set("tls-clients:probe", "1")),
            };
            console.log(`      refused: ${JSON.stringify(refusals)}`);
            for (const [which, said] of Object.entries(refusals)) expect(said, which).to.not.equal("ok");
            // The control: the same node, the same login, with the tools' certificate.
            expect(await withCert.ping()).to.equal("PONG");
        } finally {
            for (const c of [noCert, plainText, sentinelNoCert, withCert]) c.disconnect();
        }
    });

    it("warms through Sentinel over TLS with the warmer's own certificate, which works where the tools' does not", async () => {
        // The tools' certificate from another CA: everything the tools open is refused, so a warm
        // that succeeds used the warmer's certificate, on the Sentinels and the master alike.
        const foreign = await (await TestCa.create(path.join(dir, "foreign"), "another CA")).client(path.join(dir, "foreign"), "tools");
        const creds = credentials({ ...env, tools: { cert: foreign.cert!, key: foreign.key! } });
        const report = await runWarm(plan, creds.warmer!, { force: true, vantage: "host" });
        expect(report.ok, report.problems.join("; ")).to.equal(true);
        expect(report.keysWritten).to.equal(2_000);
        const tools = directClient(plan.servers[0], nodeLogin(creds));
        try {
            expect(await outcome(tools.ping()), "the foreign tools' certificate").to.not.equal("ok");
        } finally {
            tools.disconnect();
        }
        // Every key on every node, read over TLS with the real tools' certificate.
        for (const node of plan.servers.filter((s) => s.kind === "redis")) {
            const client = directClient(node, nodeLogin(credentials(env)));
            try {
                expect(await client.dbsize(), node.name).to.equal(2_000);
            } finally {
                client.disconnect();
            }
        }
    });

    it("verifies over TLS: every node and Sentinel reached, the quorum and the replica seen, every certificate outside the window", async () => {
        const report = await verify(plan, credentials(env));
        const byName = new Map(report.checks.map((c) => [c.name, c]));
        const failed = report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${String(c.actual)}`);
        // The host processes are not the stack's servers (no AOF, other limits): only what TLS decides is asserted.
        const tls = tlsChecks(report.checks);
        expect(tls.map((c) => c.name).sort()).to.deep.equal(plan.servers.map((s) => `tls.${s.name}.expiry`).sort());
        for (const c of tls) expect(c.ok, `${c.name}: ${String(c.actual)}`).to.equal(true);
        const reachability = report.checks.filter((c) => /reachable/.test(c.name));
        expect(reachability.length, failed.join("; ")).to.equal(plan.servers.length);
        for (const c of reachability) expect(c.ok, `${c.name}: ${String(c.actual)}`).to.equal(true);
        const quorum = report.checks.filter((c) => /ckquorum/i.test(c.name));
        expect(quorum.length).to.be.greaterThan(0);
        for (const c of quorum) expect(c.ok, `${c.name}: ${String(c.actual)}`).to.equal(true);
        expect(byName.size).to.be.greaterThan(tls.length);
    });

    it("fails verification, and so the deploy, when the certificates are within tls.renewalWindowHours", async () => {
        // The leaves run for 2 days: a 72 h window holds every one of them.
        const report = await verify(plan, credentials({ ...env, renewalWindowHours: 72 }));
        const tls = tlsChecks(report.checks);
        expect(tls).to.have.length(plan.servers.length);
        for (const c of tls) {
            expect(c.ok, c.name).to.equal(false);
            expect(String(c.actual)).to.include("inside tls.renewalWindowHours (72 h)");
        }
        expect(report.ok).to.equal(false);
        const failures = postDeployFailures("host", {
            membership: { retiredNodes: [], removedSentinels: [], resetSentinels: [] },
            verification: report,
        });
        expect(failures.join("\n")).to.include("tls.redis-0.expiry").and.include("tls.sentinel-2.expiry");
    });

    it("fails a server's expiry check with the handshake's kind when its certificate cannot be read", async () => {
        // The verifier's tools trust another CA only: every handshake fails verification.
        const other = await TestCa.create(path.join(dir, "other"), "unrelated CA");
        const report = await verify(plan, credentials({ ...env, ca: other.pem }));
        const tls = tlsChecks(report.checks);
        expect(tls).to.have.length(plan.servers.length);
        for (const c of tls) expect(String(c.actual), c.name).to.match(/^handshake: /);
        expect(report.ok).to.equal(false);
    });
});
