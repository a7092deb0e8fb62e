// A test stack created with cluster.users.enabled (issue 17): deployed once through the replay
// deployer, it must verify, keep every WAIT-confirmed write of an app-user writer through a
// master kill, refuse the app what it must not run and a connection without a user, and leave
// ACL LOG empty on every server: nothing of the stack's own (scripts, settings steps, warmer,
// verifier, Sentinels, replication) was refused anything.
import { expect } from "chai";
import Redis from "ioredis";
import { connect } from "node:net";
import { CACHE_KEY_KINDS, cacheKeyGlob } from "../../settings/cache-keys";
import { verifyUntilSettled } from "../../ops/verify/verifier";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 16420-16422, Sentinels 17420-17422, no other suite's.
const OVERRIDES = {
    cluster: {
        users: { enabled: true, appWrites: true },
        publish: { redisBasePort: 16420, sentinelBasePort: 17420 },
    },
};

describe("live: a stack created with cluster.users.enabled", function () {
    this.timeout(600_000);
    const cluster = useLiveCluster(this, { overrides: OVERRIDES, logsOnFailure: true });
    /** The app's keys: the writer's must match its key patterns. */
    const appKey = cacheKeyGlob(CACHE_KEY_KINDS[0]).replace("*", `users-live:${Date.now().toString(36)}`);

    const appClient = (name: string): Redis => {
        const client = new Redis({
            host: "127.0.0.1",
            port: cluster.outputs.publishedPorts[name],
            username: cluster.outputs.appUser,
            password: cluster.outputs.appPassword,
            maxRetriesPerRequest: 0,
            commandTimeout: 3000,
            lazyConnect: true,
        });
        client.on("error", () => undefined);
        return client;
    };

    it("deploys with the users: outputs for the app and discovery, the post-deploy verifier passed", () => {
        expect(cluster.outputs.appUser).to.equal("app");
        expect(cluster.outputs.discoveryUser).to.equal("discovery");
        expect(cluster.outputs.appPassword).to.match(/^[A-Za-z0-9]{32}$/);
        expect(cluster.outputs.redisPassword).to.equal(undefined);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        expect(cluster.outputs.ioredisExample).to.include('username: "app"');
    });

    it("keeps every WAIT-confirmed write of an app writer through a master kill", async () => {
        const master = await cluster.settled();
        const writer = new ConfirmedWriter(cluster.outputs, cluster.outputs.appPassword ?? "", appKey).start();
        // Enough confirmed batches that the kill lands in a steady stream, not on the first write.
        await waitFor("20 confirmed batches before the kill", async () => (writer.confirmedSince(0) >= 20 ? true : undefined));
        await cluster.container(master).kill({ signal: "SIGKILL" });
        await cluster.faultShows(master, "stopped");
        const moved = await cluster.masterMovedFrom(master);
        // Confirmed after the Sentinels moved the master: only the new master can have confirmed them.
        const movedAt = Date.now();
        await waitFor(
            "writes confirmed again after the master moved",
            async () => (writer.confirmedSince(movedAt) > 0 ? true : undefined),
            90_000,
        );
        const report = await writer.stop();
        console.log(`      users: master killed: ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        await cluster.container(master).start();
        expect(await cluster.settled(90_000)).to.equal(moved);
        // The writer's keys are in the cache's key space without a TTL (the app writes plain SETs);
        // the verifier would take them for badly warmed keys. The tools' user removes them.
        const admin = cluster.direct(moved);
        for (let cursor = "0", first = true; first || cursor !== "0"; first = false) {
            const [next, keys] = await admin.scan(cursor, "MATCH", `${appKey}:*`, "COUNT", 1000);
            if (keys.length) await admin.unlink(...keys);
            cursor = next;
        }
        const verification = await verifyUntilSettled(cluster.plan(), cluster.credentials, {}, 60);
        expect(verification.ok, `verification failed: ${verification.failed.join(", ")}`).to.equal(true);
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
                const socket = connect(cluster.outputs.publishedPorts[name], "127.0.0.1", () => socket.write("PING\r\n"));
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

    it("leaves ACL LOG empty on every server but for the refusals this suite asked for", async () => {
        const master = await cluster.settled();
        for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
            const entries = (await cluster.direct(name).call("ACL", "LOG")) as unknown[][];
            // Each entry is a flat key/value list; keep the fields that say who was refused what.
            const described = entries.map((e) => {
                const fields = Object.fromEntries(Array.from({ length: e.length / 2 }, (_, i) => [String(e[2 * i]), e[2 * i + 1]]));
                return `${String(fields.username)} ${String(fields.reason)} ${String(fields.object)}`;
            });
            // The app's refusals above, on the master only; the anonymous PINGs are not logged (NOAUTH). Anything else,
            // e.g. `default command set` from a node replaying its AOF, is a refusal of the stack's own.
            const expected = name === master ? described.filter((d) => d.startsWith("app ")) : [];
            expect(described, `ACL LOG of ${name}`).to.deep.equal(expected);
            if (name === master) expect(expected.length, "the app's refusals are logged").to.be.greaterThan(0);
        }
    });
});
