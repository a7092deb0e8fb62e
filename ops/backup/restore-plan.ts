/**
 * How a backup is loaded into a deployed stack, as data (pure): the ordered steps and the shell
 * scripts the volume helpers run. The RDB goes into the current master's volume; with AOF on,
 * it also becomes the AOF base (a Redis 7 server with `appendonly yes` and no AOF directory
 * starts EMPTY and ignores dump.rdb). Replicas start empty and full-sync from the master. The
 * data that was there is moved aside, not deleted, until the restore has been verified.
 */

/** Where the RDB waits in the master's volume until the nodes are stopped. */
export const STAGING_DIR = "restore-incoming";

export interface RestoreTopology {
    readonly master: string;
    readonly replicas: readonly string[];
    readonly appendonly: boolean;
    readonly appenddirname: string;
    /** The AOF files' base name (`appendfilename`), as the running master reports it. */
    readonly appendfilename: string;
    /** Names the directory the old data is moved to: `pre-restore-<stamp>`. */
    readonly stamp: string;
    readonly rdbSha256: string;
    readonly keepPrevious: boolean;
}

export type RestoreStep =
    | { readonly kind: "stage"; readonly node: string }
    | { readonly kind: "stop"; readonly node: string }
    | { readonly kind: "install"; readonly node: string }
    | { readonly kind: "clear"; readonly node: string }
    | { readonly kind: "start"; readonly node: string }
    | { readonly kind: "wait-master"; readonly node: string }
    | { readonly kind: "wait-sentinels"; readonly node: string }
    | { readonly kind: "wait-replica"; readonly node: string }
    | { readonly kind: "verify" }
    | { readonly kind: "discard-previous"; readonly node: string };

const SAFE = /^[A-Za-z0-9._-]+$/;

function assertSafe(t: RestoreTopology): void {
    for (const [what, value] of [
        ["stamp", t.stamp],
        ["appenddirname", t.appenddirname],
        ["appendfilename", t.appendfilename],
    ]) {
        if (!SAFE.test(value)) throw new Error(`${what} ${JSON.stringify(value)} is not a safe file name`);
    }
    if (!/^[0-9a-f]{64}$/.test(t.rdbSha256)) throw new Error("the RDB checksum is not a sha256 hex digest");
}

/**
 * Pure: the order that keeps Sentinel from promoting a node with old data. Replicas stop first
 * (a master stopping with an in-sync replica would hand its role over); with every node down no
 * failover can happen; the master comes back first and is seen by every Sentinel before any
 * replica starts, so a replica can only follow it.
 */
export function restoreSteps(t: RestoreTopology): RestoreStep[] {
    assertSafe(t);
    const each = <K extends RestoreStep["kind"]>(kind: K, nodes: readonly string[]) => nodes.map((node) => ({ kind, node }) as RestoreStep);
    return [
        { kind: "stage", node: t.master },
        ...each("stop", t.replicas),
        { kind: "stop", node: t.master },
        { kind: "install", node: t.master },
        ...each("clear", t.replicas),
        { kind: "start", node: t.master },
        { kind: "wait-master", node: t.master },
        { kind: "wait-sentinels", node: t.master },
        ...each("start", t.replicas),
        ...each("wait-replica", t.replicas),
        { kind: "verify" },
        ...(t.keepPrevious ? [] : each("discard-previous", [t.master, ...t.replicas])),
    ];
}

export function describeStep(step: RestoreStep, t: RestoreTopology): string {
    switch (step.kind) {
        case "stage":
            return `upload the RDB into ${step.node}'s volume (${STAGING_DIR}/) and check it there (sha256, redis-check-rdb)`;
        case "stop":
            return `stop ${step.node}`;
        case "install":
            return `move ${step.node}'s data to pre-restore-${t.stamp}/ and install the RDB${t.appendonly ? " as dump.rdb and as the AOF base" : ""}`;
        case "clear":
            return `move ${step.node}'s data to pre-restore-${t.stamp}/ (it starts empty and full-syncs)`;
        case "start":
            return `start ${step.node}`;
        case "wait-master":
            return `wait until ${step.node} has loaded the backup's keys as master`;
        case "wait-sentinels":
            return `wait until every Sentinel sees ${step.node} as the master, up`;
        case "wait-replica":
            return `wait until ${step.node} has synced from the master`;
        case "verify":
            return "verify the cluster (npm run verify checks)";
        case "discard-previous":
            return `delete pre-restore-${t.stamp}/ on ${step.node}`;
    }
}

const script = (...lines: string[]) => ["set -eu", "cd /data", ...lines].join("\n");
const moveAside = (t: RestoreTopology) => [
    `aside=pre-restore-${t.stamp}`,
    'mkdir "$aside"',
    `for f in dump.rdb ${t.appenddirname}; do if test -e "$f"; then mv "$f" "$aside/"; fi; done`,
];

/** Checks the staged RDB inside the volume: the bytes that arrived, and that Redis can read them. */
export function stageCheckScript(t: RestoreTopology): string {
    assertSafe(t);
    return script(
        `got=$(sha256sum ${STAGING_DIR}/dump.rdb | cut -d " " -f 1)`,
        `if test "$got" != "${t.rdbSha256}"; then echo "staged RDB checksum $got differs from the backup's"; exit 3; fi`,
        `redis-check-rdb ${STAGING_DIR}/dump.rdb`,
    );
}

/** Removes a staged RDB (a restore refused after staging changes nothing else). */
export const unstageScript = (): string => script(`rm -rf ${STAGING_DIR}`);

/** The master's volume: old data aside, the RDB as dump.rdb and, with AOF on, as the AOF base. */
export function installScript(t: RestoreTopology): string {
    assertSafe(t);
    const aof = t.appendonly
        ? [
              `mkdir ${t.appenddirname}`,
              `cp dump.rdb ${t.appenddirname}/${t.appendfilename}.1.base.rdb`,
              `echo "file ${t.appendfilename}.1.base.rdb seq 1 type b" > ${t.appenddirname}/${t.appendfilename}.manifest`,
          ]
        : [];
    return script(...moveAside(t), `mv ${STAGING_DIR}/dump.rdb dump.rdb`, `rm -r ${STAGING_DIR}`, ...aof);
}

/** A replica's volume: old data aside; it starts empty and takes the master's data by full sync. */
export function clearScript(t: RestoreTopology): string {
    assertSafe(t);
    return script(...moveAside(t));
}

/** Puts a node's data back as it was before the restore (used when a step after `stop` fails). */
export function rollbackScript(t: RestoreTopology): string {
    assertSafe(t);
    return script(
        `aside=pre-restore-${t.stamp}`,
        'if test -d "$aside"; then',
        `  rm -rf dump.rdb ${t.appenddirname}`,
        `  for f in dump.rdb ${t.appenddirname}; do if test -e "$aside/$f"; then mv "$aside/$f" .; fi; done`,
        '  rm -r "$aside"',
        "fi",
        `rm -rf ${STAGING_DIR}`,
    );
}

export function discardScript(t: RestoreTopology): string {
    assertSafe(t);
    return script(`rm -rf pre-restore-${t.stamp}`);
}

/**
 * Pure: the key count a restored master may show. Keys whose TTL ran out since the backup are
 * not loaded, so any count between (keys - keys with a TTL) and keys is right; nothing else is.
 */
export const acceptableKeyCount = (dataset: { keys: number; expires: number }, count: number): boolean =>
    count <= dataset.keys && count >= dataset.keys - dataset.expires;
