import type Redis from "ioredis";
import { ReconcileTarget } from "../../ops/warm/reconcile";
import { SET_BATCH_LUA } from "../../ops/warm/writer";

/**
 * Just enough of an ioredis client for the warmer: SET/TTL/WAIT in pipelines and WAIT alone, over
 * a map. `waitReplies` scripts what WAIT answers (a replica confirming or not), one per call;
 * `failNextExec` makes the next pipeline or batch answer with an error reply, as a demoted master
 * does. `pipelines` records the commands per pipeline and the keys per batch script call.
 */
export class FakeRedis {
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
    private static nodes = 0;
    /** Where the node says it is (CLIENT INFO's laddr): what the fake Sentinels name. */
    readonly address = `10.0.0.${++FakeRedis.nodes}:6379`;
    constructor(private readonly waitReplies: number[] = []) {}

    on(event: string, listener: () => void): this {
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

    pipeline() {
        const ops: (() => [Error | null, unknown])[] = [];
        const chain = {
            set: (key: string, value: string, _ex: string, ttl: number) => {
                ops.push(() => {
                    this.store.set(key, { value, ttl });
                    return [null, "OK"];
                });
                return chain;
            },
            ttl: (key: string) => {
                ops.push(() => [null, this.store.get(key)?.ttl ?? -2]);
                return chain;
            },
            exists: (key: string) => {
                ops.push(() => [null, this.store.has(key) ? 1 : 0]);
                return chain;
            },
            wait: (replicas: number, timeout: number) => {
                ops.push(() => [null, this.waitReply(replicas, timeout)]);
                return chain;
            },
            exec: async () => {
                this.pipelines.push(ops.length);
                const error = this.failNextExec;
                this.failNextExec = undefined;
                return ops.map((op) => (error ? [error, null] : op()));
            },
        };
        return chain;
    }

    /** ioredis's defined commands: the writer's batch script, run here as the SETs it makes. */
    defineCommand(name: string, definition: { lua: string }): void {
        if (definition.lua !== SET_BATCH_LUA) throw new Error(`FakeRedis does not know the script ${name}`);
        Object.assign(this, {
            [name]: async (numKeys: number, ...args: (string | number)[]) => {
                this.pipelines.push(numKeys);
                const error = this.failNextExec;
                this.failNextExec = undefined;
                if (error) throw error;
                for (let i = 0; i < numKeys; i++) {
                    if (this.loseOnce.delete(String(args[i]))) continue;
                    this.store.set(String(args[i]), { value: String(args[numKeys + 2 * i]), ttl: Number(args[numKeys + 2 * i + 1]) });
                }
                return numKeys;
            },
        });
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

    /** INFO and CLIENT INFO, as the end-of-run check reads them. */
    async call(command: string, ...args: string[]): Promise<string> {
        if (command === "INFO")
            return `# Server\r\nrun_id:${this.address}\r\n# Replication\r\nrole:master\r\nmaster_replid:${this.replid}\r\n`;
        if (command === "CLIENT" && args[0] === "INFO") return `id=3 addr=127.0.0.1:50000 laddr=${this.address} fd=8 name=`;
        throw new Error(`FakeRedis does not know ${command}`);
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
        client: () => clients[current] as unknown as Redis,
        reresolve: async () => {
            t.reresolved++;
            current = Math.min(current + 1, clients.length - 1);
        },
        sentinelView: async () => ({ master: clients[current].address, replicas: t.upReplicas }),
    };
    return t;
}
