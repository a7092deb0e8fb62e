// Moving a running plain-password stack onto the ACL users (ops/users/), under a WAIT-confirmed
// writer, with no server restarted by the migration: the four steps, a SENTINEL FAILOVER on the
// new links, a rotation of the replication user's password, then a restart of one node and one
// Sentinel that must come back on the users from their rewritten config files.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import Redis from "ioredis";
import { ACL_USER_NAMES, AclUserName, NODE_ROLES, SENTINEL_ROLES } from "../../render/acl-users";
import { Credentials } from "../../ops/redis/connect";
import { plannedFailover } from "../../ops/cluster/planned-failover";
import { waitForSettledCluster } from "../../ops/cluster/settle";
import { executeUsersPlan, UsersRun } from "../../ops/users/execute";
import { LoginOrder, LoginSecrets } from "../../ops/users/login";
import { MigrationStep, migrationStep, rotationPhase } from "../../ops/users/plan";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { useHostCluster } from "../support/use-host-cluster";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 23100-23102, Sentinels 23120-23122.
const BASE = 23100;
const STEP_ORDER: Record<MigrationStep, LoginOrder> = { 1: "default-first", 2: "admin-first", 3: "admin-first", 4: "admin-only" };

const fields = (flat: unknown[]): Record<string, string> =>
    Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [String(flat[2 * i]), String(flat[2 * i + 1])]));

describe("moving a running stack onto the ACL users (host processes)", function () {
    const cluster = useHostCluster(this, { basePort: BASE, replicas: 2 });
    const passwords = Object.fromEntries(ACL_USER_NAMES.map((u) => [u, randomBytes(16).toString("hex")])) as Record<AclUserName, string>;
    const admin = (): Credentials => ({
        redisUser: "admin",
        redisPassword: passwords.admin,
        sentinelUser: "admin",
        sentinelPassword: passwords.admin,
    });
    let secrets: LoginSecrets;
    let writerA: ConfirmedWriter;
    let writerB: ConfirmedWriter;
    const opened: Redis[] = [];

    const run = (loginOrder: LoginOrder): UsersRun => ({
        targets: cluster.plan().servers.map((s) => ({ name: s.name, kind: s.kind, endpoint: { host: s.host, port: s.port } })),
        masterName: cluster.plan().masterName,
        secrets,
        loginOrder,
        deadlineSeconds: 30,
    });
    const servers = () => cluster.plan().servers.map((s) => ({ name: s.name, kind: s.kind }));
    const step = (n: MigrationStep) => executeUsersPlan(run(STEP_ORDER[n]), migrationStep(n, servers(), { appWrites: true }));

    /** A direct connection as `user` (`undefined`: the old `default` password of that kind). */
    const connect = (port: number, user: "admin" | undefined, password?: string): Redis => {
        const sentinel = cluster.sentinelPorts.includes(port);
        const c = new Redis({
            host: "127.0.0.1",
            port,
            username: user,
            password:
                password ?? (user ? passwords[user] : sentinel ? cluster.credentials.sentinelPassword : cluster.credentials.redisPassword),
            maxRetriesPerRequest: 0,
            commandTimeout: 5000,
            retryStrategy: () => null,
            enableReadyCheck: false,
            protocol: 2,
            lazyConnect: true,
        });
        c.on("error", () => undefined);
        opened.push(c);
        return c;
    };
    /** What AUTH with the old `default` password gets now: "OK", or the refusal's code. */
    const defaultReply = async (port: number): Promise<string> => {
        const c = connect(port, undefined);
        const old = cluster.sentinelPorts.includes(port) ? cluster.credentials.sentinelPassword : cluster.credentials.redisPassword;
        c.options.password = undefined;
        return c.call("AUTH", old).then(String, (err: Error) => err.message.split(" ")[0]);
    };
    const allPorts = () => [...cluster.nodePorts, ...cluster.sentinelPorts];
    const aclLogs = async () =>
        Object.fromEntries(
            await Promise.all(
                allPorts().map(async (port) => {
                    const entries = (await connect(port, "admin").call("ACL", "LOG")) as unknown[][];
                    return [
                        port,
                        entries.map((e) => {
                            const f = fields(e);
                            return `${f.username} ${f.reason} ${f.object}`;
                        }),
                    ] as const;
                }),
            ),
        );
    const noAclLog = () => Object.fromEntries(allPorts().map((p) => [p, []]));

    before(function () {
        secrets = { passwords, defaults: { redis: cluster.credentials.redisPassword, sentinel: cluster.credentials.sentinelPassword } };
        const outputs = {
            sentinelEndpoints: cluster.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
            masterName: cluster.plan().masterName,
            natMap: {},
        };
        writerA = new ConfirmedWriter(
            { ...outputs, sentinelPassword: cluster.credentials.sentinelPassword },
            cluster.credentials.redisPassword,
            "screenshots:mig-a",
        ).start();
    });
    after(() => opened.forEach((c) => c.disconnect()));

    it("step 1 creates every user on every server, persisted; a rerun changes nothing", async () => {
        const first = await step(1);
        expect(first.filter((r) => r.changed)).to.have.length(3 * Object.keys(NODE_ROLES).length + 3 * Object.keys(SENTINEL_ROLES).length);
        const again = await step(1);
        expect(again.filter((r) => r.changed)).to.deep.equal([]);
        for (const port of allPorts()) expect(await connect(port, "admin").call("PING")).to.equal("PONG");
    });

    it("step 4 before step 2 is refused (out-of-order); step 2 points replication and the Sentinels at their users; the nodes' half of a rerun changes nothing", async () => {
        // Default off before replication moved would cut the replicas off: refused, nothing changed.
        const early = await step(4).then(
            () => undefined,
            (err: { kind?: string; server?: string }) => err,
        );
        expect(early).to.include({ kind: "out-of-order", server: "redis-0" });
        expect(await defaultReply(cluster.nodePorts[0])).to.equal("OK");
        await step(2);
        const again = await step(2);
        expect(again.filter((r) => r.changed && r.action.includes("replication-login"))).to.deep.equal([]);
        for (const port of cluster.nodePorts) {
            const c = connect(port, "admin");
            expect(fields((await c.call("CONFIG", "GET", "masteruser")) as unknown[]).masteruser).to.equal("replication");
        }
        // Every replica links again as `replication` once its link drops.
        for (const port of cluster.nodePorts.slice(1)) await connect(port, "admin").call("CLIENT", "KILL", "TYPE", "master");
        await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 30_000 });
    });

    it("step 3: the app moves to its user while the old writer still runs; the old one lost no confirmed write", async () => {
        // The app after step 3 (not before: ioredis connects when made, and discovery does not exist yet): app on the nodes (read-write for this writer), discovery on the Sentinels.
        const app = {
            sentinelEndpoints: cluster.sentinelPorts.map((port) => ({ host: "127.0.0.1", port })),
            masterName: cluster.plan().masterName,
            natMap: {},
            sentinelPassword: "",
            appUser: "app",
            discoveryUser: "discovery",
            discoveryPassword: passwords.discovery,
        };
        writerB = new ConfirmedWriter(app, passwords.app, "screenshots:mig-b");
        writerB.start();
        await waitFor("the app writer's first confirmed batch", async () => (writerB.confirmedSince(0) > 0 ? true : undefined), 30_000);
        expect(await step(3)).to.deep.equal([]);
        const report = await writerA.stop();
        console.log(`      writer on default: ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed).to.equal(0);
    });

    it("step 4 turns default off everywhere with ACL LOG empty; default is refused after it; a rerun changes nothing", async () => {
        await step(4);
        expect((await step(4)).filter((r) => r.changed)).to.deep.equal([]);
        expect(await aclLogs()).to.deep.equal(noAclLog());
        for (const port of allPorts()) {
            const reply = await defaultReply(port);
            expect(reply, `port ${port}`).to.equal("WRONGPASS");
        }
        for (const port of allPorts()) await connect(port, "admin").call("ACL", "LOG", "RESET");
    });

    it("a SENTINEL FAILOVER after step 4 runs on the sentinel and replication users", async () => {
        const from = await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 30_000 });
        const { to } = await plannedFailover(cluster.plan(), admin(), { method: "handover", timeoutMs: 60_000 });
        expect(to.port).to.not.equal(from.port);
        await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 60_000 });
    });

    it("rotates the replication user's password under the writer: both accepted, links moved, old retired", async () => {
        const old = passwords.replication;
        const fresh = randomBytes(16).toString("hex");
        secrets = { ...secrets, passwords: { ...passwords, replication: fresh }, previous: { replication: old } };
        await executeUsersPlan(run("admin-only"), rotationPhase("replication", "add", servers()));
        for (const port of cluster.nodePorts) {
            const masterauth = fields((await connect(port, "admin").call("CONFIG", "GET", "masterauth")) as unknown[]).masterauth;
            expect(masterauth === fresh, `port ${port} presents the new password`).to.equal(true);
        }
        await executeUsersPlan(run("admin-only"), rotationPhase("replication", "retire", servers()));
        expect(
            (await executeUsersPlan(run("admin-only"), rotationPhase("replication", "retire", servers()))).filter((r) => r.changed),
        ).to.deep.equal([]);
        passwords.replication = fresh;
        // The old one is gone: a replica whose link drops links again with the new one only.
        const master = await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 30_000 });
        for (const port of cluster.nodePorts.filter((p) => p !== master.port))
            await connect(port, "admin").call("CLIENT", "KILL", "TYPE", "master");
        await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 30_000 });
    });

    it("every server's config file holds the users; a restarted node and Sentinel come back on them", async () => {
        for (const s of cluster.plan().servers) {
            const file = readFileSync(path.join(cluster.dir, s.name, s.kind === "redis" ? "redis.conf" : "sentinel.conf"), "utf8");
            const roles = s.kind === "redis" ? NODE_ROLES : SENTINEL_ROLES;
            for (const user of Object.keys(roles))
                expect(file, `${s.name} ${user}`).to.match(new RegExp(`^user ${user} on .*#[0-9a-f]{64}`, "m"));
            expect(file, s.name).to.match(/^user default off /m);
            if (s.kind === "redis") expect(file, `${s.name} keeps no stale requirepass`).to.not.match(/^requirepass /m);
            if (s.kind === "redis") expect(file).to.match(/^masteruser "?replication"?$/m);
            else
                expect(file)
                    .to.match(/^sentinel auth-user \S+ "?sentinel"?$/m)
                    .and.match(/^sentinel sentinel-user "?sentinel-peer"?$/m);
        }
        const master = await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 30_000 });
        const replicaIndex = cluster.nodePorts.findIndex((p) => p !== master.port);
        await cluster.kill(`redis-${replicaIndex}`);
        await cluster.kill("sentinel-1");
        cluster.restart(`redis-${replicaIndex}`);
        cluster.restart("sentinel-1");
        await waitFor("the restarted replica linked again", async () => {
            const info = String(await connect(cluster.nodePorts[replicaIndex], "admin").call("INFO", "replication"));
            return info.includes("master_link_status:up") ? true : undefined;
        });
        await waitForSettledCluster(cluster.plan(), admin(), { timeoutMs: 60_000 });
        for (const port of [cluster.nodePorts[replicaIndex], cluster.sentinelPorts[1]]) {
            const reply = await defaultReply(port);
            expect(reply, `port ${port} refuses default after its restart`).to.equal("WRONGPASS");
            await connect(port, "admin").call("ACL", "LOG", "RESET");
        }
    });

    it("the app's writer lost no confirmed write, and ACL LOG is empty on every server", async () => {
        const report = await writerB.stop();
        console.log(`      writer on app: ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed).to.equal(0);
        expect(await aclLogs()).to.deep.equal(noAclLog());
    });

    it("a frozen Sentinel stops a step with kind deadline, or unreachable once its commands time out; thawed, the rerun changes nothing", async () => {
        cluster.freeze("sentinel-2", true);
        try {
            const quick = { ...run("admin-only"), deadlineSeconds: 1 };
            const stopped = await executeUsersPlan(quick, migrationStep(4, servers())).then(
                () => undefined,
                (err: { kind?: string }) => err,
            );
            expect(stopped).to.have.property("kind", "deadline");
            const slow = await executeUsersPlan(run("admin-only"), migrationStep(4, servers())).then(
                () => undefined,
                (err: { kind?: string; server?: string }) => err,
            );
            expect(slow).to.include({ kind: "unreachable", server: "sentinel-2" });
        } finally {
            cluster.freeze("sentinel-2", false);
        }
        expect((await step(4)).filter((r) => r.changed)).to.deep.equal([]);
    });
});
