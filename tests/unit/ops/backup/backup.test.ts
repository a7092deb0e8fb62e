import { expect } from "chai";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pack } from "tar-stream";
import type Docker from "dockerode";
import { copyOut, DockerStepError } from "../../../../ops/backup/docker-volumes";
import {
    BackupRejected,
    buildManifest,
    checkFiles,
    checkTarget,
    MANIFEST_FILE,
    manifestSchema,
    readBackup,
    versionProblem,
} from "../../../../ops/backup/manifest";
import { parseRdbHeader, RdbFormatError } from "../../../../ops/backup/rdb-header";
import { fileContainsAny, pickReplica } from "../../../../ops/backup/run-backup";

const FIXTURES = path.join(__dirname, "..", "..", "..", "fixtures");
const rdb = readFileSync(path.join(FIXTURES, "replica-11-keys.rdb"));
const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("backup: RDB head", () => {
    it("reads the version, aux fields and exact key counts of an RDB Redis 7.0 wrote on a replica", () => {
        const head = parseRdbHeader(rdb);
        expect(head.rdbVersion).to.equal(10);
        expect(head.aux["redis-ver"]).to.equal("7.0.15");
        expect(head.aux["repl-id"]).to.match(/^[0-9a-f]{40}$/);
        expect(head.firstDatabase).to.deep.equal({ db: 0, keys: 11, expires: 3 });
    });

    it("reads an RDB without keys", () => {
        const head = parseRdbHeader(readFileSync(path.join(FIXTURES, "empty.rdb")));
        expect(head.aux["redis-ver"]).to.equal("7.0.15");
        expect(head.firstDatabase).to.equal(undefined);
    });

    it("rejects what is not an RDB, or is cut short, as corrupt", () => {
        for (const bad of [Buffer.from("hello world"), rdb.subarray(0, 40)]) {
            let err: unknown;
            try {
                parseRdbHeader(bad);
            } catch (e) {
                err = e;
            }
            expect(err).to.be.instanceOf(RdbFormatError);
            expect((err as RdbFormatError).kind).to.equal("corrupt");
        }
    });
});

const manifestFor = (files = [{ path: "dump.rdb", bytes: rdb.length, sha256: sha(rdb) }], stack = "test") =>
    buildManifest({
        stack,
        masterName: "mymaster",
        createdAt: new Date("2026-11-25T12:00:00Z"),
        sourceNode: "redis-1",
        masterNode: "redis-0",
        redisVersion: "7.0.15",
        rdb: parseRdbHeader(rdb),
        files,
    });

describe("backup: manifest", () => {
    it("describes the snapshot: stack, source, Redis version, exact key count, every file's checksum", () => {
        const m = manifestFor();
        expect(m).to.deep.include({
            format: "appscreens-redis-backup",
            formatVersion: 1,
            stack: "test",
            createdAt: "2026-11-25T12:00:00.000Z",
        });
        expect(m.source).to.deep.equal({ node: "redis-1", role: "replica", master: "redis-0" });
        expect(m.redis).to.deep.equal({ version: "7.0.15", rdbVersion: 10 });
        expect(m.dataset).to.deep.equal({ db: 0, keys: 11, expires: 3 });
        expect(m.files[0].sha256).to.equal(sha(rdb));
    });

    it("refuses an RDB written by another version than the replica reports", () => {
        expect(() =>
            buildManifest({
                ...{ stack: "t", masterName: "m", createdAt: new Date(), sourceNode: "a", masterNode: "b", files: [] },
                redisVersion: "7.2.4",
                rdb: parseRdbHeader(rdb),
            }),
        ).to.throw(/written by Redis 7.0.15 but the replica runs 7.2.4/);
    });

    it("rejects paths that leave the backup directory and manifests without the RDB", () => {
        const m = manifestFor();
        expect(
            manifestSchema.safeParse({ ...m, files: [...m.files, { path: "../etc/passwd", bytes: 1, sha256: "0".repeat(64) }] }).success,
        ).to.equal(false);
        expect(manifestSchema.safeParse({ ...m, files: [{ path: "/abs", bytes: 1, sha256: "0".repeat(64) }] }).success).to.equal(false);
        expect(manifestSchema.safeParse({ ...m, files: [] }).success).to.equal(false);
    });

    it("finds missing, resized and altered files", () => {
        const m = manifestFor([
            { path: "dump.rdb", bytes: 10, sha256: "a".repeat(64) },
            { path: "appendonlydir/x", bytes: 5, sha256: "b".repeat(64) },
            { path: "appendonlydir/y", bytes: 5, sha256: "c".repeat(64) },
        ]);
        const problems = checkFiles(
            m,
            new Map([
                ["dump.rdb", { path: "dump.rdb", bytes: 10, sha256: "a".repeat(64) }],
                ["appendonlydir/x", { path: "appendonlydir/x", bytes: 6, sha256: "b".repeat(64) }],
                ["appendonlydir/y", { path: "appendonlydir/y", bytes: 5, sha256: "d".repeat(64) }],
            ]),
        );
        expect(problems.map((p) => p.message)).to.deep.equal([
            "appendonlydir/x has 6 bytes, the manifest says 5",
            "appendonlydir/y does not match its sha256 checksum",
        ]);
        expect(checkFiles(m, new Map()).map((p) => p.message)).to.include("dump.rdb is missing");
        expect(problems.every((p) => p.kind === "corrupt")).to.equal(true);
    });

    it("accepts the same major version, same or newer; refuses older targets and other majors", () => {
        expect(versionProblem("7.0.15", "7.0.15")).to.equal(undefined);
        expect(versionProblem("7.0.15", "7.2.4")).to.equal(undefined);
        expect(versionProblem("7.0.15", "7.0.11")).to.match(/newer than the stack's 7.0.11/);
        expect(versionProblem("7.0.15", "6.2.14")).to.match(/same major version/);
        expect(versionProblem("6.2.14", "7.0.15")).to.match(/same major version/);
    });

    it("refuses a backup of another stack unless told, and names each node whose version cannot load it", () => {
        const m = manifestFor(undefined, "prod");
        const target = { stack: "test", redisVersions: { "redis-0": "7.0.15", "redis-1": "7.0.11" } };
        const problems = checkTarget(m, target, { allowOtherStack: false });
        expect(problems.map((p) => p.kind)).to.deep.equal(["mismatch", "mismatch"]);
        expect(problems[0].message).to.match(/of stack prod, not test; pass --allow-other-stack/);
        expect(problems[1].message).to.match(/^redis-1: /);
        expect(checkTarget(m, target, { allowOtherStack: true })).to.have.length(1);
    });
});

describe("backup: reading a backup directory", () => {
    let dir: string;
    beforeEach(() => {
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-backup-test-"));
        cpSync(path.join(FIXTURES, "replica-11-keys.rdb"), path.join(dir, "dump.rdb"));
        writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifestFor()));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const rejection = async () => {
        const err = await readBackup(dir).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(BackupRejected);
        return err as BackupRejected;
    };

    it("accepts an intact backup", async () => {
        const { manifest } = await readBackup(dir);
        expect(manifest.dataset.keys).to.equal(11);
    });

    it("refuses a flipped byte in the RDB as corrupt", async () => {
        const bytes = readFileSync(path.join(dir, "dump.rdb"));
        bytes[bytes.length - 20] ^= 0xff;
        writeFileSync(path.join(dir, "dump.rdb"), bytes);
        const err = await rejection();
        expect(err.kinds).to.deep.equal(["corrupt"]);
        expect(err.message).to.match(/dump.rdb does not match its sha256 checksum/);
        expect(err.message).to.match(/nothing was changed/);
    });

    it("refuses a manifest whose key count disagrees with the RDB, a missing manifest, and one that is not JSON", async () => {
        writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify({ ...manifestFor(), dataset: { db: 0, keys: 12, expires: 3 } }));
        expect((await rejection()).message).to.match(/holds 11 keys \(3 with a TTL\), the manifest says 12/);
        writeFileSync(path.join(dir, MANIFEST_FILE), "{");
        expect((await rejection()).message).to.match(/is not JSON/);
        rmSync(path.join(dir, MANIFEST_FILE));
        expect((await rejection()).message).to.match(/manifest.json does not exist/);
    });
});

describe("backup: replica choice and secret scan", () => {
    const replica = (offset: string, overrides: Record<string, string> = {}) => ({
        role: "slave",
        master_link_status: "up",
        master_sync_in_progress: "0",
        master_host: "10.0.0.10",
        master_port: "6379",
        slave_repl_offset: offset,
        ...overrides,
    });

    it("takes the in-sync replica furthest along, and none when none is in sync", () => {
        expect(
            pickReplica(
                [
                    { node: "redis-1", replication: replica("100") },
                    { node: "redis-2", replication: replica("200") },
                    { node: "redis-3", replication: replica("300", { master_link_status: "down" }) },
                ],
                "10.0.0.10:6379",
            ),
        ).to.equal("redis-2");
        expect(pickReplica([{ node: "redis-1", replication: replica("100", { master_host: "10.0.0.12" }) }], "10.0.0.10:6379")).to.equal(
            undefined,
        );
        expect(pickReplica([{ node: "redis-1", replication: undefined }], "10.0.0.10:6379")).to.equal(undefined);
    });

    it("finds a password anywhere in a file, across read chunks", async () => {
        const dir = mkdtempSync(path.join(tmpdir(), "appscreens-scan-"));
        try {
            const file = path.join(dir, "f");
            const secret = "S3cretPassw0rdThatIsLong";
            // Larger than one read chunk (64 KiB), the secret straddling the boundary.
            writeFileSync(file, Buffer.concat([Buffer.alloc(65_536 - 5, 0x61), Buffer.from(secret), Buffer.alloc(1000, 0x62)]));
            expect(await fileContainsAny(file, [secret])).to.equal(true);
            expect(await fileContainsAny(file, ["otherPassword1234"])).to.equal(false);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("backup: copying out of a container's archive", () => {
    const archive = async (entries: { name: string; type?: "file" | "directory" | "symlink"; body?: string; linkname?: string }[]) => {
        const tar = pack();
        for (const e of entries) tar.entry({ name: e.name, type: e.type ?? "file", linkname: e.linkname }, e.body ?? "");
        tar.finalize();
        const chunks: Buffer[] = [];
        for await (const c of tar as unknown as AsyncIterable<Buffer>) chunks.push(c);
        return Buffer.concat(chunks);
    };
    // The Engine client's container handle, reduced to the one call copyOut makes.
    const containerServing = (tar: Buffer) => ({ getArchive: async () => Readable.from([tar]) }) as unknown as Docker.Container;
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "appscreens-copyout-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("writes the accepted files with their sha256 and size", async () => {
        const tar = await archive([
            { name: "appendonlydir/", type: "directory" },
            { name: "appendonlydir/a.base.rdb", body: "hello" },
        ]);
        const digests = await copyOut(containerServing(tar), "/data/appendonlydir", dir, (n) => n.startsWith("appendonlydir/"));
        expect(digests).to.deep.equal([{ path: "appendonlydir/a.base.rdb", bytes: 5, sha256: sha(Buffer.from("hello")) }]);
        expect(readFileSync(path.join(dir, "appendonlydir/a.base.rdb"), "utf8")).to.equal("hello");
    });

    it("refuses a file it was not asked for (the live redis.conf), links and paths out of the directory", async () => {
        for (const entries of [
            [{ name: "redis.conf", body: 'requirepass "x"' }],
            [{ name: "dump.rdb", type: "symlink" as const, linkname: "/etc/shadow" }],
            [{ name: "../escape", body: "x" }],
        ]) {
            const err = await copyOut(containerServing(await archive(entries)), "/data/x", dir, (n) => n === "dump.rdb").catch(
                (e: unknown) => e,
            );
            expect(err, JSON.stringify(entries)).to.be.instanceOf(DockerStepError);
            expect((err as DockerStepError).kind).to.equal("unsafe-archive");
        }
    });
});
