import { expect } from "chai";
import { readFileSync } from "node:fs";
import { createServer, Socket } from "node:net";
import Redis from "ioredis";
import { tlsReloadArgs } from "../../render/tls-conf";
import { parseInfo, parsePairs } from "../../ops/redis/replies";
import { certificateExpiryCheck, PeerCertificateError, readPeerCertificate } from "../../ops/verify/tls-expiry";
import { MASTER_NAME, TestCa, TlsHostCluster } from "../support/tls-host-cluster";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): authClients yes: nodes 22640-22641, Sentinels 22660-22662;
// authClients optional: node 22670, Sentinel 22690.
const BASE = 22640;
const OPTIONAL_BASE = 22670;

/** The id of the one replica connection in a CLIENT LIST reply. */
const replicaConnectionId = (list: string): string => {
    const lines = list.trim().split("\n");
    if (lines.length !== 1) throw new Error(`expected one replica connection, got: ${list}`);
    return /(?:^| )id=(\d+)/.exec(lines[0])?.[1] ?? "(no id)";
};

/** The first line of an error, or "ok": what a refused connection says, for the test's output. */
const outcome = (p: Promise<unknown>): Promise<string> =>
    p.then(
        () => "ok",
        (err: Error) => err.message.split("\n")[0],
    );

describe("host: TLS on Redis and Sentinel processes, with the rendered directives", function () {
    this.timeout(240_000);
    let cluster: TlsHostCluster;

    const allPorts = () => [...cluster.nodePorts, ...cluster.sentinelPorts];
    const tools = (port: number) => cluster.client(port);
    const info = async (port: number, section: string) => parseInfo(await tools(port).info(section));
    const sentinelMaster = async (port: number) => parsePairs(await tools(port).call("SENTINEL", "MASTER", MASTER_NAME));
    const peerCertificate = (port: number) =>
        readPeerCertificate({ server: cluster.name(port), host: "127.0.0.1", port, ...cluster.clientTls });

    /** Until every Sentinel names `masterPort`, knows the replicas and the other Sentinels, and every replica is linked. */
    async function settledOn(masterPort: number, timeoutMs = 60_000): Promise<void> {
        const replicaPorts = cluster.nodePorts.filter((p) => p !== masterPort);
        await waitFor(
            `the TLS cluster settled on ${masterPort}`,
            async () => {
                const views = await Promise.all(cluster.sentinelPorts.map(sentinelMaster));
                const agreed = views.every(
                    (v) =>
                        v.port === String(masterPort) &&
                        v.flags === "master" &&
                        v["num-slaves"] === String(replicaPorts.length) &&
                        v["num-other-sentinels"] === String(cluster.sentinelPorts.length - 1),
                );
                const linked = (await Promise.all(replicaPorts.map((p) => info(p, "replication")))).every(
                    (r) => r.master_link_status === "up" && r.master_port === String(masterPort),
                );
                return agreed && linked ? true : undefined;
            },
            timeoutMs,
            250,
        );
    }

    /** Sends SENTINEL FAILOVER until a Sentinel accepts it (-NOGOODSLAVE while a replica's state is fresh). */
    const sendFailover = (sentinelPort: number): Promise<number> =>
        waitFor(
            "a Sentinel accepting SENTINEL FAILOVER",
            async () => ((await tools(sentinelPort).call("SENTINEL", "FAILOVER", MASTER_NAME)) === "OK" ? Date.now() : undefined),
            30_000,
            500,
        );

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster = new TlsHostCluster({ basePort: BASE, authClients: "yes", replicas: 1, sentinels: 3 });
        await cluster.start();
        try {
            await settledOn(cluster.nodePorts[0]);
        } catch (err) {
            throw new Error(
                `${(err as Error).message}\nredis-1 log:\n${cluster.log(cluster.nodePorts[1])}\nsentinel-0 log:\n${cluster.log(cluster.sentinelPorts[0])}`,
                { cause: err },
            );
        }
    });

    after(async () => {
        await cluster?.stop();
    });

    it("runs every server TLS-only as rendered: port 0, tls-port, tls-replication yes", async () => {
        for (const port of cluster.nodePorts) {
            const config = parsePairs(await tools(port).config("GET", "*port*"));
            expect(config.port, cluster.name(port)).to.equal("0");
            expect(config["tls-port"], cluster.name(port)).to.equal(String(port));
            expect(parsePairs(await tools(port).config("GET", "tls-replication"))["tls-replication"]).to.equal("yes");
        }
        // A Sentinel rewrites its config file at start; the rendered TLS lines are still there.
        for (const port of cluster.sentinelPorts) {
            const conf = readFileSync(`${cluster.dir}/${cluster.name(port)}/sentinel.conf`, "utf8");
            for (const line of ["port 0", `tls-port ${port}`, "tls-replication yes", "tls-auth-clients yes"]) {
                expect(conf, cluster.name(port)).to.include(line);
            }
        }
    });

    it("replicates over TLS: a write on the master is on the replica, whose link is up", async () => {
        const [master, replica] = cluster.nodePorts;
        await tools(master).set("tls:replicated", "yes");
        expect(
            await waitFor("the write on the replica", async () => (await tools(replica).get("tls:replicated")) ?? undefined, 10_000, 100),
        ).to.equal("yes");
        const r = await info(replica, "replication");
        expect([r.role, r.master_host, r.master_port, r.master_link_status]).to.deep.equal(["slave", "127.0.0.1", String(master), "up"]);
        const m = await info(master, "replication");
        expect(m.connected_slaves).to.equal("1");
        expect(m.slave0).to.include(`port=${replica},state=online`);
    });

    it("has the Sentinels find each other and the replica over TLS, each announcing its TLS port", async () => {
        for (const port of cluster.sentinelPorts) {
            const peers = ((await tools(port).call("SENTINEL", "SENTINELS", MASTER_NAME)) as unknown[]).map(parsePairs);
            expect(peers.map((p) => Number(p.port)).sort(), cluster.name(port)).to.deep.equal(
                cluster.sentinelPorts.filter((p) => p !== port),
            );
            for (const p of peers) expect(p.flags, `${cluster.name(port)} sees ${p.port}`).to.equal("sentinel");
            // Each Sentinel reads a replica's link from its INFO, every 10 s at most: wait for a fresh one.
            const replicas = await waitFor(
                `${cluster.name(port)} seeing the replica's link up`,
                async () => {
                    const r = ((await tools(port).call("SENTINEL", "REPLICAS", MASTER_NAME)) as unknown[]).map(parsePairs);
                    return r.every((x) => x["master-link-status"] === "ok") ? r : undefined;
                },
                15_000,
                250,
            );
            expect(replicas.map((r) => [r.port, r.flags])).to.deep.equal([[String(cluster.nodePorts[1]), "slave"]]);
            expect(String(await tools(port).call("SENTINEL", "CKQUORUM", MASTER_NAME))).to.match(/^OK 3 usable Sentinels/);
        }
    });

    it("refuses a plaintext connection on every server", async () => {
        for (const port of allPorts()) {
            const reply = await outcome(cluster.client(port, false).ping());
            expect(reply, cluster.name(port)).to.not.equal("ok");
            console.log(`      plaintext PING to ${cluster.name(port)}: ${reply}`);
        }
    });

    it("refuses a client without a certificate under authClients yes, and one whose certificate another CA signed", async () => {
        for (const port of allPorts()) {
            const reply = await outcome(cluster.client(port, { ca: cluster.clientTls.ca }).ping());
            expect(reply, cluster.name(port)).to.not.equal("ok");
            expect(await tools(port).ping(), cluster.name(port)).to.equal("PONG");
        }
        const stranger = await TestCa.create(`${cluster.dir}/stranger`, "stranger CA");
        const strangerClient = await stranger.client(`${cluster.dir}/stranger`, "app");
        for (const port of allPorts()) {
            const reply = await outcome(cluster.client(port, { ...strangerClient, ca: cluster.clientTls.ca }).ping());
            expect(reply, cluster.name(port)).to.not.equal("ok");
        }
    });

    it("writes through SENTINEL FAILOVER with an ioredis Sentinel-mode client on the TLS options: 0 WAIT-confirmed writes lost", async () => {
        const [oldMaster, replica] = cluster.nodePorts;
        const client = cluster.sentinelClient();
        const confirmed: string[] = [];
        let unconfirmed = 0;
        let errors = 0;
        let running = true;
        let next = 0;
        let lastOk = Date.now();
        let longestGapMs = 0;
        const loop = (async () => {
            while (running) {
                const keys = Array.from({ length: 20 }, () => `tls:w:${next++}`);
                try {
                    const pipeline = client.pipeline();
                    for (const k of keys) pipeline.set(k, "v", "EX", 600);
                    pipeline.call("WAIT", "1", "500");
                    const replies = (await pipeline.exec()) ?? [];
                    const failed = replies.find(([err]) => err);
                    if (failed) throw failed[0] as Error;
                    const acked = Number(replies[replies.length - 1][1]);
                    if (acked >= 1) confirmed.push(...keys);
                    else unconfirmed += keys.length;
                    longestGapMs = Math.max(longestGapMs, Date.now() - lastOk);
                    lastOk = Date.now();
                } catch {
                    errors++;
                    await new Promise((r) => setTimeout(r, 50));
                }
                await new Promise((r) => setTimeout(r, 5));
            }
        })();
        await waitFor("confirmed writes before the failover", async () => (confirmed.length >= 200 ? true : undefined), 20_000, 100);
        const before = confirmed.length;
        const sent = await sendFailover(cluster.sentinelPorts[0]);
        await waitFor(
            `every Sentinel naming ${replica}`,
            async () =>
                (await Promise.all(cluster.sentinelPorts.map(sentinelMaster))).every((v) => v.port === String(replica)) ? true : undefined,
            30_000,
            100,
        );
        const switchedMs = Date.now() - sent;
        await settledOn(replica);
        const settledMs = Date.now() - sent;
        const afterSwitch = confirmed.length;
        await waitFor(
            "confirmed writes on the new master",
            async () => (confirmed.length >= afterSwitch + 200 ? true : undefined),
            20_000,
            100,
        );
        running = false;
        await loop;
        const newMaster = tools(replica);
        expect((await info(replica, "replication")).role).to.equal("master");
        let lost = 0;
        for (let i = 0; i < confirmed.length; i += 500) {
            const values = await newMaster.mget(...confirmed.slice(i, i + 500));
            lost += values.filter((v) => v === null).length;
        }
        console.log(
            `      TLS failover: every Sentinel named the new master ${switchedMs} ms and the old master was linked to it ${settledMs} ms after SENTINEL FAILOVER; writes confirmed ${confirmed.length} (${before} before), unconfirmed ${unconfirmed}, failed batches ${errors}, lost confirmed ${lost}, longest gap ${longestGapMs} ms`,
        );
        expect(lost).to.equal(0);
        expect(confirmed.length).to.be.greaterThan(afterSwitch);
        // The old master rejoined as a replica, over TLS.
        expect((await info(oldMaster, "replication")).master_link_status).to.equal("up");
    });

    it("renews a node's certificate without a restart: CONFIG SET reloads it and the replication link stays up", async () => {
        // After the failover, redis-1 is the master and redis-0 its replica.
        const master = cluster.nodePorts[1];
        const replica = cluster.nodePorts[0];
        const oldSerial = (await peerCertificate(master)).serialNumber;
        expect(oldSerial).to.equal(cluster.serial(master));
        const linkBefore = replicaConnectionId(String(await tools(master).call("CLIENT", "LIST", "TYPE", "replica")));
        const fullSyncsBefore = (await info(master, "stats")).sync_full;
        const uptimeBefore = Number((await info(master, "server")).uptime_in_seconds);

        const newSerial = await cluster.renewLeaf(master, 3);
        expect(newSerial).to.not.equal(oldSerial);
        // New files alone change nothing: the server holds the certificate it loaded.
        expect((await peerCertificate(master)).serialNumber).to.equal(oldSerial);
        expect(await tools(master).config("SET", ...tlsReloadArgs(cluster.files(master)))).to.equal("OK");
        expect((await peerCertificate(master)).serialNumber).to.equal(newSerial);

        const linkAfter = replicaConnectionId(String(await tools(master).call("CLIENT", "LIST", "TYPE", "replica")));
        expect(linkBefore).to.match(/^\d+$/);
        expect(linkAfter, "the replica's connection is the same one").to.equal(linkBefore);
        expect((await info(master, "stats")).sync_full, "no new full sync").to.equal(fullSyncsBefore);
        expect(Number((await info(master, "server")).uptime_in_seconds)).to.be.at.least(uptimeBefore);
        expect((await info(replica, "replication")).master_link_status).to.equal("up");
        await tools(master).set("tls:after-renewal", "yes");
        expect(
            await waitFor(
                "the write after renewal on the replica",
                async () => (await tools(replica).get("tls:after-renewal")) ?? undefined,
                10_000,
                100,
            ),
        ).to.equal("yes");
        // A new link (the replica reconnecting) handshakes with the new certificate.
        await tools(replica).call("CLIENT", "KILL", "TYPE", "master");
        await settledOn(master);
        console.log(
            `      node renewal: serial ${oldSerial} -> ${newSerial} by CONFIG SET, replica connection id ${linkBefore} kept, sync_full ${fullSyncsBefore}`,
        );
    });

    it("checks expiry against tls.renewalWindowHours: passes on every server's 2-day leaf, fails on a 1-day leaf", async () => {
        const window = 36;
        for (const port of allPorts()) {
            const result = certificateExpiryCheck(await peerCertificate(port), window, new Date());
            expect(result.ok, result.actual).to.equal(true);
        }
        const replica = cluster.nodePorts[0];
        await cluster.renewLeaf(replica, 1);
        await tools(replica).config("SET", ...tlsReloadArgs(cluster.files(replica)));
        const observed = await peerCertificate(replica);
        const result = certificateExpiryCheck(observed, window, new Date());
        console.log(`      expiry check: ${result.name}: ${result.actual}`);
        expect(result.ok).to.equal(false);
        expect(result.actual)
            .to.include("redis-0")
            .and.include("tls.renewalWindowHours (36 h)")
            .and.include(observed.validTo.toISOString());
    });

    it("reads a server's certificate only when it chains to the CA, and fails with a kind otherwise", async () => {
        const port = cluster.nodePorts[0];
        // TLS 1.3: the client's handshake completes before the server checks the client's
        // certificate, so the reader sees the server's certificate with the CA alone (the server
        // then drops the connection). The verifier can read expiry without a client certificate.
        const anonymous = await peerCertificate(port);
        const withoutCert = await readPeerCertificate({ server: "redis-0", host: "127.0.0.1", port, ca: cluster.clientTls.ca });
        expect(withoutCert.serialNumber).to.equal(anonymous.serialNumber);

        const stranger = await TestCa.create(`${cluster.dir}/stranger-reader`, "stranger CA");
        const kindOf = (p: Promise<unknown>) =>
            p.then(
                () => "read",
                (e: unknown) => (e instanceof PeerCertificateError ? `${e.kind}: ${e.message}` : String(e)),
            );
        const untrusted = await kindOf(readPeerCertificate({ server: "redis-0", host: "127.0.0.1", port, ca: stranger.pem }));
        expect(untrusted).to.match(/^handshake: redis-0: /);
        // Nothing listening.
        const refused = await kindOf(readPeerCertificate({ server: "nobody", host: "127.0.0.1", port: BASE + 19, ca: stranger.pem }));
        expect(refused).to.match(/^handshake: nobody: .*ECONNREFUSED/);
        // A listener that never answers: the deadline ends the wait.
        const sockets: Socket[] = [];
        const silent = createServer((s) => sockets.push(s));
        await new Promise<void>((r) => silent.listen(BASE + 18, "127.0.0.1", r));
        try {
            const timedOut = await kindOf(
                readPeerCertificate({ server: "silent", host: "127.0.0.1", port: BASE + 18, ca: stranger.pem }, 500),
            );
            expect(timedOut).to.match(/^timeout: silent: no TLS handshake .* within 500 ms/);
            console.log(`      certificate reader: ${untrusted} | ${refused} | ${timedOut}`);
        } finally {
            for (const s of sockets) s.destroy();
            silent.close();
        }
    });

    it("renews a Sentinel only by a restart: neither CONFIG SET nor SENTINEL CONFIG SET takes tls-cert-file on 7.0", async () => {
        const port = cluster.sentinelPorts[2];
        const files = cluster.files(port);
        const oldSerial = (await peerCertificate(port)).serialNumber;
        const newSerial = await cluster.renewLeaf(port);
        const configSet = await outcome(tools(port).call("CONFIG", "SET", ...tlsReloadArgs(files)));
        const sentinelConfigSet = await outcome(tools(port).call("SENTINEL", "CONFIG", "SET", "tls-cert-file", files.cert));
        console.log(`      Sentinel CONFIG SET tls-cert-file: ${configSet}`);
        console.log(`      Sentinel SENTINEL CONFIG SET tls-cert-file: ${sentinelConfigSet}`);
        const served = (await peerCertificate(port)).serialNumber;
        console.log(
            `      Sentinel serial after both: ${served === oldSerial ? "the old one" : served === newSerial ? "the new one" : served}`,
        );
        expect(sentinelConfigSet).to.not.equal("ok");

        // A restart on its own (rewritten) config file picks up the new leaf; the other two keep the quorum meanwhile.
        const started = Date.now();
        await cluster.restart(port);
        const serial = await waitFor(
            "the restarted Sentinel's handshake",
            async () => (await peerCertificate(port).catch(() => undefined))?.serialNumber,
            20_000,
            100,
        );
        expect(serial).to.equal(newSerial);
        // Its peers hear its hello again over TLS, and it sees the replica and a quorum.
        for (const peer of cluster.sentinelPorts.filter((p) => p !== port)) {
            await waitFor(
                `${cluster.name(peer)} hearing the restarted ${cluster.name(port)}`,
                async () => {
                    const peers = ((await tools(peer).call("SENTINEL", "SENTINELS", MASTER_NAME)) as unknown[]).map(parsePairs);
                    const it = peers.find((p) => p.port === String(port));
                    return it && it.flags === "sentinel" && Number(it["last-hello-message"]) < Date.now() - started ? true : undefined;
                },
                15_000,
                200,
            );
        }
        await settledOn(cluster.nodePorts[1]);
        expect(String(await tools(port).call("SENTINEL", "CKQUORUM", MASTER_NAME))).to.match(/^OK 3 usable Sentinels/);
        console.log(
            `      Sentinel renewal by restart: serial ${oldSerial} -> ${serial}, heard by its peers and settled ${Date.now() - started} ms after the stop`,
        );
    });
});

describe("host: TLS with authClients optional", function () {
    this.timeout(120_000);
    let cluster: TlsHostCluster;

    before(async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster = new TlsHostCluster({ basePort: OPTIONAL_BASE, authClients: "optional", replicas: 0, sentinels: 1 });
        await cluster.start();
        const sentinel = cluster.sentinelPorts[0];
        await waitFor(
            "the Sentinel monitoring the master over TLS",
            async () =>
                parsePairs(await cluster.client(sentinel).call("SENTINEL", "MASTER", MASTER_NAME)).flags === "master" ? true : undefined,
            30_000,
            250,
        );
    });

    after(async () => {
        await cluster?.stop();
    });

    it("accepts a client without a certificate on the node and the Sentinel, still over TLS only", async () => {
        for (const port of [...cluster.nodePorts, ...cluster.sentinelPorts]) {
            const anonymous: Redis = cluster.client(port, { ca: cluster.clientTls.ca });
            expect(await anonymous.ping(), cluster.name(port)).to.equal("PONG");
            expect(await outcome(cluster.client(port, false).ping()), cluster.name(port)).to.not.equal("ok");
        }
    });
});
