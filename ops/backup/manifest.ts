import { createHash } from "node:crypto";
import { createReadStream, existsSync, openSync, readFileSync, readSync, closeSync, statSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { parseRdbHeader, RdbHeader } from "./rdb-header";

export const MANIFEST_FILE = "manifest.json";
export const RDB_FILE = "dump.rdb";
export const FORMAT = "appscreens-redis-backup";

const relativePath = z
    .string()
    .min(1)
    .refine((p) => !path.isAbsolute(p) && !p.split(/[\\/]/).includes("..") && !p.includes("\0"), {
        error: "must be a relative path inside the backup directory",
    });

/** The backup's description, written next to the files. It holds no secret. */
export const manifestSchema = z.strictObject({
    format: z.literal(FORMAT),
    formatVersion: z.literal(1),
    stack: z.string().min(1),
    masterName: z.string().min(1),
    createdAt: z.iso.datetime(),
    source: z.strictObject({ node: z.string(), role: z.literal("replica"), master: z.string() }),
    redis: z.strictObject({ version: z.string().regex(/^\d+\.\d+\.\d+$/), rdbVersion: z.int().positive() }),
    /** From the RDB's own size hint: the keys of the snapshot, exactly. */
    dataset: z.strictObject({ db: z.int().min(0), keys: z.int().min(0), expires: z.int().min(0) }),
    files: z
        .array(z.strictObject({ path: relativePath, bytes: z.int().min(0), sha256: z.string().regex(/^[0-9a-f]{64}$/) }))
        .refine((files) => files.some((f) => f.path === RDB_FILE), { error: `must list ${RDB_FILE}` }),
});

export type BackupManifest = z.infer<typeof manifestSchema>;
export interface FileDigest {
    readonly path: string;
    readonly bytes: number;
    readonly sha256: string;
}

/** Why a backup cannot be restored; `kind` tells corruption from a backup of something else. */
export interface BackupProblem {
    readonly kind: "corrupt" | "mismatch";
    readonly message: string;
}

export class BackupRejected extends Error {
    constructor(readonly problems: readonly BackupProblem[]) {
        super(`the backup cannot be restored, nothing was changed:\n${problems.map((p) => `  - [${p.kind}] ${p.message}`).join("\n")}`);
        this.name = "BackupRejected";
    }
    get kinds(): string[] {
        return [...new Set(this.problems.map((p) => p.kind))];
    }
}

export interface ManifestInput {
    readonly stack: string;
    readonly masterName: string;
    readonly createdAt: Date;
    readonly sourceNode: string;
    readonly masterNode: string;
    readonly redisVersion: string;
    readonly rdb: RdbHeader;
    readonly files: readonly FileDigest[];
}

/** Pure: the manifest of a backup just taken; refuses an RDB without keys counted or another version. */
export function buildManifest(input: ManifestInput): BackupManifest {
    const written = input.rdb.aux["redis-ver"];
    if (written && written !== input.redisVersion) {
        throw new Error(`the RDB was written by Redis ${written} but the replica runs ${input.redisVersion}`);
    }
    return manifestSchema.parse({
        format: FORMAT,
        formatVersion: 1,
        stack: input.stack,
        masterName: input.masterName,
        createdAt: input.createdAt.toISOString(),
        source: { node: input.sourceNode, role: "replica", master: input.masterNode },
        redis: { version: input.redisVersion, rdbVersion: input.rdb.rdbVersion },
        dataset: input.rdb.firstDatabase ?? { db: 0, keys: 0, expires: 0 },
        files: [...input.files].sort((a, b) => a.path.localeCompare(b.path)),
    });
}

/** Pure: every listed file present with its size and checksum. */
export function checkFiles(manifest: BackupManifest, actual: ReadonlyMap<string, FileDigest | undefined>): BackupProblem[] {
    return manifest.files.flatMap((f): BackupProblem[] => {
        const got = actual.get(f.path);
        if (!got) return [{ kind: "corrupt", message: `${f.path} is missing` }];
        if (got.bytes !== f.bytes) return [{ kind: "corrupt", message: `${f.path} has ${got.bytes} bytes, the manifest says ${f.bytes}` }];
        if (got.sha256 !== f.sha256) return [{ kind: "corrupt", message: `${f.path} does not match its sha256 checksum` }];
        return [];
    });
}

/** Pure: the RDB's own head agrees with what the manifest says about it. */
export function checkRdbAgainstManifest(manifest: BackupManifest, rdb: RdbHeader): BackupProblem[] {
    const problems: BackupProblem[] = [];
    const written = rdb.aux["redis-ver"];
    if (written !== manifest.redis.version) {
        problems.push({
            kind: "corrupt",
            message: `${RDB_FILE} was written by Redis ${written ?? "?"}, the manifest says ${manifest.redis.version}`,
        });
    }
    const db = rdb.firstDatabase ?? { db: 0, keys: 0, expires: 0 };
    if (db.keys !== manifest.dataset.keys || db.expires !== manifest.dataset.expires) {
        problems.push({
            kind: "corrupt",
            message: `${RDB_FILE} holds ${db.keys} keys (${db.expires} with a TTL), the manifest says ${manifest.dataset.keys} (${manifest.dataset.expires})`,
        });
    }
    return problems;
}

const versionParts = (v: string) => v.split(".").map(Number);

/**
 * Pure: whether a server of `target` version can load an RDB written by `backup`: the same major
 * version, and not older (an older Redis refuses a newer RDB format).
 */
export function versionProblem(backup: string, target: string): string | undefined {
    const [b, t] = [versionParts(backup), versionParts(target)];
    if (b[0] !== t[0]) return `the backup is from Redis ${backup} and the stack runs ${target}: restore into the same major version`;
    for (let i = 0; i < 3; i++) {
        if (t[i] > b[i]) return undefined;
        if (t[i] < b[i]) return `the backup is from Redis ${backup}, newer than the stack's ${target}, which cannot load it`;
    }
    return undefined;
}

/** Pure: the backup belongs to this stack and its Redis versions can load it. */
export function checkTarget(
    manifest: BackupManifest,
    target: { readonly stack: string; readonly redisVersions: Readonly<Record<string, string>> },
    options: { readonly allowOtherStack: boolean },
): BackupProblem[] {
    const problems: BackupProblem[] = [];
    if (manifest.stack !== target.stack && !options.allowOtherStack) {
        problems.push({
            kind: "mismatch",
            message: `the backup is of stack ${manifest.stack}, not ${target.stack}; pass --allow-other-stack to load it anyway`,
        });
    }
    for (const [node, version] of Object.entries(target.redisVersions)) {
        const problem = versionProblem(manifest.redis.version, version);
        if (problem) problems.push({ kind: "mismatch", message: `${node}: ${problem}` });
    }
    return problems;
}

export async function digestFile(file: string, relative: string): Promise<FileDigest> {
    const hash = createHash("sha256");
    let bytes = 0;
    for await (const chunk of createReadStream(file)) {
        hash.update(chunk as Buffer);
        bytes += (chunk as Buffer).length;
    }
    return { path: relative, bytes, sha256: hash.digest("hex") };
}

/** The first bytes of a file (the RDB head). */
export function readHead(file: string, bytes = 64 * 1024): Buffer {
    const fd = openSync(file, "r");
    try {
        const buf = Buffer.alloc(Math.min(bytes, statSync(file).size));
        readSync(fd, buf, 0, buf.length, 0);
        return buf;
    } finally {
        closeSync(fd);
    }
}

export interface CheckedBackup {
    readonly dir: string;
    readonly manifest: BackupManifest;
    readonly rdbPath: string;
}

/**
 * Reads and checks a backup directory without touching any server: manifest shape, every
 * file's size and checksum, the RDB head against the manifest. Throws BackupRejected.
 */
export async function readBackup(dir: string): Promise<CheckedBackup> {
    const manifestPath = path.join(dir, MANIFEST_FILE);
    if (!existsSync(manifestPath)) throw new BackupRejected([{ kind: "corrupt", message: `${manifestPath} does not exist` }]);
    let raw: unknown;
    try {
        raw = JSON.parse(readFileSync(manifestPath, "utf8"));
    } catch (err) {
        throw new BackupRejected([{ kind: "corrupt", message: `${MANIFEST_FILE} is not JSON: ${(err as Error).message}` }]);
    }
    const parsed = manifestSchema.safeParse(raw);
    if (!parsed.success) {
        throw new BackupRejected(
            parsed.error.issues.map((i) => ({
                kind: "corrupt",
                message: `${MANIFEST_FILE}: ${i.path.join(".") || "(root)"}: ${i.message}`,
            })),
        );
    }
    const manifest = parsed.data;
    const actual = new Map<string, FileDigest | undefined>();
    for (const f of manifest.files) {
        const file = path.join(dir, f.path);
        actual.set(f.path, existsSync(file) ? await digestFile(file, f.path) : undefined);
    }
    const problems = checkFiles(manifest, actual);
    const rdbPath = path.join(dir, RDB_FILE);
    if (problems.length === 0) {
        try {
            problems.push(...checkRdbAgainstManifest(manifest, parseRdbHeader(readHead(rdbPath))));
        } catch (err) {
            problems.push({ kind: "corrupt", message: `${RDB_FILE}: ${(err as Error).message}` });
        }
    }
    if (problems.length) throw new BackupRejected(problems);
    return { dir, manifest, rdbPath };
}
