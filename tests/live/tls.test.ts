// A test stack created with cluster.tls.enabled and cluster.users.enabled (issue 17): deployed once
// through the replay deployer, every server's published port must refuse plain text and serve the
// leaf the stack made for that server (chained to the stack's CA output, the one /data/tls holds),
// the exporters must reach their servers over TLS, an app writer on its own user and certificate
// must keep every WAIT-confirmed write through a master kill and through the fault suite's faults
// (master stopped, paused, its process killed, cut off; a kill with one Sentinel stopped; two
// Sentinels stopped, no failover; a replica killed; every container restarted; the warmer under a
// failover: the same code as tests/live/faults.test.ts, tests/support/live/faults.ts), the drill
// and a backup/restore must pass over TLS as the tools' user, the app must be refused what it may
// not run and a connection without a user refused, and nothing of the stack's own may have been
// refused anything (ACL LOG empty on every server before a case stops it, and at the end
// everywhere but for the app's deliberate refusals). One deploy covers users and TLS: each is a
// creation-time choice, and the other suites cover the stack without either.
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import Redis from "ioredis";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { connect as tlsConnect } from "node:tls";
import { runBackup } from "../../ops/backup/run-backup";
import { runRestore } from "../../ops/backup/run-restore";
import { directTlsOptions, tlsConnectionOptions } from "../../ops/redis/tls-options";
import { readPeerCertificate } from "../../ops/verify/tls-expiry";
import { DEFAULT_DRILL_OPTIONS, runDrill } from "../../ops/drill/run-drill";
import { CACHE_KEY_KINDS, cacheKeyGlob } from "../../settings/cache-keys";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { waitFor } from "../support/live/wait";
import { TLS_CONTAINER_FILES } from "../../render/tls-conf";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { resourceKey } from "../support/deployer";
import { TLS_LOCALLY_SIGNED_CERT } from "../support/replay/property-table";
import {
    everyContainerRestarted,
    everyContainerRunning,
    FaultRun,
    masterCutOff,
    masterPaused,
    masterProcessKilled,
    masterStopped,
    oneSentinelStopped,
    removeCacheKeysOf,
    replicaKilled,
    twoSentinelsStopped,
    warmerDuringFailover,
} from "../support/live/faults";

// Ports (DEVELOPMENT.md): nodes 16430-16432, Sentinels 17430-17432, exporters 18161-18183.
const OVERRIDES = {
    cluster: {
        tls: { enabled: true },
        users: { enabled: true, appWrites: true },
        publish: { redisBasePort: 16430, sentinelBasePort: 17430 },
        metrics: { enabled: true, exporterBasePort: 18161 },
    },
};

/** What a server answers a plaintext PING with before it closes the connection: "" when it only closes it. */
function plaintextPing(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port });
        let answer = "";
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`127.0.0.1:${port} neither answered nor closed a plaintext PING within 5 s`));
        }, 5000);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d) => (answer += d.toString("latin1")));
        socket.on("error", () => undefined);
        socket.on("close", () => {
            clearTimeout(timer);
            resolve(answer);
        });
    });
}

describe("live: a stack created with cluster.users.enabled and cluster.tls.enabled", function () {
    this.timeout(600_000);
    const cluster = useLiveCluster(this, { overrides: OVERRIDES, logsOnFailure: true });
    /** Every container running again, whatever a failed fault case left behind. */
    afterEach(() => everyContainerRunning(cluster));
    const servers = () => [...cluster.nodeNames, ...cluster.sentinelNames];
    /** The outputs of a TLS stack with metrics that the other suites' outputs type leaves out. */
    const extra = () =>
        cluster.outputs as unknown as {
            tlsCaCert?: string;
            tlsAppClientCert?: string;
            tlsAppClientKey?: string;
            metricsEndpoints?: Record<string, string>;
        };
    const appTls = () => {
        const { tlsCaCert, tlsAppClientCert, tlsAppClientKey } = extra();
        return { ca: String(tlsCaCert), cert: String(tlsAppClientCert), key: String(tlsAppClientKey) };
    };
    /** A direct connection as the app, with its user and certificate. */
    const appClient = (name: string): Redis => {
        const client = new Redis({
            host: "127.0.0.1",
            port: cluster.outputs.publishedPorts[name],
            username: cluster.outputs.appUser,
            password: cluster.outputs.appPassword,
            ...directTlsOptions(appTls()),
            maxRetriesPerRequest: 0,
            commandTimeout: 3000,
            lazyConnect: true,
        });
        client.on("error", () => undefined);
        return client;
    };
    /** Server `name`'s ACL LOG, each entry as `<user> <reason> <object>`: who was refused what. */
    const aclLog = async (name: string): Promise<string[]> => {
        const entries = (await cluster.direct(name).call("ACL", "LOG")) as unknown[][];
        // Each entry is a flat key/value list.
        return entries.map((e) => {
            const fields = Object.fromEntries(Array.from({ length: e.length / 2 }, (_, i) => [String(e[2 * i]), e[2 * i + 1]]));
            return `${String(fields.username)} ${String(fields.reason)} ${String(fields.object)}`;
        });
    };
    /** The app's keys: the writer's must match its key patterns. */
    const appKey = cacheKeyGlob(CACHE_KEY_KINDS[0]).replace("*", `tls-live:${Date.now().toString(36)}`);
    /**
     * Nothing refused on `names` so far: read before a case stops, kills or restarts them, since
     * their ACL LOG goes with their process (the last case reads what is left at the end).
     */
    const expectNoRefusals = async (names: readonly string[]) => {
        for (const name of names) expect(await aclLog(name), `ACL LOG of ${name} before it stops`).to.deep.equal([]);
    };

    it("deploys: the CA, the app's and discovery's users are outputs, and the post-deploy verifier passed", () => {
        expect(cluster.outputs.appUser).to.equal("app");
        expect(cluster.outputs.discoveryUser).to.equal("discovery");
        expect(cluster.outputs.ioredisExample).to.include('username: "app"');
        expect(cluster.outputs.ioredisExample).to.include("enableTLSForSentinelMode: true");
        expect(new X509Certificate(String(extra().tlsCaCert)).ca).to.equal(true);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        // The deploy's verifier read every server's certificate over TLS and found it outside the renewal window.
        const expiry = (cluster.verification?.checks ?? []).filter((c) => /^tls\..+\.expiry$/.test(c.name));
        expect(expiry.map((c) => c.name).sort()).to.deep.equal(
            servers()
                .map((n) => `tls.${n}.expiry`)
                .sort(),
        );
    });

    it("refuses plain text on every server's published port", async () => {
        for (const name of servers()) {
            const answer = await plaintextPing(cluster.outputs.publishedPorts[name]);
            expect(answer, name).to.not.include("PONG");
            expect(answer, name).to.not.match(/^[-+]/);
        }
    });

    it("serves on every published port the server's own leaf, chained to the stack's CA, as /data/tls holds it", async () => {
        const ca = String(extra().tlsCaCert);
        const serials = new Set<string>();
        for (const name of servers()) {
            const seen = await readPeerCertificate({ server: name, host: "127.0.0.1", port: cluster.outputs.publishedPorts[name], ca });
            const installed = new X509Certificate(await cluster.exec(name, ["cat", TLS_CONTAINER_FILES.cert]));
            expect(seen.serialNumber, name).to.equal(installed.serialNumber);
            expect(installed.subject, name).to.include(`CN=${name}`);
            expect(installed.checkIssued(new X509Certificate(ca)), name).to.equal(true);
            serials.add(seen.serialNumber);
        }
        expect(serials.size).to.equal(servers().length);
    });

    it("has every exporter reach its server over TLS: redis_up 1", async () => {
        for (const [name, url] of Object.entries(extra().metricsEndpoints ?? {})) {
            const metrics = await (await fetch(url)).text();
            expect(metrics, name).to.match(/^redis_up 1$/m);
        }
        expect(Object.keys(extra().metricsEndpoints ?? {})).to.have.length(servers().length);
    });

    it("keeps every WAIT-confirmed write of an app writer (its user, its certificate) through a master kill", async () => {
        const master = await cluster.settled();
        await expectNoRefusals([master]);
        const writer = new ConfirmedWriter(cluster.outputs, cluster.outputs.appPassword ?? "", appKey, 20, 5, appTls()).start();
        await waitFor("20 confirmed batches before the kill", async () => (writer.confirmedSince(0) >= 20 ? true : undefined));
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        const movedAt = Date.now();
        await waitFor(
            "writes confirmed again after the master moved",
            async () => (writer.confirmedSince(movedAt) > 0 ? true : undefined),
            90_000,
        );
        const report = await writer.stop();
        console.log(`      tls: master killed: ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        await cluster.container(master).start();
        expect(await cluster.settled(90_000)).to.equal(moved);
        // The app's plain SETs have no TTL; the next deploy's verifier would take them for badly warmed keys.
        await removeCacheKeysOf(cluster, appKey);
    });

    it("runs the drill over TLS as the tools' user: fails over, keeps every confirmed write, verifies", async () => {
        const before = await cluster.settled();
        const report = await runDrill(cluster.plan(), cluster.credentials, { ...DEFAULT_DRILL_OPTIONS, timeoutMs: 60_000, sampleSize: 20 });
        console.log(`      tls: drill ${JSON.stringify({ timings: report.timings, writes: report.writes })}`);
        expect(report.oldMaster).to.equal(before);
        expect(report.newMaster).to.be.a("string").and.not.equal(before);
        expect(report.verification.failed).to.deep.equal([]);
        expect(report.writes.confirmed).to.be.greaterThan(100);
        expect(report.writes.confirmedLost).to.equal(0);
    });

    // The fault suite's faults, run by its own code (tests/support/live/faults.ts): the hand-over
    // script over TLS as the tools' user, replication re-linking over TLS, start scripts that find
    // /data/tls already filled or ask the Sentinels over TLS, the verifier and the warmer over TLS.
    // Each with an app writer on its user and certificate; each case starts from the settled
    // cluster the one before left (its expectHealthy), so none settles twice.
    const faults: FaultRun = {
        cluster,
        writer: () =>
            new ConfirmedWriter(
                cluster.outputs,
                cluster.outputs.appPassword ?? "",
                `${appKey}:${Date.now().toString(36)}`,
                20,
                5,
                appTls(),
            ),
        label: "tls",
        beforeStopping: expectNoRefusals,
    };

    it("keeps every confirmed write through the master container stopped (SIGTERM: the hand-over over TLS as the tools' user)", () =>
        masterStopped(faults));

    it("keeps every confirmed write through the master paused: a replica is promoted, unpaused the old master rejoins as a replica", () =>
        masterPaused(faults));

    it("keeps every confirmed write through the master's redis-server process killed: the restart policy brings it back, no failover", () =>
        masterProcessKilled(faults));

    it("keeps every confirmed write through the master cut off from the network: it stops taking writes, re-linked over TLS it is a replica", () =>
        masterCutOff(faults));

    it("keeps every confirmed write through a master kill with one Sentinel stopped: the two running Sentinels fail over", () =>
        oneSentinelStopped(faults));

    it("with two Sentinels stopped: no failover, the verifier over TLS fails its quorum check; restarted, quorum is back", () =>
        twoSentinelsStopped(faults));

    it("keeps every confirmed write through a replica killed and restarted: it resyncs over TLS", () => replicaKilled(faults));

    it("keeps every confirmed write through every container restarted at once: TLS files kept in /data/tls, the verifier passes", () =>
        // A restart empties every server's ACL LOG: faults.beforeStopping reads them all first.
        everyContainerRestarted(faults));

    it("completes the warmer over TLS during a failover: every key it reported written is on the new master", () =>
        warmerDuringFailover(faults));

    it("backs up and restores as the tools' user: no password in the backup, every node holds exactly what it held", async () => {
        const master = await cluster.settled();
        const admin = cluster.direct(master);
        const pipeline = admin.pipeline();
        for (let i = 0; i < 200; i++) pipeline.set(`tls-restore:${i}`, `value-${i}`);
        expect(((await pipeline.exec()) ?? []).filter(([err]) => err)).to.deep.equal([]);
        expect(await admin.wait(cluster.nodeNames.length - 1, 10_000)).to.equal(cluster.nodeNames.length - 1);
        const keysBefore = await admin.dbsize();
        const work = mkdtempSync(path.join(tmpdir(), "appscreens-tls-backup-"));
        try {
            const dir = path.join(work, "backup");
            await runBackup(cluster.plan(), cluster.credentials, { outDir: dir, timeoutMs: 60_000 });
            const { appPassword, discoveryPassword, adminPassword } = cluster.outputs;
            const secrets = [appPassword, discoveryPassword, adminPassword].filter((p): p is string => !!p);
            expect(secrets).to.have.length(3);
            for (const f of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
                if (!statSync(path.join(dir, f)).isFile()) continue;
                const content = readFileSync(path.join(dir, f));
                for (const secret of secrets) expect(content.includes(Buffer.from(secret)), `${f} holds a password`).to.equal(false);
            }
            await admin.set("tls-restore:after-backup", "gone after the restore");
            const result = await runRestore(cluster.plan(), cluster.credentials, {
                fromDir: dir,
                force: true,
                allowOtherStack: false,
                keepPrevious: false,
                dryRun: false,
                timeoutMs: 60_000,
            });
            expect(result.applied).to.equal(true);
            expect(result.verification?.failed).to.deep.equal([]);
            for (const node of cluster.nodeNames) {
                const client = cluster.direct(node);
                expect(await client.dbsize(), node).to.equal(keysBefore);
                expect(await client.get("tls-restore:after-backup"), node).to.equal(null);
                expect(await client.get("tls-restore:199"), node).to.equal("value-199");
            }
        } finally {
            rmSync(work, { recursive: true, force: true });
        }
    });

    it("refuses the app FLUSHALL, CONFIG, KEYS and SCAN on the master, and a connection without a user", async () => {
        const master = await cluster.settled();
        const app = appClient(master);
        await app.connect();
        try {
            expect(await app.set(`${appKey}:probe`, "1", "EX", 60)).to.equal("OK");
            for (const command of [["FLUSHALL"], ["CONFIG", "GET", "maxmemory"], ["KEYS", "*"], ["SCAN", "0"]]) {
                const reply = await app.call(command[0], ...command.slice(1)).catch((err: Error) => err);
                expect(reply, command.join(" ")).to.be.instanceOf(Error);
                expect(String(reply), command.join(" ")).to.match(/NOPERM/);
            }
        } finally {
            app.disconnect();
        }
        // A raw connection that sends PING before any AUTH: what a client configured without a user gets.
        for (const name of [master, cluster.sentinelNames[0]]) {
            const reply = await new Promise<string>((resolve, reject) => {
                // Over TLS with the app's certificate, as a client configured without a user would connect.
                const socket = tlsConnect(
                    { host: "127.0.0.1", port: cluster.outputs.publishedPorts[name], ...tlsConnectionOptions(appTls()) },
                    () => socket.write("PING\r\n"),
                );
                socket.setTimeout(5000, () => reject(new Error(`${name}: no reply to PING`)));
                socket.once("data", (data) => {
                    resolve(data.toString());
                    socket.destroy();
                });
                socket.once("error", reject);
            });
            expect(reply, name).to.match(/^-NOAUTH/);
        }
    });

    it("renews every server's leaf on a deploy (`up --replace` of the certificates) without replacing a container, under the app's writer", async () => {
        const ca = String(extra().tlsCaCert);
        const served = async (name: string) =>
            readPeerCertificate({ server: name, host: "127.0.0.1", port: cluster.outputs.publishedPorts[name], ca });
        const before = new Map<string, { serial: string; id: string; startedAt: string }>();
        for (const name of servers())
            before.set(name, {
                serial: (await served(name)).serialNumber,
                id: (await cluster.container(name).inspect()).Id,
                startedAt: await cluster.startedAt(name),
            });
        await cluster.settled();
        // The Sentinels restart on the renewal, and their ACL LOG with them (the warmer's and the backup's cases ran since the last read).
        await expectNoRefusals(cluster.sentinelNames);
        const writer = new ConfirmedWriter(cluster.outputs, cluster.outputs.appPassword ?? "", appKey, 20, 5, appTls()).start();
        await waitFor("20 confirmed batches before the renewal", async () => (writer.confirmedSince(0) >= 20 ? true : undefined));
        const leaves = servers().map((name) => resourceKey(TLS_LOCALLY_SIGNED_CERT, `${name}-tls-cert`));
        const started = Date.now();
        const { changes } = await cluster.up(OVERRIDES, { replace: leaves });
        const seconds = (Date.now() - started) / 1000;
        const report = await writer.stop();
        console.log(`      tls: renewal of ${leaves.length} leaves in ${seconds.toFixed(1)} s: ${formatWriterReport(report)}`);
        expect(changes.replaced.filter((k) => leaves.includes(k)).sort()).to.deep.equal([...leaves].sort());
        expect(
            changes.replaced.filter((k) => k.startsWith("docker:")),
            "no container or volume replaced",
        ).to.deep.equal([]);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        for (const name of servers()) {
            const was = before.get(name);
            const now = await served(name);
            const installed = new X509Certificate(await cluster.exec(name, ["cat", TLS_CONTAINER_FILES.cert]));
            expect(now.serialNumber, `${name} serves a new serial`).to.not.equal(was?.serial);
            expect(installed.serialNumber, `${name}'s /data/tls holds what it serves`).to.equal(now.serialNumber);
            expect(installed.checkIssued(new X509Certificate(ca)), name).to.equal(true);
            expect((await cluster.container(name).inspect()).Id, `${name}'s container is the same`).to.equal(was?.id);
            // A node reloads in place; a Sentinel cannot, and restarts in its own container.
            const restarted = (await cluster.startedAt(name)) !== was?.startedAt;
            expect(restarted, `${name} restarted`).to.equal(cluster.sentinelNames.includes(name));
        }
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        await cluster.settled();
        await removeCacheKeysOf(cluster, appKey);
    });

    it("rotates the CA through a bundle in three deploys (bundle, switch, old CA dropped), no container replaced, under the app's writer", async () => {
        // The app takes what the runbook tells it to before each deploy (docs/tls.md "Rotating the CA"):
        // a writer per deploy, made from the outputs the deploy before left.
        const tlsWith = (tls: Record<string, unknown>) => ({
            ...OVERRIDES,
            cluster: { ...OVERRIDES.cluster, tls: { enabled: true, ...tls } },
        });
        const oldCa = String(extra().tlsCaCert);
        const oldApp = appTls();
        /** A PING before AUTH over TLS with `material`: NOAUTH when the server accepts its certificate, else how it ended. */
        const pingWith = (name: string, material: { ca: string; cert: string; key: string }) =>
            new Promise<string>((resolve) => {
                const socket = tlsConnect(
                    { host: "127.0.0.1", port: cluster.outputs.publishedPorts[name], ...tlsConnectionOptions(material) },
                    () => socket.write("PING\r\n"),
                );
                socket.setTimeout(5000, () => (socket.destroy(), resolve("timeout")));
                socket.once("data", (data) => (socket.destroy(), resolve(data.toString())));
                socket.once("error", (err: NodeJS.ErrnoException) => resolve(`error ${err.code ?? err.message}`));
                socket.once("close", () => resolve("closed"));
            });
        const ids = new Map<string, string>();
        for (const name of servers()) ids.set(name, (await cluster.container(name).inspect()).Id);
        const totals = { confirmed: 0, lost: 0 };
        for (const [label, tls] of [
            ["bundle", { caNextGeneration: 1 }],
            ["switch", { caGeneration: 1, caPreviousGeneration: 0 }],
            ["drop", { caGeneration: 1 }],
        ] as const) {
            await cluster.settled();
            // Each deploy restarts the Sentinels (a new CA file), and their ACL LOG with them.
            await expectNoRefusals(cluster.sentinelNames);
            const writer = new ConfirmedWriter(cluster.outputs, cluster.outputs.appPassword ?? "", appKey, 20, 5, appTls()).start();
            await waitFor(`20 confirmed batches before the ${label} deploy`, async () =>
                writer.confirmedSince(0) >= 20 ? true : undefined,
            );
            const started = Date.now();
            const { changes } = await cluster.up(tlsWith(tls));
            const report = await writer.stop();
            console.log(
                `      tls: CA rotation, ${label} deploy in ${((Date.now() - started) / 1000).toFixed(1)} s: ${formatWriterReport(report)}`,
            );
            // The exporters are stateless and take a new CA file or client certificate by replacement; no server does.
            expect(
                changes.replaced.filter((k) => k.startsWith("docker:") && !k.includes("exporter")),
                `${label}: no server container or volume replaced`,
            ).to.deep.equal([]);
            expect(cluster.verification?.ok, `${label}: verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
            totals.confirmed += report.confirmed;
            totals.lost += report.lostConfirmed;
        }
        const newCa = String(extra().tlsCaCert);
        const certificates = (bundle: string) => bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
        expect(certificates(newCa), "one CA trusted at the end").to.have.length(1);
        expect(new X509Certificate(newCa).fingerprint256).to.not.equal(new X509Certificate(oldCa).fingerprint256);
        for (const name of servers()) {
            const port = cluster.outputs.publishedPorts[name];
            const served = await readPeerCertificate({ server: name, host: "127.0.0.1", port, ca: newCa });
            const installed = new X509Certificate(await cluster.exec(name, ["cat", TLS_CONTAINER_FILES.cert]));
            expect(installed.serialNumber, `${name} serves what /data/tls holds`).to.equal(served.serialNumber);
            expect(installed.verify(new X509Certificate(newCa).publicKey), `${name}'s leaf is the new CA's`).to.equal(true);
            expect(
                certificates(await cluster.exec(name, ["cat", TLS_CONTAINER_FILES.caCert])),
                `${name} trusts the new CA only`,
            ).to.deep.equal(certificates(newCa));
            const withOld = await readPeerCertificate({ server: name, host: "127.0.0.1", port, ca: oldCa }).then(
                () => "verified",
                (err: unknown) => (err as { kind?: string }).kind,
            );
            expect(withOld, `${name} under the old CA`).to.equal("handshake");
            // It trusts the new CA's client certificates, and no longer the old CA's (its CA file reloaded).
            expect(await pingWith(name, appTls()), `${name} with the app's new certificate`).to.match(/^-NOAUTH/);
            expect(await pingWith(name, { ...oldApp, ca: newCa }), `${name} with the app's old certificate`).to.not.match(/^-NOAUTH/);
            expect((await cluster.container(name).inspect()).Id, `${name}'s container is the same`).to.equal(ids.get(name));
        }
        console.log(`      tls: CA rotation, three deploys: ${totals.confirmed} confirmed writes, ${totals.lost} lost`);
        expect(totals.confirmed).to.be.greaterThan(0);
        expect(totals.lost, "confirmed writes lost").to.equal(0);
        await cluster.settled();
        await removeCacheKeysOf(cluster, appKey);
    });

    it("leaves ACL LOG empty on every server but for the refusals this suite asked for", async () => {
        const master = await cluster.settled();
        for (const name of servers()) {
            const described = await aclLog(name);
            // The app's refusals above, on the master only; the anonymous PINGs are not logged (NOAUTH). Anything else,
            // e.g. `default command set` from a node replaying its AOF, is a refusal of the stack's own.
            const expected = name === master ? described.filter((d) => d.startsWith("app ")) : [];
            expect(described, `ACL LOG of ${name}`).to.deep.equal(expected);
            if (name === master) expect(expected.length, "the app's refusals are logged").to.be.greaterThan(0);
        }
    });
});
