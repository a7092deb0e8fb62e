// The warmer's client, as narrow interfaces: the few commands the write path, the freshness check
// and the end-of-run check send through the Sentinel-mode client. An ioredis client is one as it
// is (no wrapper on the hot path); a unit test's fake implements them over a map.
import type { Result } from "ioredis";
import { identityOf, NodeIdentity } from "./replies";

declare module "ioredis" {
    // The writer's batch script (ops/warm/writer.ts, SET_BATCH_LUA), once `defineCommand`ed as
    // `setBatch`: ioredis's documented way of typing a defined command.
    interface RedisCommander<Context> {
        setBatch(numKeys: number, ...args: (string | number)[]): Result<number, Context>;
    }
}

/** Several commands sent together: TTL and EXISTS per key, answered in order by `exec`. */
export interface KeyPipeline {
    ttl(key: string): KeyPipeline;
    exists(key: string): KeyPipeline;
    /** One `[error, reply]` per command, in order; null when the pipeline was not sent. */
    exec(): Promise<[error: Error | null, reply: unknown][] | null>;
}

/** Reads about keys: whether they exist and how long they have left. */
export interface KeyReader {
    /** EXISTS <key> ...: how many of the keys exist. */
    exists(...keys: string[]): Promise<number>;
    pipeline(): KeyPipeline;
}

/** The writer's batches: one script call per batch, and WAIT behind them on the same connection. */
export interface BatchWriter {
    /** Registers `lua` as a command of this client (EVALSHA, falling back to EVAL). */
    defineCommand(name: "setBatch", definition: { lua: string }): void;
    /** The batch script, once defined: `SET key value EX ttl` for each key; resolves to the keys it set. */
    setBatch(numKeys: number, ...args: (string | number)[]): Promise<number>;
    /** WAIT <replicas> <timeout>: how many replicas acknowledged every write sent before it on this connection. */
    wait(replicas: number, timeoutMs: number): Promise<number>;
    /** The connection closed (ioredis then reconnects on its own). */
    on(event: "close", listener: () => void): unknown;
}

/** How a node describes itself: INFO sections and CLIENT INFO. */
export interface NodeIdentitySource {
    info(...sections: string[]): Promise<string>;
    client(subcommand: "INFO"): Promise<string>;
}

/** A message on a channel: replicated like a write, changing no key (the end-of-run check's barrier). */
export interface Publisher {
    publish(channel: string, message: string): Promise<number>;
}

/** Everything the warmer sends to the master. */
export type WarmClient = BatchWriter & KeyReader & NodeIdentitySource & Publisher;

/** The node a connection is on: INFO server replication and CLIENT INFO, sent together. */
export async function readIdentity(client: NodeIdentitySource): Promise<NodeIdentity> {
    const [info, clientInfo] = await Promise.all([client.info("server", "replication"), client.client("INFO")]);
    return identityOf(info, clientInfo);
}
