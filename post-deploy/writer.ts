import type Redis from "ioredis";

/** The master the warmer writes to, and a way to find it again after a failover. */
export interface WarmTarget {
    client(): Redis;
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
    /** How often an unconfirmed group is replayed on the re-resolved master before its items fail. */
    readonly maxReplays: number;
}

export interface WriterEvents<T> {
    /** A replica holds these items' keys (WAIT counted it), after `replays` replays. */
    confirmed(tags: readonly T[], replays: number): void;
    /** These items' keys were never confirmed; `reason` says what came back last. */
    failed(tags: readonly T[], reason: string): void;
}

interface Group<T> {
    readonly client: Redis;
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

/** Throws the first error reply of a pipeline (e.g. READONLY from a demoted master). */
function checkReplies(replies: [Error | null, unknown][] | null): void {
    const failed = (replies ?? []).find(([err]) => err);
    if (failed) throw failed[0];
}

/**
 * Writes items in pipelined batches with several batches in flight, and confirms them in groups:
 * after every `confirmEveryBatches` pipelines one `WAIT 1` goes down the same connection, which
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

    constructor(
        private readonly target: WarmTarget,
        private readonly options: WriterOptions,
        private readonly events: WriterEvents<T>,
    ) {}

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
        while (this.inFlight.length >= this.options.batchesInFlight) await this.inFlight.shift();
        while (!this.group && this.unsettled.length >= 2) await this.unsettled.shift();
        const client = this.target.client();
        if (this.group && this.group.client !== client) this.closeGroup();
        const group = (this.group ??= { client, items: [], execs: [], wait: Promise.resolve(0) });
        const pipeline = client.pipeline();
        for (const item of items) for (const e of item.entries) pipeline.set(e.key, e.value, "EX", e.ttl);
        const exec = quiet(pipeline.exec().then(checkReplies));
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
        group.wait = quiet(group.client.wait(1, this.options.waitTimeoutMs));
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
            if (replicas >= 1)
                return this.events.confirmed(
                    group.items.map((i) => i.tag),
                    0,
                );
            reason = this.unconfirmed();
        } catch (err) {
            reason = message(err);
        }
        for (let replay = 1; replay <= this.options.maxReplays; replay++) {
            await sleep(250 * replay);
            // Re-resolve only if nobody did since this group's connection was used.
            try {
                if (this.target.client() === lastClient) await this.target.reresolve();
                lastClient = this.target.client();
                const pipeline = lastClient.pipeline();
                for (const item of group.items) for (const e of item.entries) pipeline.set(e.key, e.value, "EX", e.ttl);
                pipeline.wait(1, this.options.waitTimeoutMs);
                const replies = (await pipeline.exec()) ?? [];
                checkReplies(replies);
                if (Number(replies.at(-1)?.[1]) >= 1)
                    return this.events.confirmed(
                        group.items.map((i) => i.tag),
                        replay,
                    );
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

    private unconfirmed(): string {
        return `no replica confirmed the writes within ${this.options.waitTimeoutMs} ms (WAIT)`;
    }
}
