import type Redis from "ioredis";
import { WarmTarget } from "../../../post-deploy/writer";

/**
 * Just enough of an ioredis client for the warmer: SET/TTL/WAIT in pipelines and WAIT alone, over
 * a map. `waitReplies` scripts what WAIT answers (a replica confirming or not), one per call;
 * `failNextExec` makes the next pipeline answer with an error reply, as a demoted master does.
 */
export class FakeRedis {
    readonly store = new Map<string, { value: string; ttl: number }>();
    readonly waits: number[] = [];
    readonly pipelines: number[] = [];
    failNextExec: Error | undefined;
    constructor(private readonly waitReplies: number[] = []) {}

    private waitReply(replicas: number, timeout: number): number {
        this.waits.push(timeout);
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
