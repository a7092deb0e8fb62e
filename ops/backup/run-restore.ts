import { REDIS_USER } from "../../render/paths";
import { Credentials, directSentinel, nodeLogin, sentinelLogin } from "../redis/connect";
import { errorMessage, waitUntil } from "../deadline";
import { NodeEndpoint, nodesOf, PostDeployPlan, sentinelsOf } from "../../contracts/plan";
import { VerificationReport } from "../verify/report";
import { verifyUntilSettled } from "../verify/verifier";
import { parseInfo } from "../redis/replies";
import { nodeCommands } from "../redis/node-commands";
import { findNodeContainers, NodeContainer, putFile, REDIS_UID, runHelperOrFail } from "./docker-volumes";
import { DockerEngines, enginesOf } from "../docker/engines";
import { BackupRejected, checkTarget, readBackup, BackupManifest } from "./manifest";
import {
    acceptableKeyCount,
    clearScript,
    describeStep,
    discardScript,
    installScript,
    restoreSteps,
    RestoreStep,
    RestoreTopology,
    rollbackScript,
    STAGING_DIR,
    stageCheckScript,
    unstageScript,
} from "./restore-plan";
import { currentMaster, withNode } from "./run-backup";

export class RestoreRefused extends Error {
    constructor(
        readonly kind: "not-empty" | "unhealthy",
        message: string,
    ) {
        super(`restore refused, nothing was changed: ${message}`);
        this.name = "RestoreRefused";
    }
}

export class RestoreFailed extends Error {
    readonly kind = "failed" as const;
    constructor(
        message: string,
        readonly rolledBack: boolean,
    ) {
        super(message);
        this.name = "RestoreFailed";
    }
}

export interface RestoreOptions {
    readonly fromDir: string;
    /** Replace a dataset that holds keys (without it, a non-empty target is refused). */
    readonly force: boolean;
    readonly allowOtherStack: boolean;
    readonly keepPrevious: boolean;
    /** Check everything and print the steps, change nothing. */
    readonly dryRun: boolean;
    readonly timeoutMs: number;
    /** Where the nodes' containers are: by default the plan's (the local engine, or each host's with `hosts`). */
    readonly engines?: DockerEngines;
    readonly log?: (line: string) => void;
}

export interface RestoreResult {
    readonly applied: boolean;
    readonly manifest: BackupManifest;
    readonly master: string;
    readonly steps: readonly string[];
    /** Keys each node holds at the end. */
    readonly keys: Readonly<Record<string, number>>;
    readonly verification?: VerificationReport;
}

/**
 * Loads a checked backup into the deployed stack so that master and replicas all hold it, then
 * verifies. Whatever node is master (the Sentinels say) receives it. Every check that can refuse
 * runs before anything is touched; after the nodes are stopped, a failing step rolls every node
 * back to the data it had.
 */
export async function runRestore(plan: PostDeployPlan, credentials: Credentials, options: RestoreOptions): Promise<RestoreResult> {
    const log = options.log ?? (() => undefined);
    const engines = options.engines ?? enginesOf(plan);
    const backup = await readBackup(options.fromDir);
    const { manifest } = backup;

    const containers = await findNodeContainers(
        engines,
        plan.stack,
        nodesOf(plan).map((n) => n.name),
    );
    const stopped = [...containers.values()].filter((c) => !c.running).map((c) => c.node);
    if (stopped.length) throw new RestoreRefused("unhealthy", `${stopped.join(", ")} not running; start the stack's nodes first`);
    const master = await currentMaster(plan, credentials).catch((err: unknown) => {
        throw new RestoreRefused("unhealthy", errorMessage(err));
    });
    const replicas = nodesOf(plan).filter((n) => n.name !== master.name);
    const versions: Record<string, string> = {};
    for (const n of nodesOf(plan)) {
        versions[n.name] = await withNode(n, nodeLogin(credentials), async (c) => parseInfo(await c.info("server")).redis_version);
    }
    const problems = checkTarget(manifest, { stack: plan.stack, redisVersions: versions }, { allowOtherStack: options.allowOtherStack });
    if (problems.length) throw new BackupRejected(problems);
    // The AOF layout as the running master has it: the files the restore writes must match it.
    const { held, aof } = await withNode(master, nodeLogin(credentials), async (c) => ({
        held: await c.dbsize(),
        aof: await nodeCommands(c).configGet("append*"),
    }));
    if (held > 0 && !options.force) {
        throw new RestoreRefused(
            "not-empty",
            `${master.name} (the master) holds ${held} keys; a restore replaces the whole dataset with the backup's ${manifest.dataset.keys}. Pass --force to replace them`,
        );
    }

    const topology: RestoreTopology = {
        master: master.name,
        replicas: replicas.map((r) => r.name),
        appendonly: aof.appendonly === "yes",
        appenddirname: aof.appenddirname,
        appendfilename: aof.appendfilename,
        stamp: new Date()
            .toISOString()
            .replace(/[^0-9]/g, "")
            .slice(0, 14),
        rdbSha256: manifest.files.find((f) => f.path === "dump.rdb")?.sha256 ?? "",
        keepPrevious: options.keepPrevious,
    };
    const steps = restoreSteps(topology);
    const described = steps.map((s) => describeStep(s, topology));
    log(`restore: ${manifest.dataset.keys} keys from ${manifest.stack} (${manifest.createdAt}) into ${plan.stack}, master ${master.name}`);
    described.forEach((d, i) => log(`  ${i + 1}. ${d}`));
    if (options.dryRun) return { applied: false, manifest, master: master.name, steps: described, keys: {} };

    const container = (node: string) => containers.get(node) as NodeContainer;
    const endpoint = (node: string) => nodesOf(plan).find((n) => n.name === node) as NodeEndpoint;
    const helper = (node: string, script: string, purpose: string) =>
        runHelperOrFail(container(node), script, { user: REDIS_USER, timeoutMs: options.timeoutMs, purpose });
    const bounded = <T>(what: string, probe: () => Promise<T | undefined>) => waitUntil(what, probe, options.timeoutMs, 250);
    let touched = false;
    let verification: VerificationReport | undefined;

    const run = async (step: RestoreStep): Promise<void> => {
        switch (step.kind) {
            case "stage":
                try {
                    await putFile(
                        container(step.node).engine.getContainer(container(step.node).id),
                        "/data",
                        STAGING_DIR,
                        "dump.rdb",
                        backup.rdbPath,
                        REDIS_UID,
                    );
                    await helper(step.node, stageCheckScript(topology), "checking the staged RDB");
                } catch (err) {
                    await helper(step.node, unstageScript(), "removing the staged RDB").catch(() => undefined);
                    throw new RestoreRefused("unhealthy", `the RDB did not check out in ${step.node}'s volume: ${errorMessage(err)}`);
                }
                return;
            case "stop":
                touched = true;
                await container(step.node).engine.getContainer(container(step.node).id).stop({ t: 30 }).catch(ignoreNotModified);
                return;
            case "install":
                await helper(step.node, installScript(topology), "installing the RDB");
                return;
            case "clear":
                await helper(step.node, clearScript(topology), "moving the old data aside");
                return;
            case "start":
                await container(step.node).engine.getContainer(container(step.node).id).start().catch(ignoreNotModified);
                return;
            case "wait-master":
                await bounded(`${step.node} loading ${manifest.dataset.keys} keys as master`, () =>
                    withNode(endpoint(step.node), nodeLogin(credentials), async (c) => {
                        const role = parseInfo(await c.info("replication")).role;
                        const count = await c.dbsize();
                        return role === "master" && acceptableKeyCount(manifest.dataset, count) ? count : undefined;
                    }),
                );
                return;
            case "wait-sentinels":
                await bounded(`every Sentinel seeing ${step.node} as the master, up`, async () => {
                    for (const s of sentinelsOf(plan)) {
                        const c = directSentinel(s, sentinelLogin(credentials));
                        try {
                            const m = await c.master(plan.masterName);
                            if (m.address !== endpoint(step.node).announced || m.flags.join(",") !== "master") return undefined;
                        } finally {
                            c.disconnect();
                        }
                    }
                    return true;
                });
                return;
            case "wait-replica": {
                const expected = await withNode(master, nodeLogin(credentials), (c) => c.dbsize());
                await bounded(`${step.node} syncing ${expected} keys from ${master.name}`, () =>
                    withNode(endpoint(step.node), nodeLogin(credentials), async (c) => {
                        const r = parseInfo(await c.info("replication"));
                        const synced =
                            r.role === "slave" && r.master_link_status === "up" && `${r.master_host}:${r.master_port}` === master.announced;
                        return synced && (await c.dbsize()) === expected ? true : undefined;
                    }),
                );
                return;
            }
            case "verify":
                verification = await verifyUntilSettled(
                    plan,
                    credentials,
                    {},
                    Math.min(plan.verifier.settleSeconds, options.timeoutMs / 1000),
                );
                return;
            case "discard-previous":
                await helper(step.node, discardScript(topology), "deleting the data moved aside");
                return;
        }
    };

    for (const [i, step] of steps.entries()) {
        log(`restore: ${i + 1}/${steps.length} ${described[i]}`);
        try {
            await run(step);
        } catch (err) {
            if (!touched) throw err;
            log(`restore: step ${i + 1} failed (${errorMessage(err)}); putting every node's data back`);
            const rolledBack = await rollBack(topology, containers, helper).then(
                () => true,
                (rollbackErr: unknown) => {
                    log(`restore: rollback failed: ${errorMessage(rollbackErr)}`);
                    return false;
                },
            );
            throw new RestoreFailed(
                `restore failed at "${described[i]}": ${errorMessage(err)}. ` +
                    (rolledBack
                        ? "Every node has its previous data again and has been started."
                        : `The previous data is in pre-restore-${topology.stamp}/ of each node's volume; see docs/operations.md, "Recovering a lost stack".`),
                rolledBack,
            );
        }
    }
    const keys: Record<string, number> = {};
    for (const n of nodesOf(plan)) keys[n.name] = await withNode(n, nodeLogin(credentials), (c) => c.dbsize());
    return { applied: true, manifest, master: master.name, steps: described, keys, verification };
}

const ignoreNotModified = (err: { statusCode?: number }) => {
    // 304: already stopped / already started.
    if (err.statusCode !== 304) throw err;
};

async function rollBack(
    t: RestoreTopology,
    containers: Map<string, NodeContainer>,
    helper: (node: string, script: string, purpose: string) => Promise<string>,
): Promise<void> {
    const all = [t.master, ...t.replicas];
    for (const node of [...t.replicas, t.master]) {
        const c = containers.get(node) as NodeContainer;
        await c.engine.getContainer(c.id).stop({ t: 30 }).catch(ignoreNotModified);
    }
    for (const node of all) await helper(node, rollbackScript(t), "putting the previous data back");
    for (const node of all) {
        const c = containers.get(node) as NodeContainer;
        await c.engine.getContainer(c.id).start().catch(ignoreNotModified);
    }
}
