import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { declaredDataVolumes } from "../../settings/docker-names";
import { settingsFromStackFile } from "../../settings/stack-file";
import { Credentials } from "../../ops/redis/connect";
import { VolumesReport } from "../../ops/cluster/kept-volumes";
import { stepFailureKinds } from "../../contracts/step-failure";
import { runOpsCli } from "../support/live/cli";
import { TEST_STACK, testStackConfig } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";

const MARKERS = 500;
const marker = (i: number) => `kept-volumes:marker:${i}`;
const VOLUMES = declaredDataVolumes(settingsFromStackFile(TEST_STACK)).map((v) => v.name);
const IMAGE = (testStackConfig().cluster as { image: { name: string } }).image.name;

/**
 * An earlier password read from a kept volume as docs/operations.md shows (a helper container running
 * sed on the live config), never printed: the caller compares it.
 */
function passwordOnVolume(volume: string, file: string, directive: string): string {
    return execFileSync(
        "docker",
        [
            "run",
            "--rm",
            "-v",
            `${volume}:/data:ro`,
            "--entrypoint",
            "sed",
            IMAGE,
            "-n",
            `s/^${directive} "\\{0,1\\}\\([^"]*\\)"\\{0,1\\}$/\\1/p`,
            `/data/${file}`,
        ],
        { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
    ).replace(/\n$/, "");
}

/** Secrets compared without chai printing them on a mismatch. */
const same = (a: string, b: string): boolean => a === b;

describe("live: a stack re-created on the data volumes a destroy kept", function () {
    this.timeout(1_500_000);
    const cluster = useLiveCluster(this);
    let earlier: Credentials;

    async function volumes(args: string[] = []): Promise<{ code: number; report: VolumesReport; stderr: string }> {
        const run = await runOpsCli("volumes", cluster, ["--json", ...args]);
        return { code: run.code, report: JSON.parse(run.stdout) as VolumesReport, stderr: run.stderr };
    }

    async function markersPresent(): Promise<number> {
        const client = cluster.viaSentinel();
        let present = 0;
        for (let i = 0; i < MARKERS; i += 100) {
            const keys = Array.from({ length: Math.min(100, MARKERS - i) }, (_, j) => marker(i + j));
            present += await client.exists(...keys);
        }
        return present;
    }

    async function stackContainers(): Promise<string[]> {
        const list = await cluster.docker.listContainers({
            all: true,
            filters: JSON.stringify({ name: [`appscreens-redis-${TEST_STACK}-`] }),
        });
        return list.map((c) => c.Names[0]);
    }

    it("refuses to remove the volumes of a running stack", async () => {
        const { code, report, stderr } = await volumes(["--remove"]);
        expect(code, stderr).to.equal(1);
        expect(report.removed).to.deep.equal([]);
        expect(report.refused?.map((r) => r.name).sort()).to.deep.equal([...VOLUMES].sort());
        expect((await volumes()).report.volumes.map((v) => v.name)).to.deep.equal(VOLUMES);
    });

    // cluster.users is a creation-time choice: on a stack with data the servers' scripts and
    // configs would change under it (docs/security.md); the users-check stops the up first.
    it("refuses turning cluster.users on for the running stack, before anything changes", async () => {
        const containers = async () =>
            (await cluster.docker.listContainers({ all: true, filters: JSON.stringify({ name: [`appscreens-redis-${TEST_STACK}-`] }) }))
                .map((c) => `${c.Names[0]} ${c.Id} ${c.State}`)
                .sort();
        const before = await containers();
        const error = await cluster.up({ cluster: { users: { enabled: true } } }).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(error, "the up must fail").to.be.instanceOf(Error);
        const text = String(error);
        expect(stepFailureKinds(text)).to.deep.equal(["users-on-existing-stack"]);
        expect(text).to.include("cluster.users");
        for (const secret of [cluster.credentials.redisPassword, cluster.credentials.sentinelPassword])
            expect(text.includes(secret)).to.equal(false);
        // The same containers, still running: none was replaced, stopped or reconfigured.
        expect(await containers()).to.deep.equal(before);
        expect(await cluster.viaSentinel().ping()).to.equal("PONG");
    });

    it("stops a re-deploy with generated passwords before creating anything, naming the kept volumes", async () => {
        earlier = cluster.credentials;
        const client = cluster.viaSentinel();
        const pipeline = client.pipeline();
        for (let i = 0; i < MARKERS; i++) pipeline.set(marker(i), `written before the destroy ${i}`);
        await pipeline.exec();
        expect(await client.call("WAIT", "2", "5000")).to.equal(2);
        expect(await markersPresent()).to.equal(MARKERS);

        await cluster.destroyKeepingVolumes();
        const kept = (await volumes()).report.volumes;
        expect(kept.map((v) => v.name)).to.deep.equal(VOLUMES);
        for (const v of kept) expect(v.usedBy, v.name).to.deep.equal([]);

        const started = Date.now();
        const error = await cluster.up().then(
            () => undefined,
            (err: Error) => err,
        );
        console.log(`      re-deploy with generated passwords refused in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(error, "the re-deploy must fail").to.be.instanceOf(Error);
        const text = String(error);
        expect(stepFailureKinds(text)).to.deep.equal(["kept-volumes"]);
        for (const v of kept) expect(text).to.include(`${v.name} (created ${v.createdAt}, as Docker reports it)`);
        for (const secret of [earlier.redisPassword, earlier.sentinelPassword]) expect(text.includes(secret)).to.equal(false);
        // Nothing was made: no container, no network, and the volumes are as they were.
        expect(await stackContainers()).to.deep.equal([]);
        expect(await cluster.docker.listNetworks({ filters: JSON.stringify({ name: [`appscreens-redis-${TEST_STACK}`] }) })).to.deep.equal(
            [],
        );
        expect((await volumes()).report.volumes).to.deep.equal(kept);
    });

    it("stops at the first server on a kept volume when passwords set in the config are not the kept ones", async () => {
        // Explicit passwords may be the kept ones, so the volume check lets them through; the
        // first settings step on a kept volume finds out.
        const explicit = { redisPassword: "ExplicitRedisPassw0rdExplicit042", sentinelPassword: "ExplicitSentinelPassw0rdExpl042" };
        const started = Date.now();
        const error = await cluster.up(explicit).then(
            () => undefined,
            (err: Error) => err,
        );
        console.log(`      re-deploy with other explicit passwords refused in ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(error, "the re-deploy must fail").to.be.instanceOf(Error);
        const text = String(error);
        expect(stepFailureKinds(text)).to.deep.equal(["kept-volumes"]);
        expect(text).to.include(VOLUMES[0]);
        for (const secret of [earlier.redisPassword, earlier.sentinelPassword, ...Object.values(explicit)])
            expect(text.includes(secret)).to.equal(false);
        // Its containers now use the kept volumes: the removal refuses until a destroy.
        const { code, report } = await volumes(["--remove"]);
        expect(code).to.equal(1);
        expect(report.removed).to.deep.equal([]);
        expect(report.refused?.map((r) => r.name)).to.include(VOLUMES[0]);
        await cluster.destroyKeepingVolumes();
        expect(await stackContainers()).to.deep.equal([]);
    });

    it("adopts the kept data with the earlier passwords set as the previous ones, then retires them", async () => {
        // The documented way (docs/operations.md) to get them back from the volumes.
        expect(same(passwordOnVolume(VOLUMES[0], "redis.conf", "masterauth"), earlier.redisPassword), "masterauth on redis-0").to.equal(
            true,
        );
        const sentinelVolume = VOLUMES.find((v) => v.includes("-sentinel-0-"))!;
        expect(same(passwordOnVolume(sentinelVolume, "sentinel.conf", "sentinel sentinel-pass"), earlier.sentinelPassword)).to.equal(true);

        const adopting = { redisPasswordPrevious: earlier.redisPassword, sentinelPasswordPrevious: earlier.sentinelPassword };
        const started = Date.now();
        await cluster.up(adopting);
        console.log(`      adopting deploy: ${((Date.now() - started) / 1000).toFixed(1)} s`);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        expect(same(cluster.credentials.redisPassword, earlier.redisPassword), "a new generated password").to.equal(false);
        expect(await markersPresent()).to.equal(MARKERS);
        expect(await cluster.direct("redis-0").get(marker(7))).to.equal("written before the destroy 7");

        // As after a rotation: with the keys removed, the earlier passwords are refused.
        await cluster.up();
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        expect(await markersPresent()).to.equal(MARKERS);
        for (const node of cluster.nodeNames) {
            const reply = await cluster.exec(node, ["redis-cli", "--no-auth-warning", "ping"], { REDISCLI_AUTH: earlier.redisPassword });
            expect(reply, node).to.match(/WRONGPASS|NOAUTH|invalid/i);
        }
    });

    it("starts empty after the documented removal of the kept volumes", async () => {
        await cluster.destroyKeepingVolumes();
        const { code, report, stderr } = await volumes(["--remove"]);
        expect(code, stderr).to.equal(0);
        expect(report.removed).to.deep.equal(VOLUMES);
        expect(report.refused).to.deep.equal([]);
        expect((await volumes()).report.volumes).to.deep.equal([]);

        await cluster.up();
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
        expect(await markersPresent()).to.equal(0);
        for (const v of (await volumes()).report.volumes) expect(v.usedBy, v.name).to.have.length(1);
    });
});
