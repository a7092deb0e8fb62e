import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync, createReadStream } from "node:fs";
import * as path from "node:path";
import type Redis from "ioredis";
import { Credentials, directSentinel, nodeLogin, withDirectClient, sentinelLogin } from "../redis/connect";
import { errorMessage, waitUntil } from "../deadline";
import { NodeEndpoint, nodesOf, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { agreedMaster, askSentinel, describeAnswers, nodeAnnouncing } from "../redis/sentinels";
import { parseInfo } from "../redis/replies";
import { nodeCommands } from "../redis/node-commands";
import { copyOut, findNodeContainers } from "./docker-volumes";
import { DockerEngines, enginesOf } from "../docker/engines";
import { BackupManifest, buildManifest, MANIFEST_FILE, RDB_FILE, readHead } from "./manifest";
import { parseRdbHeader } from "./rdb-header";

export class BackupFailed extends Error {
    constructor(
        readonly kind: "no-master" | "no-replica" | "not-empty" | "save-failed" | "secret-found",
        message: string,
    ) {
        super(message);
        this.name = "BackupFailed";
    }
}

export interface BackupOptions {
    readonly outDir: string;
    readonly timeoutMs: number;
    /** Where the nodes' containers are: by default the plan's (the local engine, or each host's with `hosts`). */
    readonly engines?: DockerEngines;
    readonly log?: (line: string) => void;
}

export interface BackupResult {
    readonly dir: string;
    readonly manifest: BackupManifest;
}

export const withNode = withDirectClient;

/** The master every Sentinel names, or an error saying who said what. */
export async function currentMaster(plan: PostDeployPlan, credentials: Credentials): Promise<NodeEndpoint> {
    const answers = await Promise.all(
        sentinelsOf(plan).map(async (s) => {
            const c = directSentinel(s, sentinelLogin(credentials));
            try {
                return await askSentinel(c, s.name, plan.masterName);
            } finally {
                c.disconnect();
            }
        }),
    );
    const master = nodeAnnouncing(plan, agreedMaster(answers, sentinelsOf(plan).length));
    if (!master) throw new BackupFailed("no-master", `the Sentinels do not all agree on a known master (${describeAnswers(answers)})`);
    return master;
}

/** Pure: the in-sync replica to take the snapshot from, the one furthest along. */
export function pickReplica(
    candidates: readonly { node: string; replication: Record<string, string> | undefined }[],
    masterAnnounced: string,
): string | undefined {
    const ok = candidates.filter(
        ({ replication: r }) =>
            r?.role === "slave" &&
            r.master_link_status === "up" &&
            r.master_sync_in_progress === "0" &&
            `${r.master_host}:${r.master_port}` === masterAnnounced,
    );
    ok.sort((a, b) => Number(b.replication?.slave_repl_offset ?? 0) - Number(a.replication?.slave_repl_offset ?? 0));
    return ok[0]?.node;
}

/** Whether a file contains any of `needles`, read in chunks with an overlap (never whole). */
export async function fileContainsAny(file: string, needles: readonly string[]): Promise<boolean> {
    const patterns = needles.filter((n) => n.length > 0).map((n) => Buffer.from(n, "utf8"));
    const overlap = Math.max(0, ...patterns.map((p) => p.length)) - 1;
    let tail = Buffer.alloc(0);
    for await (const chunk of createReadStream(file)) {
        const window = Buffer.concat([tail, chunk as Buffer]);
        if (patterns.some((p) => window.includes(p))) return true;
        tail = window.subarray(Math.max(0, window.length - overlap));
    }
    return false;
}

/**
 * BGSAVE on a node and wait (bounded) until it has finished and no AOF rewrite is running, so
 * that dump.rdb is this snapshot and the AOF manifest names files that exist.
 */
export async function snapshotOnReplica(
    c: Redis,
    name: string,
    timeoutMs: number,
): Promise<{ redisVersion: string; appendonly: boolean; appenddirname: string; rdbSaves: number }> {
    const persistence = () => c.info("persistence").then(parseInfo);
    // A snapshot already running (a save rule, a replica's sync) is waited for, then ours starts.
    await waitUntil(
        `a running BGSAVE on ${name}`,
        async () => ((await persistence()).rdb_bgsave_in_progress === "0" ? true : undefined),
        timeoutMs,
        250,
    );
    // rdb_saves counts finished saves; LASTSAVE has whole seconds and can miss a quick one.
    const before = await persistence();
    // SCHEDULE: an AOF rewrite's child may be running (or start just now), and a plain BGSAVE
    // then fails with "Another child process is active" (seen in CI); scheduled, it runs after it.
    await c.bgsave("SCHEDULE");
    const done = await waitUntil(
        `BGSAVE on ${name}`,
        async () => {
            const p = await persistence();
            if (p.rdb_bgsave_in_progress !== "0") return undefined;
            return Number(p.rdb_saves) > Number(before.rdb_saves) || p.rdb_last_bgsave_status === "err" ? p : undefined;
        },
        timeoutMs,
        250,
    );
    if (done.rdb_last_bgsave_status !== "ok") throw new BackupFailed("save-failed", `BGSAVE on ${name} failed: see its log`);
    await waitUntil(
        `an AOF rewrite on ${name}`,
        async () => {
            const p = await persistence();
            return p.aof_rewrite_in_progress === "0" && p.aof_rewrite_scheduled === "0" ? true : undefined;
        },
        timeoutMs,
        250,
    );
    return {
        redisVersion: parseInfo(await c.info("server")).redis_version,
        appendonly: done.aof_enabled === "1",
        appenddirname: (await nodeCommands(c).configGet("appenddirname")).appenddirname,
        rdbSaves: Number(done.rdb_saves),
    };
}

/**
 * A consistent snapshot from an in-sync replica: BGSAVE there (the master does not fork), wait
 * with a deadline, then copy dump.rdb and the AOF directory out of its volume through the
 * Engine's archive API (never redis.conf, which holds the password), with a manifest.
 */
export async function runBackup(plan: PostDeployPlan, credentials: Credentials, options: BackupOptions): Promise<BackupResult> {
    const log = options.log ?? (() => undefined);
    const engines = options.engines ?? enginesOf(plan);
    const out = path.resolve(options.outDir);
    if (existsSync(out) && readdirSync(out).length > 0) {
        throw new BackupFailed("not-empty", `${out} is not empty; back up into a new directory so that no two backups mix`);
    }
    const containers = await findNodeContainers(
        engines,
        plan.stack,
        nodesOf(plan).map((n) => n.name),
    );
    const master = await currentMaster(plan, credentials);
    const candidates = await Promise.all(
        nodesOf(plan)
            .filter((n) => n.name !== master.name)
            .map(async (n) => ({
                node: n.name,
                replication: await withNode(n, nodeLogin(credentials), async (c) => parseInfo(await c.info("replication"))).catch(
                    () => undefined,
                ),
            })),
    );
    const replicaName = pickReplica(candidates, master.announced);
    const replica = nodesOf(plan).find((n) => n.name === replicaName);
    if (!replica)
        throw new BackupFailed(
            "no-replica",
            `no replica of ${master.name} is in sync; a backup needs one (the master is never forked for it)`,
        );
    log(`backup: master ${master.name}, snapshot from replica ${replica.name}`);

    const { redisVersion, appendonly, appenddirname } = await withNode(replica, nodeLogin(credentials), (c) =>
        snapshotOnReplica(c, replica.name, options.timeoutMs),
    );

    mkdirSync(out, { recursive: true, mode: 0o700 });
    try {
        const source = containers.get(replica.name);
        if (!source) throw new BackupFailed("no-replica", `no container for ${replica.name}`);
        const container = source.engine.getContainer(source.id);
        const files = await copyOut(container, `/data/${RDB_FILE}`, out, (name) => name === RDB_FILE);
        if (appendonly) {
            const dirname = appenddirname;
            files.push(...(await copyOut(container, `/data/${dirname}`, out, (name) => name.startsWith(`${dirname}/`))));
        }
        for (const f of files) {
            if (await fileContainsAny(path.join(out, f.path), [credentials.redisPassword, credentials.sentinelPassword])) {
                throw new BackupFailed("secret-found", `${f.path} contains a password; the backup was deleted`);
            }
        }
        const manifest = buildManifest({
            stack: plan.stack,
            masterName: plan.masterName,
            createdAt: new Date(),
            sourceNode: replica.name,
            masterNode: master.name,
            redisVersion,
            rdb: parseRdbHeader(readHead(path.join(out, RDB_FILE))),
            files,
        });
        writeFileSync(path.join(out, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
        log(`backup: ${manifest.dataset.keys} keys (${manifest.dataset.expires} with a TTL), ${files.length} files in ${out}`);
        return { dir: out, manifest };
    } catch (err) {
        rmSync(out, { recursive: true, force: true });
        throw err instanceof BackupFailed ? err : new Error(`backup failed, ${out} was removed: ${errorMessage(err)}`);
    }
}
