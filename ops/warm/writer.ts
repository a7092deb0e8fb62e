import { WarmClient } from "../redis/warm-client";

/** The master the warmer writes to, and a way to find it again after a failover. */
export interface WarmTarget {
    client(): WarmClient;
    /** Drops the connection and asks the Sentinels for the master again. */
    reresolve(): Promise<void>;
}

/** One `SET key value EX ttl`. */
export interface Entry {
    readonly key: string;
    readonly value: string;
    readonly ttl: number;
}

/** The keys of one app, and what the caller needs back when they are confirmed or given up. */
export interface WriteItem<T> {
    readonly entries: readonly Entry[];
    readonly tag: T;
}

export interface WriterOptions {
    /** Items (apps) per pipeline. */
    readonly batchSize: number;
    /** Pipelines sent and not yet answered, at most. */
    readonly batchesInFlight: number;
    /** Pipelines covered by one `WAIT 1 <waitTimeoutMs>`. */
    readonly confirmEveryBatches: number;
    readonly waitTimeoutMs: number;
    /**
     * Replicas WAIT asks for: all of them. A group is confirmed when all have it; with fewer it is
     * replayed on the re-resolved master and confirmed there by at least one. Whichever replica
     * Sentinel promotes then holds it (Sentinel picks by the offsets it last polled, and a replica
     * it is moving to a new master drops what only it had).
     */
    readonly waitReplicas?: number;
    /**
     * How many replicas a failover could promote now (the Sentinels' up replicas), asked when a
     * WAIT comes back short. A replica the Sentinels hold down cannot be promoted, so a group every
     * promotable replica has is as safe as one every replica has; without this, each group of a
     * cluster with a dead replica waited out its WAIT and was then sent again (bench/RESULTS.md).
     * Rejecting (no agreed master, a failover in progress) leaves the count as it was.
     */
    readonly promotableReplicas?: () => Promise<number>;
    /** How often a lowered requirement is checked again (default REQUIRED_RECHECK_MS). */
    readonly requiredRecheckMs?: number;
    /**
     * An unconfirmed group is replayed on the re-resolved master, with growing pauses
     * (replayPauseMs), until a replay is confirmed or no group at all has been confirmed for this
     * long since the first unconfirmed one; then its items fail. A failover leaves the new master refusing writes until a replica
     * has resynced (`min-replicas-to-write`: 3-6 s measured on host processes), so a fixed few
     * replays gave up on whole groups of a healthy cluster; a cluster that takes no writes at all
     * fails each further group after one replay.
     */
    readonly replayWindowMs: number;
}

/** How often a lowered replica requirement is checked against the Sentinels again. */
export const REQUIRED_RECHECK_MS = 2000;

/** Pause before the `replay`th replay (1-based): 250 ms doubling, at most 2 s. */
export const replayPauseMs = (replay: number): number => Math.min(250 * 2 ** (replay - 1), 2000);

export interface WriterEvents<T> {
    /** A replica holds these items' keys (WAIT counted it), after `replays` replays. */
    confirmed(tags: readonly T[], replays: number): void;
    /** These items' keys were never confirmed; `reason` says what came back last. */
    failed(tags: readonly T[], reason: string): void;
}

interface Group<T> {
    readonly client: WarmClient;
    /** The client's connection when the group's first batch was sent (see connectionOf). */
    readonly connection: number;
    readonly items: WriteItem<T>[];
    readonly execs: Promise<void>[];
    /** The group's WAIT, sent when the group is closed. */
    wait: Promise<number>;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Keeps a rejection from being reported as unhandled before its group is settled. */
const quiet = <T>(p: Promise<T>): Promise<T> => {
    p.catch(() => undefined);
    return p;
};

/**
 * `SET key value EX ttl` for every key of a batch, in one command: the client then builds, sends
 * and parses one command per batch instead of one per key, which is most of its cost per key
 * (bench/RESULTS.md). Replicas and the AOF receive the SETs themselves (Redis 7 replicates a
 * script's effects).
 */
export const SET_BATCH_LUA = "for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[2 * i - 1], 'EX', ARGV[2 * i]) end return #KEYS";

const scripted = new WeakSet<WarmClient>();

/**
 * The script call's arguments for the entries of `items`, built in one pass: every key (KEYS),
 * then value and TTL of each (ARGV), as SET_BATCH_LUA reads them.
 */
export function batchArgs(items: readonly WriteItem<unknown>[]): { keys: number; args: (string | number)[] } {
    let keys = 0;
    for (const item of items) keys += item.entries.length;
    const args = new Array<string | number>(3 * keys);
    let k = 0;
    for (const item of items) {
        for (const e of item.entries) {
            args[k] = e.key;
            args[keys + 2 * k] = e.value;
            args[keys + 2 * k + 1] = e.ttl;
            k++;
        }
    }
    return { keys, args };
}

/** Sends a batch's SETs as one script call (EVALSHA, falling back to EVAL after a failover, as ioredis does for defined commands). */
async function setAll(client: WarmClient, items: readonly WriteItem<unknown>[]): Promise<void> {
    if (!scripted.has(client)) {
        client.defineCommand("setBatch", { lua: SET_BATCH_LUA });
        scripted.add(client);
    }
    const { keys, args } = batchArgs(items);
    const written = await client.setBatch(keys, ...args);
    if (written !== keys) throw new Error(`the master set ${written} of ${keys} keys`);
}

const connections = new WeakMap<WarmClient, { closed: number }>();

/**
 * Which connection of the client is current. ioredis reconnects on its own (a failover, a dropped
 * socket) and resends unanswered commands, so a WAIT can reach the new master after the writes
 * it should count went to the old one, and count nothing: WAIT covers only its own connection.
 * A group whose client changed connection between its first write and its WAIT's answer is
 * therefore never taken as confirmed.
 */
function connectionOf(client: WarmClient): number {
    let state = connections.get(client);
    if (!state) {
        const fresh = { closed: 0 };
        client.on("close", () => fresh.closed++);
        connections.set(client, fresh);
        state = fresh;
    }
    return state.closed;
}

/**
 * Writes items in batches (one script call each) with several batches in flight, and confirms them
 * in groups: after every `confirmEveryBatches` batches one `WAIT` goes down the same connection, which
 * counts every write sent before it on that connection, so a group costs no extra round trip.
 * Items are held only until their group is confirmed; an unconfirmed group (WAIT counted no
 * replica, or the connection failed) is replayed whole on the re-resolved master: SET with EX
 * is idempotent, so a replay never does harm. At most two groups are open at a time, so memory is
 * bounded by the batch settings, not by the number of items.
 */
export class ConfirmedWriter<T> {
    private batch: WriteItem<T>[] = [];
    private group: Group<T> | undefined;
    private batchesInGroup = 0;
    private readonly inFlight: Promise<void>[] = [];
    private readonly unsettled: Promise<void>[] = [];
    /** The settlement of the newest group: each group settles after the one before it. */
    private chain: Promise<void> = Promise.resolve();
    /** Since when no group has been confirmed (the first unconfirmed group's failure); undefined while groups are confirmed. */
    private failingSince: number | undefined;
    /** Replicas each WAIT asks for: every replica, or fewer while the Sentinels hold some down. */
    private required: number;
    /** When the Sentinels were last asked for `required` (undefined: not yet); while it is low, they are asked again now and then. */
    private requiredCheckedAt: number | undefined;

    constructor(
        private readonly target: WarmTarget,
        private readonly options: WriterOptions,
        private readonly events: WriterEvents<T>,
    ) {
        this.required = options.waitReplicas ?? 1;
    }

    /** Queues an item; resolves when there is room for more (backpressure). */
    async add(item: WriteItem<T>): Promise<void> {
        this.batch.push(item);
        if (this.batch.length >= this.options.batchSize) await this.send();
    }

    /** Sends what is queued and waits until every group is confirmed or given up. */
    async close(): Promise<void> {
        if (this.batch.length > 0) await this.send();
        this.closeGroup();
        while (this.unsettled.length > 0) await this.unsettled.shift();
    }

    private async send(): Promise<void> {
        const items = this.batch;
        this.batch = [];
        // The first groups' WAITs go out before any settles: asked once up front, a replica already
        // held down does not cost them their WAIT timeout.
        if (this.requiredCheckedAt === undefined && this.options.promotableReplicas) await this.askRequired();
        while (this.inFlight.length >= this.options.batchesInFlight) await this.inFlight.shift();
        while (!this.group && this.unsettled.length >= 2) await this.unsettled.shift();
        const client = this.target.client();
        if (this.group && this.group.client !== client) this.closeGroup();
        const group = (this.group ??= { client, connection: connectionOf(client), items: [], execs: [], wait: Promise.resolve(0) });
        const exec = quiet(setAll(client, items));
        group.items.push(...items);
        group.execs.push(exec);
        this.inFlight.push(exec.catch(() => undefined));
        if (++this.batchesInGroup >= this.options.confirmEveryBatches) this.closeGroup();
    }

    /** Sends the group's WAIT right behind its pipelines and queues its settlement. */
    private closeGroup(): void {
        const group = this.group;
        this.group = undefined;
        this.batchesInGroup = 0;
        if (!group) return;
        group.wait = quiet(group.client.wait(this.required, this.options.waitTimeoutMs));
        // Groups settle in order, so that a failover is handled once, by the oldest group it hit.
        this.chain = this.chain.then(() => this.settle(group));
        this.unsettled.push(this.chain);
    }

    private async settle(group: Group<T>): Promise<void> {
        let reason: string;
        let lastClient = group.client;
        try {
            await Promise.all(group.execs);
            const replicas = await group.wait;
            if (connectionOf(group.client) !== group.connection)
                throw new Error("the connection to the master was replaced before WAIT answered");
            // First time round, every replica must have it: one alone may be a replica Sentinel is
            // moving to a newly promoted master, which then drops what only it had. Every replica
            // the Sentinels could promote is as good (see promotableReplicas).
            await this.recheckRequired(replicas);
            if (replicas >= this.required) return this.confirm(group, 0);
            reason = this.unconfirmed();
        } catch (err) {
            reason = message(err);
        }
        const since = (this.failingSince ??= Date.now());
        for (let replay = 1; replay === 1 || Date.now() - since < this.options.replayWindowMs; replay++) {
            await sleep(replayPauseMs(replay));
            // Re-resolve only if nobody did since this group's connection was used.
            try {
                if (this.target.client() === lastClient) await this.target.reresolve();
                lastClient = this.target.client();
                const client = lastClient;
                const connection = connectionOf(client);
                const writes = quiet(setAll(client, group.items));
                // The WAIT goes right behind the writes on the same connection: no extra round trip.
                const replicas = quiet(client.wait(this.required, this.options.waitTimeoutMs));
                await writes;
                const confirmed = await replicas;
                if (connectionOf(client) !== connection) throw new Error("the connection to the master was replaced before WAIT answered");
                if (confirmed >= 1) return this.confirm(group, replay);
                reason = this.unconfirmed();
            } catch (err) {
                reason = message(err);
            }
        }
        this.events.failed(
            group.items.map((i) => i.tag),
            reason,
        );
    }

    /**
     * Follows the number of promotable replicas: asks the Sentinels when a WAIT counted fewer
     * replicas than required, and every few seconds while fewer than all are required, so that a
     * replica back up is required again.
     */
    private async recheckRequired(acknowledged: number): Promise<void> {
        const all = this.options.waitReplicas ?? 1;
        const short = acknowledged < this.required;
        const lowered =
            this.required < all && Date.now() - (this.requiredCheckedAt ?? 0) >= (this.options.requiredRecheckMs ?? REQUIRED_RECHECK_MS);
        if (short || lowered) await this.askRequired();
    }

    private async askRequired(): Promise<void> {
        const ask = this.options.promotableReplicas;
        if (!ask) return;
        this.requiredCheckedAt = Date.now();
        try {
            this.required = Math.min(this.options.waitReplicas ?? 1, Math.max(1, await ask()));
        } catch {
            // No agreed view (a failover under way): keep what is required; the replays handle it.
        }
    }

    private confirm(group: Group<T>, replays: number): void {
        this.failingSince = undefined;
        this.events.confirmed(
            group.items.map((i) => i.tag),
            replays,
        );
    }

    private unconfirmed(): string {
        return `no replica confirmed the writes within ${this.options.waitTimeoutMs} ms (WAIT)`;
    }
}
