import { KeyPipeline, WarmClient } from "../../ops/redis/warm-client";
import { ReconcileTarget } from "../../ops/warm/reconcile";
import { SET_BATCH_LUA } from "../../ops/warm/writer";

/**
 * The warmer's client (ops/redis/warm-client.ts) over a map: the batch script, TTL and EXISTS in
 * pipelines, WAIT, PUBLISH, INFO and CLIENT INFO. `waitReplies` scripts what WAIT answers (a
 * replica confirming or not), one per call; `failNextExec` makes the next pipeline or batch answer
 * with an error reply, as a demoted master does. `pipelines` records the commands per pipeline
 * and the keys per batch script call.
 */
export class FakeRedis implements WarmClient {
    readonly store = new Map<string, { value: string; ttl: number }>();
    readonly waits: number[] = [];
    /** The replica count each WAIT asked for. */
    readonly waitAsked: number[] = [];
    readonly pipelines: number[] = [];
    failNextExec: Error | undefined;
    /** Set to make the connection drop (and ioredis reconnect) right before the next WAIT. */
    reconnectBeforeNextWait = false;
    /** Keys the next batch scripts acknowledge and drop, as a master that is being replaced loses them. */
    readonly loseOnce = new Set<string>();
    /** The node's replication id (INFO), and how many times the end-of-run check read it. */
    replid = "replid-1";
    /** Barrier PUBLISHes seen (the WAIT behind each is not counted in `waits`). */
    publishes = 0;
    /** Set to change the replication id after the next barrier WAIT (a failover during the check). */
    promoteAfterNextBarrier = false;
    private readonly closeListeners: (() => void)[] = [];
    /** Whether the writer defined the batch script on this client (ioredis's defineCommand). */
    private scriptDefined = false;
    private static nodes = 0;
    /** Where the node says it is (CLIENT INFO's laddr): what the fake Sentinels name. */
    readonly address = `10.0.0.${++FakeRedis.nodes}:6379`;
    constructor(private readonly waitReplies: number[] = []) {}

    on(event: "close", listener: () => void): this {
        if (event === "close") this.closeListeners.push(listener);
        return this;
    }

    private waitReply(replicas: number, timeout: number): number {
        this.waits.push(timeout);
        this.waitAsked.push(replicas);
        if (this.reconnectBeforeNextWait) {
            this.reconnectBeforeNextWait = false;
            for (const listener of this.closeListeners) listener();
        }
        return this.waitReplies.shift() ?? replicas;
    }

    pipeline(): KeyPipeline {
        const ops: (() => [Error | null, unknown])[] = [];
        const chain: KeyPipeline = {
            ttl: (key: string) => {
                ops.push(() => [null, this.store.get(key)?.ttl ?? -2]);
                return chain;
            },
            exists: (key: string) => {
                ops.push(() => [null, this.store.has(key) ? 1 : 0]);
                return chain;
            },
            exec: async () => {
                this.pipelines.push(ops.length);
                const error = this.failNextExec;
                this.failNextExec = undefined;
                return ops.map((op): [Error | null, unknown] => (error ? [error, null] : op()));
            },
        };
        return chain;
    }

    /** ioredis's defined commands: only the writer's batch script. */
    defineCommand(name: "setBatch", definition: { lua: string }): void {
        if (definition.lua !== SET_BATCH_LUA) throw new Error(`FakeRedis does not know the script ${name}`);
        this.scriptDefined = true;
    }

    /** The batch script, run here as the SETs it makes. */
    async setBatch(numKeys: number, ...args: (string | number)[]): Promise<number> {
        if (!this.scriptDefined) throw new Error("ERR unknown command 'setBatch' (defineCommand first)");
        this.pipelines.push(numKeys);
        const error = this.failNextExec;
        this.failNextExec = undefined;
        if (error) throw error;
        for (let i = 0; i < numKeys; i++) {
            if (this.loseOnce.delete(String(args[i]))) continue;
            this.store.set(String(args[i]), { value: String(args[numKeys + 2 * i]), ttl: Number(args[numKeys + 2 * i + 1]) });
        }
        return numKeys;
    }

    async wait(replicas: number, timeout: number): Promise<number> {
        if (!this.barrierPending) return this.waitReply(replicas, timeout);
        // The end-of-run check's barrier: answered by every replica, kept apart from the writer's WAITs.
        this.barrierPending = false;
        if (this.promoteAfterNextBarrier) {
            this.promoteAfterNextBarrier = false;
            this.replid = `${this.replid}+`;
        }
        return replicas;
    }

    async exists(...keys: string[]): Promise<number> {
        return keys.filter((k) => this.store.has(k)).length;
    }

    private barrierPending = false;

    async publish(): Promise<number> {
        this.publishes++;
        this.barrierPending = true;
        return 0;
    }

    /** INFO, as the end-of-run check reads it (server and replication sections). */
    async info(): Promise<string> {
        return `# Server\r\nrun_id:${this.address}\r\n# Replication\r\nrole:master\r\nmaster_replid:${this.replid}\r\n`;
    }

    /** CLIENT INFO: where the connection reached the node. */
    async client(_subcommand: "INFO"): Promise<string> {
        return `id=3 addr=127.0.0.1:50000 laddr=${this.address} fd=8 name=`;
    }
}

/**
 * A target over fake masters: each re-resolve moves to the next one (a failover). The fake
 * Sentinels name the current one, with `upReplicas` up replicas (1 unless a test sets it).
 */
export function target(...clients: FakeRedis[]): ReconcileTarget & { reresolved: number; upReplicas: number } {
    let current = 0;
    const t = {
        reresolved: 0,
        upReplicas: 1,
        client: () => clients[current],
        reresolve: async () => {
            t.reresolved++;
            current = Math.min(current + 1, clients.length - 1);
        },
        sentinelView: async () => ({ master: clients[current].address, replicas: t.upReplicas }),
    };
    return t;
}
