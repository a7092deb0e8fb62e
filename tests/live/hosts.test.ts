// The test stack spread over three real Docker hosts (the rig: tests/support/rig/), deployed
// through each host's provider by the replay deployer, with whole-host faults injected for real
// under the WAIT-confirmed writer (issue 16). The deploy itself runs the post-deploy verifier.
import { expect } from "chai";
import Docker from "dockerode";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildPostDeployPlan, PostDeployPlan, SentinelEndpoint, sentinelsOf } from "../../contracts/plan";
import { waitForMasterMoved, waitForSettledCluster } from "../../ops/cluster/settle";
import { Credentials } from "../../ops/redis/connect";
import { readSentinelViews } from "../../ops/redis/cluster-view";
import { verifyUntilSettled } from "../../ops/verify/verifier";
import { StackOutputs } from "../../settings/connection-info";
import { validateStackConfig } from "../../settings/validate";
import { possibleDataVolumes } from "../../settings/docker-names";
import { readVolumesEverywhere } from "../../ops/docker/data-volumes";
import { enginesOf } from "../../ops/docker/engines";
import { StackConfigObject } from "../../settings/stack-file";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { testStackConfig } from "../support/live/live-cluster";
import { waitFor } from "../support/live/wait";
import { EngineRoutes, ProviderConfigureError } from "../support/replay/engines";
import { execIn } from "../support/live/container-exec";
import { ReplayDeployer } from "../support/replay/replay-deployer";
import { rigCgroupsAvailable } from "../support/rig/cgroups";
import { Rig } from "../support/rig/rig";
import { onRigHosts } from "../support/rig/stack";
import { requireProgram } from "../support/require-program";

const PREFIX = "hosts16";
// Its own subnet: the rig suite (tests/live/rig.test.ts) uses 10.231.16.0/24.
const SUBNET = "10.231.18.0/24";
const IMAGE = (testStackConfig().cluster as { image: { name: string } }).image.name;

/** Whether a host's engine answers a ping within 1.5 s: how a case sees that its fault took effect. */
const engineAnswers = (docker: Docker): Promise<boolean> =>
    Promise.race([
        docker
            .ping()
            .then(() => true)
            .catch(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500)),
    ]);

describe("live: the test stack on three Docker hosts", function () {
    this.timeout(600_000);
    let rig: Rig | undefined;
    let deployer: ReplayDeployer | undefined;
    let stateDir: string | undefined;
    let outputs: StackOutputs;
    let plan: PostDeployPlan;
    let credentials: Credentials;
    let config: StackConfigObject;

    before(async function () {
        if (process.getuid?.() !== 0 || !rigCgroupsAvailable()) {
            const message = "the multi-host suite needs root and cgroup v2, or v1 with the pids and freezer hierarchies";
            if (process.env.CI) throw new Error(message);
            console.warn(`skipping: ${message}`);
            this.skip();
        }
        requireProgram(this, "dockerd", ["--version"], "Debian's docker.io package");
        rig = await Rig.up({ prefix: PREFIX, hosts: 3, subnet: SUBNET }, { image: IMAGE, imageSource: new Docker() });
        config = onRigHosts(testStackConfig(), rig.plan);
        stateDir = mkdtempSync(path.join(tmpdir(), `${PREFIX}-`));
        deployer = new ReplayDeployer("test", PREFIX, stateDir, new EngineRoutes());
        const started = Date.now();
        const result = await deployer.up(config);
        outputs = result.outputs as unknown as StackOutputs;
        credentials = { redisPassword: outputs.redisPassword, sentinelPassword: outputs.sentinelPassword };
        plan = buildPostDeployPlan(validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} }));
        console.log(`      deployed on 3 hosts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    after(async function () {
        await deployer?.destroy().catch((err: unknown) => console.warn(`destroy: ${String(err)}`));
        await rig?.down();
        if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    /** The rig host index a server runs on, from the `serverEndpoints` output. */
    const hostIndexOf = (server: string): number => {
        const name = (outputs.serverEndpoints as Record<string, { hostName?: string }>)[server]?.hostName;
        const index = (rig as Rig).plan.hosts.findIndex((h) => h.name === name);
        if (index < 0) throw new Error(`${server} is on no rig host (${String(name)})`);
        return index;
    };

    /** A server's container, on its own host's engine. */
    const containerOf = async (server: string) => {
        const { docker } = (rig as Rig).host(hostIndexOf(server));
        const [found] = await docker.listContainers({ filters: JSON.stringify({ label: [`appscreens.node=${server}`] }) });
        if (!found) throw new Error(`no running container for ${server} on its host`);
        return { docker, container: docker.getContainer(found.Id) };
    };

    /**
     * Waits until `sentinel` is out of TILT and says how long that took. A Sentinel whose clock
     * jumps (its host frozen, as a paused VM is) acts on nothing for 30 s after: it neither fails
     * over nor counts towards a majority, so a second fault in that window waits for it.
     */
    const outOfTilt = async (sentinel: SentinelEndpoint): Promise<number> => {
        const client = new Redis({
            host: sentinel.host,
            port: sentinel.port,
            password: credentials.sentinelPassword,
            maxRetriesPerRequest: 1,
        });
        client.on("error", () => undefined);
        const started = Date.now();
        try {
            await waitFor(
                `${sentinel.name} out of TILT`,
                async () => (/^sentinel_tilt:0/m.test(await client.info("sentinel")) ? true : undefined),
                60_000,
                500,
            );
            return Date.now() - started;
        } finally {
            client.disconnect();
        }
    };

    /** The master every Sentinel names now, once the cluster has settled. */
    const currentMaster = () => waitForSettledCluster(plan, credentials, { timeoutMs: 60_000 });

    it("places each server on its host, announcing that host's address and port, and verifies", async () => {
        const r = rig as Rig;
        const endpoints = outputs.serverEndpoints as Record<string, { host: string; port: number; hostName?: string }>;
        for (const [server, e] of Object.entries(endpoints)) {
            const host = r.plan.hosts.find((h) => h.name === e.hostName);
            expect(host, server).to.not.equal(undefined);
            expect(e.host, `${server} published on its host's address`).to.equal(host?.address);
        }
        // Example 2: one node and one Sentinel per host.
        expect(new Set(["redis-0", "redis-1", "redis-2"].map(hostIndexOf)).size).to.equal(3);
        expect(outputs.natMap).to.deep.equal({});
        // Every Sentinel sees both replicas and both peers by their announced host:port pairs.
        const views = await readSentinelViews(plan, credentials, sentinelsOf(plan));
        for (const v of views) {
            expect(v.error, v.name).to.equal(undefined);
            const others = [v.masterAddress, ...(v.replicas ?? []).map((x) => x.address)];
            expect(new Set(others).size, `${v.name} sees three distinct nodes`).to.equal(3);
            for (const a of others)
                expect(
                    r.plan.hosts.map((h) => h.address),
                    `${v.name} names ${String(a)}`,
                ).to.include(String(a).split(":")[0]);
        }
        const report = await verifyUntilSettled(plan, credentials, {}, 30);
        expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
    });

    it("the master's host dies: the other hosts' Sentinels promote a replica, writes go on, 0 confirmed lost; back, it rejoins as a replica", async () => {
        const r = rig as Rig;
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            const master = await currentMaster();
            const dead = hostIndexOf(master.name);
            await waitFor("writes confirmed before the fault", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const faultAt = Date.now();
            await r.kill(dead);
            // The fault took effect: the host's engine no longer answers.
            expect(await engineAnswers(r.host(dead).docker), "the killed host's engine answered").to.equal(false);
            const liveSentinels = sentinelsOf(plan).filter((s) => hostIndexOf(s.name) !== dead);
            const promoted = await waitForMasterMoved(plan, credentials, master.announced, 60_000, { sentinels: liveSentinels });
            const movedMs = Date.now() - faultAt;
            const resumedFrom = Date.now();
            await waitFor(
                "writes confirmed on the new master",
                async () => (writer.confirmedSince(resumedFrom) > 20 ? true : undefined),
                30_000,
            );
            const outage = writer.outageAfter(faultAt);
            await r.start(dead);
            const report = await verifyUntilSettled(plan, credentials, {}, 120);
            expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
            expect((await currentMaster()).name, "the old master came back as a replica").to.not.equal(master.name);
            const result = await writer.stop();
            console.log(
                `      host crash (${r.plan.hosts[dead].name}, master ${master.name} (${master.announced}) -> ${promoted}): Sentinels switched in ${movedMs} ms; write outage ${outage} ms; ${formatWriterReport(result)}`,
            );
            expect(result.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await writer.stop().catch(() => undefined);
        }
    });

    it("a host holding a Sentinel and a replica, not the master, freezes: no failover, writes go on, 0 confirmed lost", async () => {
        const r = rig as Rig;
        const master = await currentMaster();
        const frozen = [0, 1, 2].find((i) => i !== hostIndexOf(master.name)) as number;
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            await waitFor("writes confirmed before the fault", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const faultAt = Date.now();
            await r.freeze(frozen);
            // The fault took effect: the frozen host's engine answers nothing.
            expect(await engineAnswers(r.host(frozen).docker), "the frozen host's engine answered").to.equal(false);
            // Past down-after-milliseconds several times over: long enough for a wrong failover.
            await new Promise((resolve) => setTimeout(resolve, 8000));
            const during = writer.confirmedSince(faultAt);
            const liveSentinels = sentinelsOf(plan).filter((x) => hostIndexOf(x.name) !== frozen);
            const views = await readSentinelViews(plan, credentials, liveSentinels);
            expect(
                views.map((v) => v.masterAddress),
                "the reachable Sentinels still name the same master",
            ).to.deep.equal(liveSentinels.map(() => master.announced));
            await r.thaw(frozen);
            const report = await verifyUntilSettled(plan, credentials, {}, 120);
            expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
            expect((await currentMaster()).name, "no failover").to.equal(master.name);
            const thawedSentinel = sentinelsOf(plan).find((x) => hostIndexOf(x.name) === frozen) as SentinelEndpoint;
            const tiltMs = await outOfTilt(thawedSentinel);
            const result = await writer.stop();
            console.log(
                `      host freeze (${r.plan.hosts[frozen].name}, master ${master.name} elsewhere): ${during} batches confirmed while frozen; write outage ${writer.outageAfter(faultAt)} ms; its Sentinel out of TILT ${tiltMs} ms after the cluster verified; ${formatWriterReport(result)}`,
            );
            expect(during, "writes went on while the host was frozen").to.be.greaterThan(100);
            expect(result.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await r.thaw(frozen).catch(() => undefined);
            await writer.stop().catch(() => undefined);
        }
    });

    it("the master's host is cut off: it stops taking writes within min-replicas-max-lag, the majority promotes, and healed it rejoins as a replica", async () => {
        const r = rig as Rig;
        const master = await currentMaster();
        const cut = hostIndexOf(master.name);
        const maxLagSeconds = Number(plan.expected.redisConfig["min-replicas-max-lag"]);
        const { docker, container } = await containerOf(master.name);
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        // What a client on the cut-off host gets: SET then WAIT 1, every 500 ms, through redis-cli in
        // the container (reached through its engine's socket, which is not on the cut link).
        const inside: { t: number; set: string; wait: string }[] = [];
        try {
            await waitFor("writes confirmed before the fault", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const at = Date.now();
            await r.cut(cut);
            const liveSentinels = sentinelsOf(plan).filter((x) => hostIndexOf(x.name) !== cut);
            const promoted = await waitForMasterMoved(plan, credentials, master.announced, 60_000, { sentinels: liveSentinels });
            const movedMs = Date.now() - at;
            for (let i = 0; Date.now() - at < (maxLagSeconds + 4) * 1000; i++) {
                const out = await execIn(
                    docker,
                    container,
                    ["sh", "-c", `printf 'SET hostcut:${i} x\\nWAIT 1 100\\n' | redis-cli --no-auth-warning`],
                    {
                        REDISCLI_AUTH: outputs.redisPassword,
                    },
                );
                const [set = "", wait = ""] = out.trim().split("\n");
                inside.push({ t: Date.now() - at, set, wait });
                await new Promise((resolve) => setTimeout(resolve, 500));
            }
            const accepted = inside.filter((x) => x.set === "OK");
            const lastAcceptedMs = Math.max(0, ...accepted.map((x) => x.t));
            await r.heal(cut);
            const report = await verifyUntilSettled(plan, credentials, {}, 120);
            expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
            const now = await currentMaster();
            expect(now.name, "the healed old master is a replica").to.not.equal(master.name);
            const result = await writer.stop();
            console.log(
                `      host cut (${r.plan.hosts[cut].name}, master ${master.name} -> ${promoted}): Sentinels switched in ${movedMs} ms; cut-off master took ${accepted.length} writes, the last ${lastAcceptedMs} ms after the cut, then ${inside.at(-1)?.set}; write outage ${writer.outageAfter(at)} ms; ${formatWriterReport(result)}`,
            );
            // Replicas ack once a second and the master recounts once a second: up to about 2 s past max-lag, plus one probe.
            expect(lastAcceptedMs, "the cut-off master stopped taking writes within min-replicas-max-lag").to.be.at.most(
                (maxLagSeconds + 3) * 1000,
            );
            expect(inside.at(-1)?.set).to.match(/NOREPLICAS/);
            expect(
                accepted.map((x) => x.wait).filter((w) => w !== "0"),
                "writes a replica confirmed on the cut-off side",
            ).to.deep.equal([]);
            expect(result.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await r.heal(cut).catch(() => undefined);
            await writer.stop().catch(() => undefined);
        }
    });

    it("an up while one host's engine is down fails naming that host, and the next up once it is back changes nothing", async () => {
        const r = rig as Rig;
        const master = await currentMaster();
        const down = [0, 1, 2].find((i) => i !== hostIndexOf(master.name)) as number;
        const { host } = r.host(down);
        await r.kill(down);
        try {
            const failure = await (deployer as ReplayDeployer).up(config).then(
                () => undefined,
                (err: unknown) => err as Error,
            );
            expect(failure, "an up with a host's engine down passed").to.be.instanceOf(Error);
            expect(failure?.cause).to.be.instanceOf(ProviderConfigureError);
            expect(failure?.cause).to.include({ kind: "unreachable", host: host.endpoint });
        } finally {
            await r.start(down);
        }
        const report = await verifyUntilSettled(plan, credentials, {}, 120);
        expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
        const again = await (deployer as ReplayDeployer).up(config);
        expect(again.changes.replaced, "containers replaced by the up after the host came back").to.deep.equal([]);
    });

    it("day 2: a node pinned to another host moves there under writes, and the Sentinels forget its old address", async () => {
        const r = rig as Rig;
        const from = hostIndexOf("redis-2");
        const to = (from + 1) % 3;
        const before = await currentMaster();
        const oldAddress = plan.servers.find((x) => x.name === "redis-2")?.announced as string;
        const moved: StackConfigObject = {
            ...config,
            cluster: { ...(config.cluster as StackConfigObject), placement: { pins: { "redis-2": r.plan.hosts[to].name } } },
        };
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            await waitFor("writes confirmed before the move", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const at = Date.now();
            const result = await (deployer as ReplayDeployer).up(moved);
            const tookMs = Date.now() - at;
            expect(
                result.changes.replaced.filter((k) => k.includes("::redis-2")),
                "redis-2's container replaced",
            ).to.not.deep.equal([]);
            expect(
                result.changes.replaced.filter((k) => k.startsWith("docker:index/container:Container::") && !k.includes("redis-2")),
                "only redis-2's container replaced",
            ).to.deep.equal([]);
            outputs = result.outputs as unknown as StackOutputs;
            plan = buildPostDeployPlan(validateStackConfig({ stack: "test", keys: ["cluster"], cluster: moved.cluster, secrets: {} }));
            expect(hostIndexOf("redis-2"), "redis-2's host").to.equal(to);
            const onOld = await r
                .host(from)
                .docker.listContainers({ all: true, filters: JSON.stringify({ label: ["appscreens.node=redis-2"] }) });
            expect(onOld, "a redis-2 container left on its old host").to.deep.equal([]);
            const newAddress = plan.servers.find((x) => x.name === "redis-2")?.announced as string;
            expect(newAddress.split(":")[0]).to.equal(r.plan.hosts[to].address);
            const views = await readSentinelViews(plan, credentials, sentinelsOf(plan));
            for (const v of views) {
                const named = [v.masterAddress, ...(v.replicas ?? []).map((x) => x.address)];
                expect(named, `${v.name} still names the old address`).to.not.include(oldAddress);
                expect(named, `${v.name} knows the moved node`).to.include(newAddress);
            }
            const report = await writer.stop();
            console.log(
                `      move redis-2 (${before.name === "redis-2" ? "the master" : "a replica"}) ${r.plan.hosts[from].name} -> ${r.plan.hosts[to].name}: up took ${tookMs} ms; write outage ${writer.outageAfter(at) ?? 0} ms; ${formatWriterReport(report)}`,
            );
            expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await writer.stop().catch(() => undefined);
        }
    });

    it("finds each data volume on the engine of its host, and the one the move left on the old host", async () => {
        const r = rig as Rig;
        const settings = validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} });
        const names = possibleDataVolumes(settings).map((v) => v.name);
        const found = await readVolumesEverywhere(enginesOf(plan), names);
        const where = (server: string) =>
            found
                .filter((f) => f.name === possibleDataVolumes(settings).find((v) => v.server === server)?.name)
                .map((f) => `${f.host}:${f.usedBy.length ? "in use" : "kept"}`)
                .sort();
        for (const server of ["redis-0", "redis-1", "sentinel-0", "sentinel-1", "sentinel-2"]) {
            expect(where(server), server).to.deep.equal([`${r.plan.hosts[hostIndexOf(server)].name}:in use`]);
        }
        // The move replaced redis-2's container on another host; its old volume stays where it was (retainOnDelete).
        const now = r.plan.hosts[hostIndexOf("redis-2")].name;
        expect(
            where("redis-2").filter((w) => w === `${now}:in use`),
            "redis-2's volume on its new host",
        ).to.have.length(1);
        const left = where("redis-2").filter((w) => w.endsWith(":kept"));
        expect(left, "the volume left on redis-2's old host").to.have.length(1);
        expect(left[0].startsWith(`${now}:`), "left on another host").to.equal(false);
    });
});
