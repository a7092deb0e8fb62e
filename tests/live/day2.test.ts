import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mergeConfig, StackConfigObject } from "../../settings/stack-file";
import { validateStackConfig } from "../../settings/validate";
import { buildPostDeployPlan, postDeployEnvironment } from "../../contracts/plan";
import { ChangeSummary } from "../support/deployer";
import { ConfirmedWriter, formatWriterReport, WriterReport } from "../support/live/confirmed-writer";
import { pairs, TEST_STACK, testStackConfig } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";
import { waitFor } from "../support/live/wait";

const CONTAINER = "docker:index/container:Container::";
const SETTINGS_STEP = "command:local:Command::";

/** Names of the containers a deploy replaced (or created in place of old ones). */
const replacedContainers = (changes: ChangeSummary): string[] =>
    changes.replaced
        .filter((k) => k.startsWith(CONTAINER))
        .map((k) => k.slice(CONTAINER.length))
        .sort();

describe("live: day-2 deploys with a WAIT-confirmed writer running", function () {
    this.timeout(900_000);
    const cluster = useLiveCluster(this);
    /** Every override so far: each deploy keeps what the earlier ones changed. */
    let current: StackConfigObject = {};

    /** Deploys `overrides` on top of the earlier ones with a writer running from before to after. */
    async function deployWithWriter(
        scenario: string,
        overrides: StackConfigObject,
        password = cluster.outputs.redisPassword,
    ): Promise<{ changes: ChangeSummary; report: WriterReport }> {
        current = mergeConfig(current, overrides);
        const writer = new ConfirmedWriter(cluster.outputs, password).start();
        const flowing = (what: string, since: number) =>
            waitFor(what, async () => (writer.confirmedSince(since) > 20 ? true : undefined), 30_000);
        let changes: ChangeSummary;
        try {
            // Writes confirmed before the deploy starts, so that a gap it causes shows in the report.
            await flowing(`writes confirmed before: ${scenario}`, 0);
            changes = (await cluster.up(current)).changes;
            // And after it: a client the deploy locked out or left without a master fails here.
            await flowing(`writes confirmed after: ${scenario}`, Date.now());
        } catch (err) {
            await writer.stop().catch(() => undefined);
            throw err;
        }
        const report = await writer.stop();
        console.log(`      ${scenario}: ${formatWriterReport(report)}; replaced: ${replacedContainers(changes).join(", ") || "none"}`);
        return { changes, report };
    }

    /** One master, every Sentinel naming it, and the deploy's own verification passed. */
    async function expectOneAgreedMaster(): Promise<string> {
        const master = await cluster.settled();
        const verification = cluster.verification;
        expect(verification?.ok, `verification failed: ${verification?.failed.join(", ")}`).to.equal(true);
        return master;
    }

    it("applies a runtime Redis setting to the running nodes in the declared topology", async () => {
        const before = await cluster.settled();
        const { changes, report } = await deployWithWriter("maxmemory, declared topology", { cluster: { redis: { maxmemory: "96mb" } } });
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect(changes.updated).to.include.members(["redis-0", "redis-1", "redis-2"].map((n) => `${SETTINGS_STEP}${n}-settings`));
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed).to.equal(0);
        expect(await expectOneAgreedMaster()).to.equal(before);
        for (const node of cluster.nodeNames) {
            expect(pairs(await cluster.direct(node).call("CONFIG", "GET", "maxmemory")).maxmemory, node).to.equal(String(96 * 1024 ** 2));
            // CONFIG REWRITE made it stick: the live config in the volume has it.
            expect(await cluster.exec(node, ["grep", "^maxmemory ", "/data/redis.conf"]), node).to.match(/^maxmemory 96mb/);
        }
    });

    it("applies a runtime Redis setting after a failover and leaves the master where it is", async () => {
        const before = await cluster.settled();
        const moved = await cluster.failover();
        expect(moved, "the failover moved the master").to.not.equal(before);
        const { changes, report } = await deployWithWriter("maxmemory, after a failover", { cluster: { redis: { maxmemory: "112mb" } } });
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect(report.lostConfirmed).to.equal(0);
        expect(await expectOneAgreedMaster()).to.equal(moved);
    });

    it("applies a Sentinel setting after a failover without replacing a Sentinel", async () => {
        const master = await cluster.settled();
        const { changes, report } = await deployWithWriter("down-after-milliseconds, after a failover", {
            cluster: { sentinel: { downAfterMilliseconds: 1500 } },
        });
        expect(replacedContainers(changes)).to.deep.equal([]);
        expect(changes.updated).to.include.members(cluster.sentinelNames.map((n) => `${SETTINGS_STEP}${n}-settings`));
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed).to.equal(0);
        expect(await expectOneAgreedMaster()).to.equal(master);
        for (const s of cluster.sentinelNames) {
            const fields = pairs(await cluster.direct(s).call("SENTINEL", "MASTER", cluster.outputs.masterName));
            expect(fields["down-after-milliseconds"], s).to.equal("1500");
            expect(fields.flags, s).to.equal("master");
        }
    });

    it("rolls an image change through one server at a time, the master handing its role over", async () => {
        const image = (testStackConfig().cluster as { image: { name: string } }).image.name;
        const retagged = `${image}-day2`;
        execFileSync("docker", ["tag", image, retagged]);
        const { changes, report } = await deployWithWriter("image change, after a failover", { cluster: { image: { name: retagged } } });
        expect(replacedContainers(changes)).to.deep.equal([...cluster.nodeNames, ...cluster.sentinelNames].sort());
        expect(report.confirmed).to.be.greaterThan(0);
        expect(report.lostConfirmed).to.equal(0);
        await expectOneAgreedMaster();
        for (const name of [...cluster.nodeNames, ...cluster.sentinelNames]) {
            expect((await cluster.container(name).inspect()).Config.Image, name).to.equal(retagged);
        }
    });

    it("scales the replicas 2 -> 3 -> 1 with writes flowing", async () => {
        const up = await deployWithWriter("replicas 2 -> 3", { cluster: { replicas: 3 } });
        expect(up.report.lostConfirmed).to.equal(0);
        expect(replacedContainers(up.changes)).to.deep.equal([]);
        expect(up.changes.created).to.include(`${CONTAINER}redis-3`);
        expect(cluster.nodeNames).to.have.length(4);
        await expectOneAgreedMaster();
        // The hard case of a scale-down: the master is one of the nodes it removes, so it must hand
        // its role over before it leaves.
        // Sentinel picks the replica to promote by priority, then offset, then run id, not at
        // random: redis-0 and redis-1 are made ineligible until it has picked one of the others.
        const keep = ["redis-0", "redis-1"];
        const ips = keep.map((n) => cluster.nodeAddress(n));
        for (const n of keep) await cluster.direct(n).call("CONFIG", "SET", "replica-priority", "0");
        await waitFor(
            "every Sentinel to see redis-0 and redis-1 as never to be promoted",
            async () => {
                for (const s of cluster.sentinelNames) {
                    const replicas = ((await cluster.direct(s).call("SENTINEL", "REPLICAS", cluster.outputs.masterName)) as unknown[]).map(
                        (r) => pairs(r),
                    );
                    if (replicas.some((r) => ips.includes(r.ip) && r["slave-priority"] !== "0")) return undefined;
                }
                return true;
            },
            30_000,
            500,
        );
        let master = await cluster.settled();
        if (!["redis-2", "redis-3"].includes(master)) master = await cluster.failover();
        for (const n of keep) await cluster.direct(n).call("CONFIG", "SET", "replica-priority", "100");
        expect(["redis-2", "redis-3"], "a failover onto a node the scale-down removes").to.include(master);

        const down = await deployWithWriter("replicas 3 -> 1", { cluster: { replicas: 1 } });
        expect(down.report.lostConfirmed).to.equal(0);
        expect(down.changes.deleted).to.include.members([`${CONTAINER}redis-2`, `${CONTAINER}redis-3`]);
        expect(cluster.nodeNames).to.have.length(2);
        await expectOneAgreedMaster();
        for (const s of cluster.sentinelNames) {
            const fields = pairs(await cluster.direct(s).call("SENTINEL", "MASTER", cluster.outputs.masterName));
            expect(fields["num-slaves"], `${s} forgot the removed replicas`).to.equal("1");
        }
    });

    it("scales the Sentinels 3 -> 5 -> 3 with writes flowing", async () => {
        const up = await deployWithWriter("sentinels 3 -> 5", { cluster: { sentinels: 5, sentinel: { quorum: 3 } } });
        expect(up.report.lostConfirmed).to.equal(0);
        expect(replacedContainers(up.changes)).to.deep.equal([]);
        expect(cluster.sentinelNames).to.have.length(5);
        await expectOneAgreedMaster();

        const down = await deployWithWriter("sentinels 5 -> 3", { cluster: { sentinels: 3, sentinel: { quorum: 2 } } });
        expect(down.report.lostConfirmed).to.equal(0);
        expect(down.changes.deleted).to.include.members([`${CONTAINER}sentinel-3`, `${CONTAINER}sentinel-4`]);
        await expectOneAgreedMaster();
        for (const s of cluster.sentinelNames) {
            const fields = pairs(await cluster.direct(s).call("SENTINEL", "MASTER", cluster.outputs.masterName));
            expect(fields["num-other-sentinels"], `${s} forgot the removed Sentinels`).to.equal("2");
            expect(fields.quorum, s).to.equal("2");
        }
    });

    it("rotates the Redis password without replacing a container or locking a client out", async () => {
        const old = cluster.outputs.redisPassword;
        const fresh = "RotatedPassw0rdRotatedPassw0rd42";
        // Step 1: both accepted; clients still on the old password keep writing.
        const first = await deployWithWriter("password rotation, both accepted", { redisPassword: fresh, redisPasswordPrevious: old }, old);
        expect(replacedContainers(first.changes)).to.deep.equal([]);
        expect(first.report.lostConfirmed).to.equal(0);
        expect(first.report.confirmed).to.be.greaterThan(0);
        await expectOneAgreedMaster();
        // Step 2: the apps use the new one; the old one is retired.
        current = Object.fromEntries(Object.entries(current).filter(([key]) => key !== "redisPasswordPrevious"));
        const second = await deployWithWriter("password rotation, old retired", {}, fresh);
        expect(replacedContainers(second.changes)).to.deep.equal([]);
        expect(second.report.lostConfirmed).to.equal(0);
        expect(second.report.confirmed).to.be.greaterThan(0);
        await expectOneAgreedMaster();
        for (const node of cluster.nodeNames) {
            const rejected = await execRedisCli(node, old);
            expect(rejected, `${node} still accepts the old password`).to.match(/WRONGPASS|NOAUTH|invalid/i);
            expect(await execRedisCli(node, fresh), node).to.equal("PONG");
        }
    });

    /** PING through redis-cli inside the node's container with `password` (kept out of argv by REDISCLI_AUTH). */
    const execRedisCli = async (node: string, password: string): Promise<string> =>
        (await cluster.exec(node, ["redis-cli", "--no-auth-warning", "ping"], { REDISCLI_AUTH: password })).trim();

    it("fails a post-deploy step that cannot finish, within its deadline and naming what hung", async () => {
        const config = testStackConfig(
            mergeConfig(current, { cluster: { verifier: { settleSeconds: 0 }, deadlines: { postDeploySeconds: 40 } } }),
        );
        const plan = buildPostDeployPlan(validateStackConfig({ stack: TEST_STACK, keys: [], cluster: config.cluster, secrets: {} }));
        const names = [...cluster.nodeNames, ...cluster.sentinelNames];
        // A hung cluster: every server frozen, so no command of the warmer or verifier ever returns.
        for (const n of names) await cluster.container(n).pause();
        for (const n of names) await cluster.faultShows(n, "paused");
        try {
            const started = Date.now();
            const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
                const child = spawn("npx", ["--no-install", "tsx", "cli/post-deploy.ts"], {
                    env: {
                        ...process.env,
                        ...postDeployEnvironment(plan, cluster.outputs),
                    },
                    stdio: ["ignore", "pipe", "pipe"],
                });
                let err = "";
                child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
                child.on("close", (c) => resolve({ code: c, stderr: err }));
            });
            const seconds = (Date.now() - started) / 1000;
            console.log(`      post-deploy against a frozen cluster exited ${code} after ${seconds.toFixed(1)} s`);
            expect(code).to.equal(1);
            expect(stderr).to.match(/did not finish within 40 s/);
            expect(stderr).to.match(/it was (warming the cache|retiring servers|verifying)/);
            expect(stderr).to.not.include(cluster.outputs.redisPassword);
        } finally {
            for (const n of names)
                await cluster
                    .container(n)
                    .unpause()
                    .catch(() => undefined);
        }
        await waitFor("the cluster to settle after the freeze", async () => cluster.settled().catch(() => undefined), 120_000);
    });
});
