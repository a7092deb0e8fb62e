import type Redis from "ioredis";
import { SET_BATCH_LUA, WarmTarget } from "../../../post-deploy/writer";

/**
 * Just enough of an ioredis client for the warmer: SET/TTL/WAIT in pipelines and WAIT alone, over
 * a map. `waitReplies` scripts what WAIT answers (a replica confirming or not), one per call;
 * `failNextExec` makes the next pipeline or batch answer with an error reply, as a demoted master
 * does. `pipelines` records the commands per pipeline and the keys per batch script call.
 */
export class FakeRedis {
    readonly store = new Map<string, { value: string; ttl: number }>();
    readonly waits: number[] = [];
    readonly pipelines: number[] = [];
    failNextExec: Error | undefined;
    /** Set to make the connection drop (and ioredis reconnect) right before the next WAIT. */
    reconnectBeforeNextWait = false;
    private readonly closeListeners: (() => void)[] = [];
    constructor(private readonly waitReplies: number[] = []) {}

    on(event: string, listener: () => void): this {
        if (event === "close") this.closeListeners.push(listener);
        return this;
    }

    private waitReply(replicas: number, timeout: number): number {
        this.waits.push(timeout);
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
                for (let i = 0; i < numKeys; i++)
                    this.store.set(String(args[i]), { value: String(args[numKeys + 2 * i]), ttl: Number(args[numKeys + 2 * i + 1]) });
                return numKeys;
            },
        });
    }

    async wait(replicas: number, timeout: number): Promise<number> {
        return this.waitReply(replicas, timeout);
    }
}

/** A target over fake masters: each re-resolve moves to the next one (a failover). */
export function target(...clients: FakeRedis[]): WarmTarget & { reresolved: number } {
    let current = 0;
    const t = {
        reresolved: 0,
        client: () => clients[current] as unknown as Redis,
        reresolve: async () => {
            t.reresolved++;
            current = Math.min(current + 1, clients.length - 1);
        },
    };
    return t;
}
