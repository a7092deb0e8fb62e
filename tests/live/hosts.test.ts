// The test stack spread over three real Docker hosts (the rig: tests/support/rig/), deployed
// through each host's provider by the replay deployer, with whole-host faults injected for real
// under the WAIT-confirmed writer (issue 16). The deploy itself runs the post-deploy verifier.
import { expect } from "chai";
import Docker from "dockerode";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildPostDeployPlan, nodesOf, PostDeployPlan, SentinelEndpoint, sentinelsOf } from "../../contracts/plan";
import { plannedFailover, replicaOffsets } from "../../ops/cluster/planned-failover";
import { waitForMasterMoved, waitForSettledCluster } from "../../ops/cluster/settle";
import { Credentials } from "../../ops/redis/connect";
import { readMasterReplication, readSentinelViews } from "../../ops/redis/cluster-view";
import { withDirectClient } from "../../ops/redis/connect";
import { parseInfo } from "../../ops/redis/replies";
import { replicaLinked } from "../../ops/redis/sentinel-state";
import { verifyUntilSettled } from "../../ops/verify/verifier";
import { StackOutputs } from "../../settings/connection-info";
import { validateStackConfig } from "../../settings/validate";
import { possibleDataVolumes } from "../../settings/docker-names";
import { readVolumesEverywhere } from "../../ops/docker/data-volumes";
import { enginesOf } from "../../ops/docker/engines";
import { DockerTls } from "../../contracts/docker-hosts";
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
/** The stack runs on the first three; the fourth engine idles until the case that adds it to the hosts list. */
const RIG_HOSTS = 4;
const STACK_HOSTS = 3;
/**
 * This host's engine is reached over tcp:// with TLS (its three PEMs in the `hostTls` secret), as
 * a remote engine would be: the providers, the first-deploy volume check and the tools all go
 * through its TLS listener; the others through their sockets.
 */
const TLS_HOST = 1;

/** Whether a host's engine answers a ping within 1.5 s: how a case sees that its fault took effect. */
const engineAnswers = (docker: Docker): Promise<boolean> =>
    Promise.race([
        docker
            .ping()
            .then(() => true)
            .catch(() => false),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1500)),
    ]);

/** The settings of a stack config as `pulumi up` validates them, the tcp:// host's PEMs in the `hostTls` secret. */
const settingsOf = (config: StackConfigObject) =>
    validateStackConfig({
        stack: "test",
        keys: ["cluster"],
        cluster: config.cluster,
        secrets: {},
        ...(config.hostTls ? { hostTls: { value: JSON.stringify(config.hostTls), secret: true } } : {}),
    });

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
        rig = await Rig.up(
            { prefix: PREFIX, hosts: RIG_HOSTS, subnet: SUBNET, tlsHosts: [TLS_HOST] },
            { image: IMAGE, imageSource: new Docker() },
        );
        config = onRigHosts(testStackConfig(), rig.plan, STACK_HOSTS, rig.clientTls);
        stateDir = mkdtempSync(path.join(tmpdir(), `${PREFIX}-`));
        deployer = new ReplayDeployer("test", PREFIX, stateDir, new EngineRoutes());
        const started = Date.now();
        const result = await deployer.up(config);
        outputs = result.outputs as unknown as StackOutputs;
        credentials = { redisPassword: outputs.redisPassword, sentinelPassword: outputs.sentinelPassword };
        plan = buildPostDeployPlan(settingsOf(config));
        console.log(`      deployed on 3 hosts in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    });

    after(async function () {
        await deployer?.destroy().catch((err: unknown) => console.warn(`destroy: ${String(err)}`));
        await rig?.down();
        if (stateDir) rmSync(stateDir, { recursive: true, force: true });
    });

    /** Every host's engine as the tools reach it: the tcp:// host's PEMs as the APPSCREENS_DOCKER_TLS secret gives them. */
    const stackEngines = () => enginesOf(plan, (config.hostTls ?? {}) as DockerTls);

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
     * Waits until `sentinel` reports TILT on (`tilt` true) or off, and says how long that took. A
     * Sentinel whose clock jumps (its host frozen, as a paused VM is) acts on nothing for 30 s
     * after: it neither fails over nor counts towards a majority, so a second fault in that window
     * waits for it.
     */
    const sentinelTilt = async (sentinel: SentinelEndpoint, tilt: boolean, timeoutMs: number): Promise<number> => {
        const client = new Redis({
            host: sentinel.host,
            port: sentinel.port,
            password: credentials.sentinelPassword,
            maxRetriesPerRequest: 1,
        });
        client.on("error", () => undefined);
        const started = Date.now();
        const want = new RegExp(`^sentinel_tilt:${tilt ? 1 : 0}`, "m");
        try {
            await waitFor(
                `${sentinel.name} ${tilt ? "in" : "out of"} TILT`,
                async () => (want.test(await client.info("sentinel")) ? true : undefined),
                timeoutMs,
                tilt ? 100 : 500,
            );
            return Date.now() - started;
        } finally {
            client.disconnect();
        }
    };

    /**
     * Waits until no Sentinel is in TILT: for a case whose fault or failover needs every Sentinel
     * acting. The freeze case leaves its host's Sentinel in TILT for 30 s and does not wait that
     * out itself; the cases run in between (which need no Sentinel to act) overlap it.
     */
    const noSentinelInTilt = async (): Promise<void> => {
        const waited = await Promise.all(sentinelsOf(plan).map((s) => sentinelTilt(s, false, 60_000)));
        console.log(`      every Sentinel out of TILT (waited up to ${Math.max(...waited)} ms)`);
    };

    /** The master every Sentinel names now, once the cluster has settled. */
    const currentMaster = () => waitForSettledCluster(plan, credentials, { timeoutMs: 60_000 });

    /** Every container on the stack's hosts, as "host id state": what a refused up must leave alone. */
    const containersOnStackHosts = async (): Promise<string[]> => {
        const r = rig as Rig;
        const lists = await Promise.all(
            Array.from({ length: STACK_HOSTS }, async (_, i) =>
                (await r.host(i).docker.listContainers({ all: true })).map((c) => `${r.plan.hosts[i].name} ${c.Id} ${c.State}`),
            ),
        );
        return lists.flat().sort();
    };

    /** The stack config with these pins (server -> rig host name) on top of the current ones. */
    const withPins = (base: StackConfigObject, pins: Record<string, string>): StackConfigObject => {
        const cluster = base.cluster as StackConfigObject;
        const placement = (cluster.placement as { pins?: Record<string, string> } | undefined) ?? {};
        return { ...base, cluster: { ...cluster, placement: { ...placement, pins: { ...placement.pins, ...pins } } } };
    };

    /**
     * Records every `+switch-master` each Sentinel publishes, with when it arrived: when the
     * Sentinels named a new master, to compare with when a container stopped.
     */
    const watchSwitches = async () => {
        const seen: { sentinel: string; at: number; to: string }[] = [];
        const clients = sentinelsOf(plan).map((s) => {
            const client = new Redis({ host: s.host, port: s.port, password: credentials.sentinelPassword, maxRetriesPerRequest: 1 });
            client.on("error", () => undefined);
            client.on("message", (_channel: string, message: string) => {
                // "<master name> <old ip> <old port> <new ip> <new port>"
                const [, , , ip, port] = message.split(" ");
                seen.push({ sentinel: s.name, at: Date.now(), to: `${ip}:${port}` });
            });
            return client;
        });
        await Promise.all(clients.map((c) => c.subscribe("+switch-master")));
        return { seen, close: () => clients.forEach((c) => c.disconnect()) };
    };

    /** What an engine recorded of one container between two times (epoch ms): each action and when, in ms. */
    const containerEvents = async (docker: Docker, id: string, since: number, until: number) => {
        const stream = await docker.getEvents({
            since: Math.floor(since / 1000) - 1,
            until: Math.ceil(until / 1000),
            filters: JSON.stringify({ container: [id] }),
        });
        let text = "";
        for await (const chunk of stream) text += String(chunk);
        return text
            .split("\n")
            .filter((line) => line.trim() !== "")
            .map((line) => JSON.parse(line) as { Action: string; timeNano: number; Actor?: { Attributes?: Record<string, string> } })
            .map((e) => ({ action: e.Action, at: e.timeNano / 1e6, signal: e.Actor?.Attributes?.signal }));
    };

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

    // After the cut, which needs both remaining Sentinels acting: the freeze leaves its host's
    // Sentinel in TILT for 30 s, and the two cases after it need no Sentinel to act, so they run
    // while it lasts instead of this case waiting it out.
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
            // The frozen host's Sentinel saw its clock jump: it is in TILT (for 30 s, which this
            // case does not wait out; the redis-2 move waits for it, after two cases that overlap it).
            const thawedSentinel = sentinelsOf(plan).find((x) => hostIndexOf(x.name) === frozen) as SentinelEndpoint;
            const tiltMs = await sentinelTilt(thawedSentinel, true, 10_000);
            const report = await verifyUntilSettled(plan, credentials, {}, 120);
            expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
            expect((await currentMaster()).name, "no failover").to.equal(master.name);
            const result = await writer.stop();
            console.log(
                `      host freeze (${r.plan.hosts[frozen].name}, master ${master.name} elsewhere): ${during} batches confirmed while frozen; write outage ${writer.outageAfter(faultAt)} ms; its Sentinel in TILT ${tiltMs} ms after the thaw; ${formatWriterReport(result)}`,
            );
            expect(during, "writes went on while the host was frozen").to.be.greaterThan(100);
            expect(result.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await r.thaw(frozen).catch(() => undefined);
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
            expect(failure?.cause).to.include({ kind: "unreachable", host: host.tcp?.endpoint ?? host.endpoint });
        } finally {
            await r.start(down);
        }
        const report = await verifyUntilSettled(plan, credentials, {}, 120);
        expect(report.ok, JSON.stringify(report.checks.filter((c) => !c.ok))).to.equal(true);
        const again = await (deployer as ReplayDeployer).up(config);
        expect(again.changes.replaced, "containers replaced by the up after the host came back").to.deep.equal([]);
    });

    it("removing one of three hosts without survive: none is refused before anything changes, and the writer sees nothing", async () => {
        const cluster = config.cluster as StackConfigObject;
        const fewer: StackConfigObject = {
            ...config,
            cluster: { ...cluster, hosts: (cluster.hosts as StackConfigObject[]).slice(0, STACK_HOSTS - 1) },
        };
        const before = await containersOnStackHosts();
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            await waitFor("writes confirmed before the up", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const at = Date.now();
            const failure = await (deployer as ReplayDeployer).up(fewer).then(
                () => undefined,
                (err: unknown) => err as Error,
            );
            const tookMs = Date.now() - at;
            expect(failure, "an up with two of three hosts passed").to.be.instanceOf(Error);
            expect(String(failure)).to.include(`The config of stack "test" is invalid; nothing was created`);
            expect(String(failure)).to.match(/appscreens-redis:cluster\.hosts: 2 host\(s\) cannot keep a Sentinel majority/);
            expect(String(failure), "the message names the way out").to.include("placement.survive");
            expect(await containersOnStackHosts(), "containers after the refused up").to.deep.equal(before);
            // A few more batches, so that a gap the refused up caused would show.
            const after = Date.now();
            await waitFor(
                "writes confirmed after the refused up",
                async () => (writer.confirmedSince(after) > 20 ? true : undefined),
                30_000,
            );
            const outage = writer.outageAfter(at) ?? 0;
            const report = await writer.stop();
            console.log(
                `      remove a host (3 -> 2, no survive: none): refused in ${tookMs} ms; longest write gap ${outage} ms; ${formatWriterReport(report)}`,
            );
            expect(report.errors, "failed write batches").to.equal(0);
            // Below down-after-milliseconds (1000): no server stopped or failed over.
            expect(outage, "write gap during the refused up").to.be.below(1000);
            expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await writer.stop().catch(() => undefined);
        }
    });

    // The move below leaves redis-2 pinned on another host: the volume case and the master's move
    // after it start from there (`config` carries the pin from here on).
    it("day 2: a node pinned to another host moves there under writes, and the Sentinels forget its old address", async () => {
        const r = rig as Rig;
        // The freeze case's Sentinel may still be in TILT; the planned failover and the move need it.
        await noSentinelInTilt();
        const from = hostIndexOf("redis-2");
        const to = (from + 1) % STACK_HOSTS;
        // A replica's move, always: the master's has its own case below. Which node is master here
        // depends on the failovers before, so a planned failover moves the role off redis-2 first.
        if ((await currentMaster()).name === "redis-2") await plannedFailover(plan, credentials, { method: "handover", timeoutMs: 90_000 });
        const before = await currentMaster();
        expect(before.name, "the master before the move").to.not.equal("redis-2");
        const oldAddress = plan.servers.find((x) => x.name === "redis-2")?.announced as string;
        const moved = withPins(config, { "redis-2": r.plan.hosts[to].name });
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
            config = moved;
            plan = buildPostDeployPlan(settingsOf(moved));
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
                `      move redis-2 (a replica; master ${before.name}) ${r.plan.hosts[from].name} -> ${r.plan.hosts[to].name}: up took ${tookMs} ms; write outage ${writer.outageAfter(at) ?? 0} ms; ${formatWriterReport(report)}`,
            );
            expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await writer.stop().catch(() => undefined);
        }
    });

    it("finds each data volume on the engine of its host, and the one the move left on the old host", async () => {
        const r = rig as Rig;
        const settings = settingsOf(config);
        const names = possibleDataVolumes(settings).map((v) => v.name);
        const found = await readVolumesEverywhere(stackEngines(), names);
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
    // After the volume case, which expects a left-behind volume of redis-2's only.
    it("day 2: the master pinned to another host hands the role over before its container stops, then rejoins there as a replica; 0 confirmed lost", async () => {
        const r = rig as Rig;
        // Not redis-0: every container's scripts name redis-0's announced address as the first
        // boot's master, so moving redis-0 replaces every node and Sentinel (seen here: a rolling
        // replacement of all six). Which node is master here depends on the failovers before; when
        // it is redis-0, a planned failover hands the role to redis-1 or redis-2, either of which
        // moves alone (no pin before it shifts another node: redis-2 is pinned already).
        let master = await currentMaster();
        if (master.name === "redis-0") {
            await plannedFailover(plan, credentials, { method: "handover", timeoutMs: 90_000 });
            master = await currentMaster();
        }
        expect(master.name, "the node to move").to.not.equal("redis-0");
        const name = master.name;
        const from = hostIndexOf(name);
        // A stack host it has no data volume on, so it starts empty and syncs as on a new machine;
        // of those the one with the fewest nodes, so the placement still survives any one host.
        const settings = settingsOf(config);
        const volume = possibleDataVolumes(settings).find((v) => v.server === name)?.name as string;
        const withVolume = (await readVolumesEverywhere(stackEngines(), [volume])).map((v) => v.host);
        const nodesOn = (i: number) => nodesOf(plan).filter((n) => hostIndexOf(n.name) === i).length;
        const to = [0, 1, 2]
            .filter((i) => i !== from && !withVolume.includes(r.plan.hosts[i].name))
            .sort((a, b) => nodesOn(a) - nodesOn(b))[0];
        expect(to, `a host without ${volume}`).to.be.a("number");
        const oldAddress = master.announced;
        const { container: old } = await containerOf(name);
        const moved = withPins(config, { [name]: r.plan.hosts[to].name });
        const switches = await watchSwitches();
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            await waitFor("writes confirmed before the move", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const at = Date.now();
            const result = await (deployer as ReplayDeployer).up(moved);
            const tookMs = Date.now() - at;
            const events = await containerEvents(r.host(from).docker, old.id, at, Date.now());
            outputs = result.outputs as unknown as StackOutputs;
            config = moved;
            plan = buildPostDeployPlan(settingsOf(moved));
            const containers = result.changes.replaced.filter((k) => k.startsWith("docker:index/container:Container::"));
            expect(
                containers.filter((k) => k.includes(`::${name}`)),
                `${name}'s container replaced`,
            ).to.not.deep.equal([]);
            expect(
                containers.filter((k) => !k.includes(`::${name}`)),
                `only ${name}'s containers replaced`,
            ).to.deep.equal([]);
            expect(hostIndexOf(name), `${name}'s host`).to.equal(to);
            const onOld = await r
                .host(from)
                .docker.listContainers({ all: true, filters: JSON.stringify({ label: [`appscreens.node=${name}`] }) });
            expect(onOld, `a ${name} container left on its old host`).to.deep.equal([]);

            // Handed over before it stopped: a majority of the Sentinels named another node
            // before Redis in the old container exited (the engine's `die`), which a stop without
            // the hand-over (the Sentinels failing over after down-after-milliseconds) cannot show.
            const died = events.find((e) => e.action === "die")?.at;
            expect(died, `the old ${name} container's die event (${JSON.stringify(events)})`).to.be.a("number");
            const firstSwitch = new Map<string, { at: number; to: string }>();
            for (const x of switches.seen) if (!firstSwitch.has(x.sentinel)) firstSwitch.set(x.sentinel, x);
            const switchedBefore = [...firstSwitch.values()].filter((x) => x.at < (died as number));
            expect(switchedBefore.length, "Sentinels naming a new master before the old one died").to.be.at.least(
                Math.floor(sentinelsOf(plan).length / 2) + 1,
            );
            expect(
                switchedBefore.map((x) => x.to).filter((a) => a === oldAddress),
                "a switch to the moving node",
            ).to.deep.equal([]);

            // The new master is another node; the moved one follows it from its new address:port.
            const now = await currentMaster();
            expect(now.name, "the master after the move").to.not.equal(name);
            const node = nodesOf(plan).find((n) => n.name === name);
            const newAddress = node?.announced as string;
            expect(newAddress.split(":")[0], "the moved node's announced address").to.equal(r.plan.hosts[to].address);
            expect(newAddress).to.not.equal(oldAddress);
            const role = await withDirectClient(node as NonNullable<typeof node>, credentials.redisPassword, async (c) =>
                parseInfo(await c.info("replication")),
            );
            expect([role.role, `${role.master_host}:${role.master_port}`, role.master_link_status], `${name}'s replication`).to.deep.equal([
                "slave",
                now.announced,
                "up",
            ]);
            const onMaster = replicaOffsets((await readMasterReplication(now, credentials.redisPassword)).info ?? {});
            expect(
                onMaster.filter((x) => x.address === newAddress).map((x) => x.state),
                `${now.name} lists ${name} at its new address`,
            ).to.deep.equal(["online"]);
            expect(
                onMaster.map((x) => x.address),
                `${now.name} lists the old address`,
            ).to.not.include(oldAddress);
            const views = await readSentinelViews(plan, credentials, sentinelsOf(plan));
            for (const v of views) {
                expect(v.error, v.name).to.equal(undefined);
                const named = [v.masterAddress, ...(v.replicas ?? []).map((x) => x.address)];
                expect(named, `${v.name} names the old address`).to.not.include(oldAddress);
                expect(
                    (v.replicas ?? []).filter((x) => x.address === newAddress && replicaLinked(x, now.announced)).length,
                    `${v.name} sees ${name} linked at ${newAddress}`,
                ).to.equal(1);
            }
            const outage = writer.outageAfter(at) ?? 0;
            const report = await writer.stop();
            const kill = events.find((e) => e.action === "kill")?.at;
            console.log(
                `      move the master ${name} ${r.plan.hosts[from].name} -> ${r.plan.hosts[to].name} (new master ${now.name}): up took ${tookMs} ms; ` +
                    `SIGTERM to exit ${kill === undefined ? "?" : Math.round((died as number) - kill)} ms, Sentinels switched ` +
                    `${[...firstSwitch.values()].map((x) => `${Math.round(x.at - (died as number))}`).join("/")} ms from the exit; write outage ${outage} ms; ${formatWriterReport(report)}`,
            );
            expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            switches.close();
            await writer.stop().catch(() => undefined);
        }
    });

    // After the master's move: adds the rig's idle fourth engine to the hosts list, then takes it out again.
    it("adding a fourth host places no server there (round-robin already spreads 3 + 3), creates only its network, and removing it deletes that; 0 confirmed lost", async () => {
        const r = rig as Rig;
        const extra = r.plan.hosts[STACK_HOSTS];
        const cluster = config.cluster as StackConfigObject;
        const added: StackConfigObject = {
            ...config,
            cluster: {
                ...cluster,
                hosts: [...(cluster.hosts as StackConfigObject[]), { name: extra.name, docker: extra.endpoint, address: extra.address }],
            },
        };
        const before = await containersOnStackHosts();
        const writer = new ConfirmedWriter(outputs, outputs.redisPassword).start();
        try {
            await waitFor("writes confirmed before the up", async () => (writer.confirmedSince(0) > 20 ? true : undefined), 30_000);
            const at = Date.now();
            const grown = await (deployer as ReplayDeployer).up(added);
            const addMs = Date.now() - at;
            // The post-deploy command runs again (its plan names the new host); no Docker object is replaced.
            expect(
                grown.changes.replaced.filter((k) => k.startsWith("docker:")),
                "replaced when a host was added",
            ).to.deep.equal([]);
            expect(
                grown.changes.created.filter((k) => !k.includes(extra.name)),
                "created elsewhere than on the new host",
            ).to.deep.equal([]);
            const networks = await r.host(STACK_HOSTS).docker.listNetworks({ filters: JSON.stringify({ label: ["appscreens.test-run"] }) });
            expect(networks.length, "the stack's networks on the new host").to.equal(1);
            expect(await r.host(STACK_HOSTS).docker.listContainers({ all: true }), "containers on the new host").to.deep.equal([]);
            expect(await containersOnStackHosts(), "containers on the other hosts").to.deep.equal(before);
            const at2 = Date.now();
            const shrunk = await (deployer as ReplayDeployer).up(config);
            const removeMs = Date.now() - at2;
            expect(
                shrunk.changes.replaced.filter((k) => k.startsWith("docker:")),
                "replaced when the host was removed",
            ).to.deep.equal([]);
            expect(
                shrunk.changes.deleted.filter((k) => !k.includes(extra.name)),
                "deleted elsewhere than on the removed host",
            ).to.deep.equal([]);
            expect(
                await r.host(STACK_HOSTS).docker.listNetworks({ filters: JSON.stringify({ label: ["appscreens.test-run"] }) }),
                "the stack's networks left on the removed host",
            ).to.deep.equal([]);
            expect(await containersOnStackHosts(), "containers after the host was removed").to.deep.equal(before);
            const outage = writer.outageAfter(at) ?? 0;
            const report = await writer.stop();
            console.log(
                `      add ${extra.name} then remove it: created ${JSON.stringify(grown.changes.created)}, then deleted ${JSON.stringify(shrunk.changes.deleted)}; up took ${addMs} ms, then ${removeMs} ms; write outage ${outage} ms; ${formatWriterReport(report)}`,
            );
            expect(report.lostConfirmed, "confirmed writes lost").to.equal(0);
        } finally {
            await writer.stop().catch(() => undefined);
        }
    });
});
