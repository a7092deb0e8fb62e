import { expect } from "chai";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { BackupManifest } from "../../ops/backup/manifest";
import { RestoreResult } from "../../ops/backup/run-restore";
import { runOpsCli } from "../support/live/cli";
import { LiveCluster } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";

/** Every key of the test dataset with its value and PTTL (-1: no expiry) when it was read. */
type Snapshot = Map<string, { value: string; pttl: number }>;

const DATASET = 3000;

async function writeDataset(cluster: LiveCluster): Promise<void> {
    const client = cluster.viaSentinel();
    const pipeline = client.pipeline();
    for (let i = 0; i < DATASET; i++) {
        // Two in three keys expire, at different times; the others never do.
        if (i % 3 === 0) pipeline.set(`restore:${i}`, `value-${i}`);
        else pipeline.set(`restore:${i}`, `value-${i}`, "EX", 3600 + i);
    }
    const failed = ((await pipeline.exec()) ?? []).filter(([err]) => err);
    expect(failed).to.deep.equal([]);
    expect(await client.wait(2, 10_000)).to.equal(2);
}

async function snapshot(cluster: LiveCluster, node: string): Promise<Snapshot> {
    const client = cluster.direct(node);
    const keys = Array.from({ length: DATASET }, (_, i) => `restore:${i}`);
    const out: Snapshot = new Map();
    for (let i = 0; i < keys.length; i += 500) {
        const chunk = keys.slice(i, i + 500);
        const pipeline = client.pipeline();
        for (const k of chunk) pipeline.get(k).pttl(k);
        const replies = (await pipeline.exec()) ?? [];
        chunk.forEach((k, j) => out.set(k, { value: String(replies[2 * j][1]), pttl: Number(replies[2 * j + 1][1]) }));
    }
    return out;
}

/** Keys missing or changed on `node`, and keys whose expiry was lost, moved later, or ran past the time elapsed. */
function differences(before: Snapshot, after: Snapshot, elapsedMs: number): string[] {
    const problems: string[] = [];
    for (const [key, b] of before) {
        const a = after.get(key);
        if (!a || a.value !== b.value) problems.push(`${key}: value ${a?.value} != ${b.value}`);
        else if (b.pttl === -1 && a.pttl !== -1) problems.push(`${key}: gained a TTL ${a.pttl}`);
        else if (b.pttl > 0 && !(a.pttl > 0 && a.pttl <= b.pttl && a.pttl >= b.pttl - elapsedMs)) {
            problems.push(`${key}: PTTL ${a.pttl}, was ${b.pttl} ${elapsedMs} ms earlier`);
        }
    }
    return problems;
}

describe("live: backup and restore", function () {
    this.timeout(600_000);
    const cluster = useLiveCluster(this);
    let work: string;
    let backupDir: string;
    let original: Snapshot;
    /** When the original snapshot began: no TTL can have run down by more than the time since. */
    let snapshotAt: number;

    before(async () => {
        work = mkdtempSync(path.join(tmpdir(), "appscreens-backup-live-"));
        backupDir = path.join(work, "backup");
        await cluster.settled();
        await writeDataset(cluster);
    });

    after(() => {
        if (work) rmSync(work, { recursive: true, force: true });
    });

    it("backs up from a replica: RDB and AOF directory with a manifest, no configuration, no secret", async () => {
        const master = await cluster.settled();
        snapshotAt = Date.now();
        original = await snapshot(cluster, master);
        const keysBefore = await cluster.direct(master).dbsize();
        const run = await runOpsCli("backup", cluster, ["--out", backupDir, "--json"]);
        expect(run.code, run.stderr).to.equal(0);
        const manifest = JSON.parse(run.stdout) as BackupManifest;
        expect(manifest.stack).to.equal("test");
        expect(manifest.source.role).to.equal("replica");
        expect(manifest.source.node).to.not.equal(master);
        expect(manifest.source.master).to.equal(master);
        expect(manifest.redis.version).to.equal("7.0.15");
        // Nothing was written meanwhile: the snapshot holds exactly the master's keys.
        expect(manifest.dataset.keys).to.equal(keysBefore);
        const files = manifest.files.map((f) => f.path);
        expect(files).to.include("dump.rdb");
        expect(files).to.include("appendonlydir/appendonly.aof.manifest");
        expect(files.some((f) => /^appendonlydir\/appendonly\.aof\.\d+\.base\.rdb$/.test(f))).to.equal(true);
        const onDisk = [
            ...readdirSync(backupDir),
            ...readdirSync(path.join(backupDir, "appendonlydir")).map((f) => `appendonlydir/${f}`),
        ].filter((f) => f !== "appendonlydir");
        expect(onDisk.sort()).to.deep.equal([...files, "manifest.json"].sort());
        for (const f of onDisk) {
            const content = readFileSync(path.join(backupDir, f));
            for (const secret of [cluster.outputs.redisPassword, cluster.outputs.sentinelPassword]) {
                expect(content.includes(Buffer.from(secret)), `${f} holds a password`).to.equal(false);
            }
            expect(statSync(path.join(backupDir, f)).mode & 0o077, `${f} is readable by others`).to.equal(0);
        }
    });

    it("refuses a corrupt backup and changes nothing", async () => {
        const corrupt = path.join(work, "corrupt");
        cpSync(backupDir, corrupt, { recursive: true });
        const rdb = readFileSync(path.join(corrupt, "dump.rdb"));
        rdb[Math.floor(rdb.length / 2)] ^= 0xff;
        writeFileSync(path.join(corrupt, "dump.rdb"), rdb);

        const master = await cluster.settled();
        await cluster.viaSentinel().set("restore:canary", "still here");
        const started = await Promise.all(cluster.nodeNames.map(async (n) => (await cluster.container(n).inspect()).State.StartedAt));
        const keys = await cluster.direct(master).dbsize();

        const run = await runOpsCli("restore", cluster, ["--from", corrupt, "--force"]);
        expect(run.code).to.equal(1);
        expect(run.stderr).to.match(/\[corrupt\] dump\.rdb does not match its sha256 checksum/);
        expect(run.stderr).to.match(/nothing was changed/);
        expect(await Promise.all(cluster.nodeNames.map(async (n) => (await cluster.container(n).inspect()).State.StartedAt))).to.deep.equal(
            started,
        );
        expect(await cluster.settled()).to.equal(master);
        expect(await cluster.direct(master).dbsize()).to.equal(keys);
        expect(await cluster.direct(master).get("restore:canary")).to.equal("still here");
    });

    it("refuses a backup of another stack, and a target that holds keys without --force", async () => {
        const other = path.join(work, "other-stack");
        cpSync(backupDir, other, { recursive: true });
        const manifest = JSON.parse(readFileSync(path.join(other, "manifest.json"), "utf8")) as BackupManifest;
        writeFileSync(path.join(other, "manifest.json"), JSON.stringify({ ...manifest, stack: "prod" }));
        const mismatch = await runOpsCli("restore", cluster, ["--from", other, "--force"]);
        expect(mismatch.code).to.equal(1);
        expect(mismatch.stderr).to.match(/\[mismatch\] the backup is of stack prod, not test/);

        const notForced = await runOpsCli("restore", cluster, ["--from", backupDir]);
        expect(notForced.code).to.equal(1);
        expect(notForced.stderr).to.match(/holds \d+ keys; a restore replaces the whole dataset.*--force/);
        expect(await cluster.viaSentinel().get("restore:canary")).to.equal("still here");
    });

    // Also the path for turning TLS and the users on for an existing stack (docs/tls.md, "Turning TLS on
    // for an existing stack"): both are creation-time choices, so the stack is re-created with them and
    // its backup restored into it, by the CLIs over TLS as the tools' user.
    it("restores every key and TTL into the stack re-created with TLS and users, whose master is not redis-0, on every node", async () => {
        await cluster.redeploy({ cluster: { tls: { enabled: true }, users: { enabled: true } } });
        expect(cluster.outputs.adminUser, "re-created with users").to.equal("admin");
        expect(cluster.toolsTls, "re-created with TLS").to.not.equal(undefined);
        await cluster.settled();
        // Restore must follow the Sentinels, not the declared topology.
        const failover = await runOpsCli("failover", cluster, []);
        expect(failover.code, failover.stderr).to.equal(0);
        const master = await cluster.settled(90_000);
        expect(master).to.not.equal("redis-0");
        await cluster.viaSentinel().set("fresh:only", "gone after the restore");

        const dry = await runOpsCli("restore", cluster, ["--from", backupDir, "--force", "--dry-run", "--json"]);
        expect(dry.code, dry.stderr).to.equal(0);
        expect((JSON.parse(dry.stdout) as RestoreResult).applied).to.equal(false);
        expect(await cluster.viaSentinel().get("fresh:only")).to.equal("gone after the restore");

        const run = await runOpsCli("restore", cluster, ["--from", backupDir, "--force", "--json"]);
        expect(run.code, run.stderr).to.equal(0);
        const result = JSON.parse(run.stdout) as RestoreResult;
        expect(result.applied).to.equal(true);
        expect(result.master).to.equal(master);
        expect(result.verification?.failed).to.deep.equal([]);

        expect(await cluster.settled()).to.equal(master);
        for (const node of cluster.nodeNames) {
            // The bound is taken after each node's snapshot: its TTLs ran down until it was read.
            const after = await snapshot(cluster, node);
            expect(differences(original, after, Date.now() - snapshotAt).slice(0, 5), node).to.deep.equal([]);
            expect(await cluster.direct(node).get("fresh:only"), node).to.equal(null);
            expect(await cluster.direct(node).dbsize(), node).to.equal(result.manifest.dataset.keys);
        }
        // The moved-aside data was deleted after verification.
        const listing = await cluster.exec(master, ["ls", "/data"]);
        expect(listing).to.not.match(/pre-restore-|restore-incoming/);
        expect(existsSync(backupDir)).to.equal(true);
    });
});
