// The test stack spread over three real Docker hosts (the rig: tests/support/rig/), deployed
// through each host's provider by the replay deployer, with whole-host faults injected for real
// under the WAIT-confirmed writer (issue 16). The deploy itself runs the post-deploy verifier.
import { expect } from "chai";
import Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { buildPostDeployPlan, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { waitForMasterMoved, waitForSettledCluster } from "../../ops/cluster/settle";
import { Credentials } from "../../ops/redis/connect";
import { readSentinelViews } from "../../ops/redis/cluster-view";
import { verifyUntilSettled } from "../../ops/verify/verifier";
import { StackOutputs } from "../../settings/connection-info";
import { validateStackConfig } from "../../settings/validate";
import { StackConfigObject } from "../../settings/stack-file";
import { ConfirmedWriter, formatWriterReport } from "../support/live/confirmed-writer";
import { testStackConfig } from "../support/live/live-cluster";
import { waitFor } from "../support/live/wait";
import { EngineRoutes } from "../support/replay/engines";
import { ReplayDeployer } from "../support/replay/replay-deployer";
import { rigCgroupsAvailable } from "../support/rig/cgroups";
import { Rig } from "../support/rig/rig";
import { onRigHosts } from "../support/rig/stack";
import { requireProgram } from "../support/require-program";

const PREFIX = "hosts16";
// Its own subnet: the rig suite (tests/live/rig.test.ts) uses 10.231.16.0/24.
const SUBNET = "10.231.18.0/24";
const IMAGE = (testStackConfig().cluster as { image: { name: string } }).image.name;

describe("live: the test stack on three Docker hosts", function () {
    this.timeout(600_000);
    let rig: Rig | undefined;
    let deployer: ReplayDeployer | undefined;
    let stateDir: string | undefined;
    let outputs: StackOutputs;
    let plan: PostDeployPlan;
    let credentials: Credentials;

    before(async function () {
        if (process.getuid?.() !== 0 || !rigCgroupsAvailable()) {
            const message = "the multi-host suite needs root and cgroup v2, or v1 with the pids and freezer hierarchies";
            if (process.env.CI) throw new Error(message);
            console.warn(`skipping: ${message}`);
            this.skip();
        }
        requireProgram(this, "dockerd", ["--version"], "Debian's docker.io package");
        rig = await Rig.up({ prefix: PREFIX, hosts: 3, subnet: SUBNET }, { image: IMAGE, imageSource: new Docker() });
        const config: StackConfigObject = onRigHosts(testStackConfig(), rig.plan);
        stateDir = mkdtempSync(path.join(tmpdir(), `${PREFIX}-`));
        // index.ts refuses `pulumi up` with hosts until this suite passes in CI; the replay runs the
        // program as a preview would and still creates every object (ReplayOptions.upAsDryRun).
        deployer = new ReplayDeployer("test", PREFIX, stateDir, new EngineRoutes(), { upAsDryRun: true });
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
            const engineAnswers = await Promise.race([
                r
                    .host(dead)
                    .docker.ping()
                    .then(() => true)
                    .catch(() => false),
                new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000)),
            ]);
            expect(engineAnswers, "the killed host's engine answered").to.equal(false);
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
});
