// Moving a DEPLOYED Docker stack onto the ACL users under writes, with no server container
// replaced (issue 17; docs/security.md, "Moving an existing stack onto users"): a stack deployed
// without users gets its users' passwords (`migration: prepare`), steps 1, 1b (the users scripts
// into the running containers) and 2 run under a WAIT-confirmed writer on `default`, the flip
// deploy (`enabled`, `migrated`) must replace no container, the app then writes on its own user
// through step 4 and a rotation of `replication`, and a replica restarted from its container's
// new scripts must turn healthy. At the end `default` is refused everywhere, nothing of the
// stack's own was refused anything (ACL LOG empty), no confirmed write was lost and the deploy's
// verifier passes.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import Redis from "ioredis";
import * as path from "node:path";
import { pipeline } from "node:stream/promises";
import { extract } from "tar-stream";
import { mergeConfig, StackConfigObject } from "../../settings/stack-file";
import { validateStackConfig } from "../../settings/validate";
import { CACHE_KEY_KINDS, cacheKeyGlob } from "../../settings/cache-keys";
import { USER_PASSWORDS_ENV } from "../../contracts/env";
import { parseUserPasswords } from "../../contracts/user-passwords-env";
import { ACL_USER_NAMES, AclUserName } from "../../render/acl-users";
import { CONTAINER_PATHS } from "../../render/paths";
import { DockerEngines } from "../../ops/docker/engines";
import { installUsersScripts } from "../../ops/users/container-scripts";
import { executeUsersPlan, UsersRun } from "../../ops/users/execute";
import { LoginOrder, LoginSecrets } from "../../ops/users/login";
import { MigrationStep, migrationStep, rotationPhase } from "../../ops/users/plan";
import { ChangeSummary } from "../support/deployer";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { TEST_STACK, testStackConfig } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

// Ports (DEVELOPMENT.md): nodes 16440-16442, Sentinels 17440-17442; metrics off (the test stack's default).
const BASE: StackConfigObject = { cluster: { publish: { redisBasePort: 16440, sentinelBasePort: 17440 } } };
const PREPARE = mergeConfig(BASE, { cluster: { users: { migration: "prepare" } } });
const FLIP = mergeConfig(BASE, { cluster: { users: { enabled: true, appWrites: true, migrated: true } } });

const CONTAINER = "docker:index/container:Container::";
const POST_DEPLOY = "command:local:Command::warm-and-verify";
const STEP_ORDER: Record<MigrationStep, LoginOrder> = { 1: "default-first", 2: "admin-first", 3: "admin-first", 4: "admin-only" };

const replacedContainers = (changes: ChangeSummary): string[] => changes.replaced.filter((k) => k.startsWith(CONTAINER));
const fields = (flat: unknown[]): Record<string, string> =>
    Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [String(flat[2 * i]), String(flat[2 * i + 1])]));

describe("live: moving a deployed stack onto the ACL users under writes, no container replaced", function () {
    this.timeout(900_000);
    let writerA: ConfirmedWriter | undefined;
    let writerB: ConfirmedWriter | undefined;
    const opened: Redis[] = [];
    // Before the fixture's teardown (hooks run in the order registered): a writer left running
    // after a failure would otherwise retry against a destroyed stack and keep mocha alive.
    after(async () => {
        await writerA?.stop().catch(() => undefined);
        await writerB?.stop().catch(() => undefined);
        opened.forEach((c) => c.disconnect());
    });
    const cluster = useLiveCluster(this, { overrides: BASE, logsOnFailure: true });
    const servers = () => [...cluster.nodeNames, ...cluster.sentinelNames];
    let defaults: { redis: string; sentinel: string };
    let passwords: Record<AclUserName, string>;
    let secrets: LoginSecrets;
    let idsAtStart: Record<string, string>;
    /** The app's keys: the writer on `app` may write only the cache keys' patterns. */
    const appKey = cacheKeyGlob(CACHE_KEY_KINDS[0]).replace("*", `mig-live:${Date.now().toString(36)}`);

    const run = (loginOrder: LoginOrder): UsersRun => ({
        targets: cluster.plan().servers.map((s) => ({ name: s.name, kind: s.kind, endpoint: { host: s.host, port: s.port } })),
        masterName: cluster.plan().masterName,
        secrets,
        loginOrder,
        deadlineSeconds: 60,
    });
    const usersServers = () => cluster.plan().servers.map((s) => ({ name: s.name, kind: s.kind }));
    const step = (n: MigrationStep) => executeUsersPlan(run(STEP_ORDER[n]), migrationStep(n, usersServers(), { appWrites: true }));

    /** Each server's container id and start time: a replaced or restarted container changes one. */
    const containerStates = async (): Promise<Record<string, string>> =>
        Object.fromEntries(
            await Promise.all(
                servers().map(async (n) => {
                    const info = await cluster.container(n).inspect();
                    return [n, `${info.Id} ${info.State.StartedAt}`] as const;
                }),
            ),
        );
    const healthOf = async (name: string): Promise<string> => (await cluster.container(name).inspect()).State.Health?.Status ?? "none";
    /** Docker's own view: healthy, from the health check that now runs the users script every 2 s. */
    const allHealthy = () =>
        waitFor(
            "every server container healthy",
            async () => {
                const states = await Promise.all(servers().map(healthOf));
                return states.every((s) => s === "healthy") ? true : undefined;
            },
            90_000,
        );
    /** The files of a container's `dir` (not below it), through the Engine's archive API. */
    const filesIn = async (name: string, dir: string): Promise<{ name: string; mode: number; uid: number; content: string }[]> => {
        const archive = await cluster.container(name).getArchive({ path: dir });
        const files: { name: string; mode: number; uid: number; content: string }[] = [];
        const untar = extract();
        untar.on("entry", (header, stream, next) => {
            const chunks: Buffer[] = [];
            stream.on("data", (c: unknown) => chunks.push(c as Buffer));
            stream.on("end", () => {
                const parts = header.name.split("/").filter(Boolean);
                if (header.type === "file" && parts.length === 2)
                    files.push({
                        name: parts[1],
                        mode: (header.mode ?? 0) & 0o7777,
                        uid: header.uid ?? -1,
                        content: Buffer.concat(chunks).toString("utf8"),
                    });
                next();
            });
            stream.resume();
        });
        await pipeline(archive, untar as unknown as NodeJS.WritableStream);
        return files;
    };
    /** A connection with no login yet: AUTH is sent by hand. */
    const bare = (name: string): Redis => {
        const c = new Redis({
            host: "127.0.0.1",
            port: cluster.outputs.publishedPorts[name],
            maxRetriesPerRequest: 0,
            commandTimeout: 5000,
            retryStrategy: () => null,
            enableReadyCheck: false,
            // RESP2: over RESP3 ioredis opens with HELLO, which a server with `default` off answers NOAUTH before any AUTH.
            protocol: 2,
            lazyConnect: true,
        });
        c.on("error", () => undefined);
        opened.push(c);
        return c;
    };
    /** What AUTH with the old `default` password of the server's kind gets: "OK" or the refusal's code. */
    const defaultReply = (name: string): Promise<string> =>
        bare(name)
            .call("AUTH", name.startsWith("sentinel-") ? defaults.sentinel : defaults.redis)
            .then(String, (err: Error) => err.message.split(" ")[0]);
    /** An admin connection (the users exist from step 1 on). */
    const asAdmin = (name: string): Redis => {
        const c = bare(name);
        c.options.username = "admin";
        c.options.password = passwords.admin;
        return c;
    };
    /** Each server's ACL LOG: who was refused what, when (seconds ago) and from where. */
    const aclLogs = async (): Promise<Record<string, string[]>> =>
        Object.fromEntries(
            await Promise.all(
                servers().map(async (n) => {
                    const entries = (await asAdmin(n).call("ACL", "LOG")) as unknown[][];
                    return [
                        n,
                        entries.map((e) => {
                            const f = fields(e);
                            const addr = /addr=(\S+)/.exec(f["client-info"] ?? "")?.[1] ?? "?";
                            return `${f.username} ${f.reason} ${f.object} x${f.count} ${f["age-seconds"]}s ago from ${addr}`;
                        }),
                    ] as const;
                }),
            ),
        );
    const noAclLog = () => Object.fromEntries(servers().map((n) => [n, []]));
    const resetAclLogs = async () => {
        for (const n of servers()) await asAdmin(n).call("ACL", "LOG", "RESET");
    };
    /** Replicas re-link now, so that their links authenticate as the user step 2 or a rotation set. */
    const relinkReplicas = async () => {
        const master = await cluster.settled();
        for (const n of cluster.nodeNames.filter((x) => x !== master)) await asAdmin(n).call("CLIENT", "KILL", "TYPE", "master");
        await cluster.settled(60_000);
    };
    const flowing = (writer: ConfirmedWriter, what: string, since = Date.now()) =>
        waitFor(what, async () => (writer.confirmedSince(since) > 20 ? true : undefined), 60_000);

    it("deploys without users: default passwords out, no users' passwords", async () => {
        expect(cluster.outputs.redisPassword).to.be.a("string");
        expect(cluster.outputs.appUser).to.equal(undefined);
        expect((cluster.outputs as { migrationUserPasswords?: string }).migrationUserPasswords).to.equal(undefined);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        defaults = { redis: String(cluster.outputs.redisPassword), sentinel: String(cluster.outputs.sentinelPassword) };
        idsAtStart = await containerStates();
        writerA = new ConfirmedWriter(cluster.outputs, defaults.redis, `mig-default:${Date.now().toString(36)}`).start();
        await flowing(writerA, "writer A on default confirming", 0);
    });

    it("prepare: declares only the users' passwords (a secret output); no container replaced", async () => {
        const { changes } = await cluster.up(PREPARE);
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect(
            changes.created.filter((k) => !k.includes("randomPassword")),
            "created besides the passwords",
        ).to.deep.equal([]);
        expect(changes.created).to.have.length(ACL_USER_NAMES.length);
        expect(changes.deleted).to.deep.equal([]);
        const json = (cluster.outputs as { migrationUserPasswords?: string }).migrationUserPasswords;
        passwords = { ...parseUserPasswords({ [USER_PASSWORDS_ENV]: json }).passwords };
        secrets = { passwords, defaults };
        expect(await containerStates()).to.deep.equal(idsAtStart);
        await flowing(writerA!, "writer A confirming after the prepare deploy");
    });

    it("step 1 then 1b: every user everywhere, the users scripts and admin snapshot in every running container, nothing restarted", async () => {
        const created = await step(1);
        expect(created.filter((r) => r.changed).length).to.be.greaterThan(0);
        const settings = validateStackConfig({
            stack: TEST_STACK,
            keys: ["cluster"],
            cluster: testStackConfig(PREPARE).cluster,
            secrets: {},
        });
        const lines: string[] = [];
        const done = await installUsersScripts({
            settings,
            servers: cluster.plan().servers.map((s) => ({ name: s.name, kind: s.kind, endpoint: { host: s.host, port: s.port } })),
            adminPassword: passwords.admin,
            engines: DockerEngines.single(cluster.docker),
            deadlineSeconds: 120,
            log: (line) => lines.push(line),
        });
        expect(done).to.deep.equal(cluster.plan().servers.map((s) => s.name));
        for (const secret of Object.values(passwords)) expect(lines.join("\n")).to.not.include(secret);
        for (const n of servers()) {
            // As the Engine's archive API shows them (the test image has no stat): mode, owner, content.
            const files = await filesIn(n, path.dirname(CONTAINER_PATHS.clusterEnv));
            const entry = (file: string) => files.find((f) => f.name === path.basename(file));
            expect(entry(CONTAINER_PATHS.clusterEnv), n).to.include({ mode: 0o400, uid: 0 });
            expect(entry(CONTAINER_PATHS.clusterEnv)?.content, n).to.include("AUTH_USER='admin'");
            expect(entry(CONTAINER_PATHS.healthcheckScript), n).to.include({ mode: 0o555, uid: 0 });
            expect(entry(CONTAINER_PATHS.healthcheckScript)?.content, n).to.include('--user "$AUTH_USER"');
            expect(entry(CONTAINER_PATHS.startScript)?.content, n).to.include('--user "$AUTH_USER"');
            expect(
                files.filter((f) => f.name.startsWith(".appscreens-step1b-")).map((f) => f.name),
                n,
            ).to.deep.equal([]);
        }
        expect(await aclLogs()).to.deep.equal(noAclLog());
        expect(await containerStates()).to.deep.equal(idsAtStart);
        // Docker's health checks now run the users scripts; a few rounds must pass.
        await new Promise((r) => setTimeout(r, 6000));
        await allHealthy();
        await flowing(writerA!, "writer A confirming after step 1b");
    });

    it("step 2: replication and the Sentinels on their users; every container stays healthy", async () => {
        await step(2);
        await relinkReplicas();
        for (const n of cluster.nodeNames) {
            expect(fields((await asAdmin(n).call("CONFIG", "GET", "masteruser")) as unknown[]).masteruser, n).to.equal("replication");
        }
        await new Promise((r) => setTimeout(r, 6000));
        await allHealthy();
        expect(await aclLogs()).to.deep.equal(noAclLog());
        await flowing(writerA!, "writer A confirming after step 2");
    });

    it("the flip deploy (enabled, migrated) replaces no container; the app's logins are out; the verifier passed", async () => {
        const { changes } = await cluster.up(FLIP);
        console.log(`      flip: replaced ${changes.replaced.join(", ") || "nothing"}; updated ${changes.updated.length}`);
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect(changes.created.filter((k) => k.startsWith(CONTAINER))).to.deep.equal([]);
        expect(await containerStates()).to.deep.equal(idsAtStart);
        expect(cluster.outputs.appUser).to.equal("app");
        expect(cluster.outputs.redisPassword).to.equal(undefined);
        expect(cluster.outputs.appPassword).to.equal(passwords.app);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        expect(await aclLogs()).to.deep.equal(noAclLog());
        await flowing(writerA!, "writer A confirming after the flip");
    });

    it("the app writes on app/discovery; writer A on default lost no confirmed write", async () => {
        writerB = new ConfirmedWriter(cluster.outputs, String(cluster.outputs.appPassword), appKey).start();
        await flowing(writerB, "writer B on app confirming", 0);
        const report = await writerA!.stop();
        writerA = undefined;
        console.log(`      writer on default (deploy, prepare, steps 1-2, flip): ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
    });

    it("step 4: default off everywhere with ACL LOG empty; default refused on every server", async () => {
        await step(4);
        expect((await step(4)).filter((r) => r.changed)).to.deep.equal([]);
        expect(await aclLogs()).to.deep.equal(noAclLog());
        for (const n of servers()) expect(await defaultReply(n), n).to.equal("WRONGPASS");
        await resetAclLogs();
        await flowing(writerB!, "writer B confirming after step 4");
    });

    it("a replica stopped and started runs the users scripts: it turns healthy and in sync", async () => {
        const master = await cluster.settled();
        const replica = cluster.nodeNames.find((n) => n !== master) ?? "";
        await cluster.container(replica).stop({ t: 30 });
        await cluster.container(replica).start();
        await waitFor(
            `${replica} healthy after its restart`,
            async () => ((await healthOf(replica)) === "healthy" ? true : undefined),
            120_000,
        );
        expect(await defaultReply(replica)).to.equal("WRONGPASS");
        await asAdmin(replica).call("ACL", "LOG", "RESET");
        await cluster.settled(60_000);
        await allHealthy();
        await flowing(writerB!, "writer B confirming after the replica's restart");
    });

    it("rotates replication under the app writer: both accepted, links moved, old retired", async () => {
        const old = passwords.replication;
        const fresh = randomBytes(16).toString("hex");
        secrets = { ...secrets, passwords: { ...passwords, replication: fresh }, previous: { replication: old } };
        await executeUsersPlan(run("admin-only"), rotationPhase("replication", "add", usersServers()));
        for (const n of cluster.nodeNames) {
            const masterauth = fields((await asAdmin(n).call("CONFIG", "GET", "masterauth")) as unknown[]).masterauth;
            expect(masterauth === fresh, `${n} presents the new password`).to.equal(true);
        }
        await relinkReplicas();
        await executeUsersPlan(run("admin-only"), rotationPhase("replication", "retire", usersServers()));
        passwords.replication = fresh;
        secrets = { passwords, defaults };
        await relinkReplicas();
        await allHealthy();
        await flowing(writerB!, "writer B confirming after the rotation");
    });

    it("ends with default refused everywhere, ACL LOG empty, no confirmed write lost, and a deploy that verifies", async () => {
        const report = await writerB!.stop();
        writerB = undefined;
        expect(await aclLogs()).to.deep.equal(noAclLog());
        for (const n of servers()) expect(await defaultReply(n), n).to.equal("WRONGPASS");
        await resetAclLogs();
        console.log(`      writer on app (step 4, restart, rotation): ${formatWriterReport(report)}`);
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        // The app's plain SETs have no TTL; the verifier would take them for badly warmed keys.
        const admin = asAdmin(await cluster.settled());
        for (let cursor = "0", first = true; first || cursor !== "0"; first = false) {
            const [next, keys] = (await admin.call("SCAN", cursor, "MATCH", `${appKey}:*`, "COUNT", 1000)) as [string, string[]];
            if (keys.length) await admin.call("UNLINK", ...keys);
            cursor = next;
        }
        // A setting changed, so that the deploy runs every settings step (as admin, masteruser
        // replication) and the post-deploy verifier again, now with `default` off.
        const { changes } = await cluster.up(mergeConfig(FLIP, { cluster: { redis: { maxmemory: "72mb" } } }));
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect([...changes.updated, ...changes.replaced, ...changes.created], "the post-deploy step ran").to.include(POST_DEPLOY);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        for (const n of cluster.nodeNames)
            expect(fields((await asAdmin(n).call("CONFIG", "GET", "maxmemory")) as unknown[]).maxmemory, n).to.equal(
                String(72 * 1024 ** 2),
            );
        expect(await aclLogs()).to.deep.equal(noAclLog());
    });
});
