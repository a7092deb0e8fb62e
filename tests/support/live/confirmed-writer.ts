import Redis from "ioredis";
import { HostPort, StackOutputs } from "../../../settings/connection-info";
import { ClientTlsMaterial, sentinelTlsOptions } from "../../../ops/redis/tls-options";
import { retireDetectorOnClose } from "../../../ops/redis/failover-detector";

/** What a writer saw while it ran, and what survived. */
export interface WriterReport {
    /** Writes a replica confirmed (WAIT >= 1). */
    readonly confirmed: number;
    /** Writes acknowledged by a master but not confirmed by a replica within the WAIT timeout. */
    readonly unconfirmed: number;
    /** Confirmed writes missing from the master afterwards: the number that must be 0. */
    readonly lostConfirmed: number;
    readonly lostUnconfirmed: number;
    /** The longest time between two successful batches, in ms: how long writes stopped. */
    readonly longestGapMs: number;
    readonly errors: number;
}

/**
 * An application-style writer: a Sentinel-mode ioredis client writing a numbered sequence in
 * pipelines of 20 `SET`s, each followed by `WAIT 1 500`, recording which writes a replica
 * confirmed. It runs until stopped, throttled so that a long run stays far below maxmemory
 * (allkeys-lru would otherwise evict what it wrote).
 */
export class ConfirmedWriter {
    private readonly client: Redis;
    private running = true;
    private loop?: Promise<void>;
    private next = 0;
    private readonly confirmedIds: number[] = [];
    private readonly unconfirmedIds: number[] = [];
    private errors = 0;
    private lastSuccess = 0;
    private longestGapMs = 0;
    /** When each confirmed batch was confirmed, in order: for the time to recover from a fault. */
    private readonly confirmedAt: number[] = [];

    constructor(
        outputs: Pick<StackOutputs, "sentinelEndpoints" | "masterName" | "natMap" | "sentinelPassword"> &
            Partial<Pick<StackOutputs, "appUser" | "discoveryUser" | "discoveryPassword">>,
        password: string,
        /** Every key it writes is `<prefix>:<n>`. */
        readonly prefix = `w:${Date.now().toString(36)}`,
        private readonly batch = 20,
        private readonly pauseMs = 5,
        /** On a TLS stack: the app's CA and client certificate (outputs tlsCaCert, tlsAppClientCert/Key). */
        tls?: ClientTlsMaterial,
    ) {
        // As an app should make it: with ioredis 6.0.0's failover detector retired on close (ops/redis/failover-detector.ts).
        this.client = retireDetectorOnClose(
            new Redis({
                ...(tls ? sentinelTlsOptions(tls) : {}),
                sentinels: outputs.sentinelEndpoints as HostPort[],
                name: outputs.masterName,
                // On a users stack: the app's user on the nodes, discovery on the Sentinels (stack outputs).
                ...(outputs.appUser ? { username: outputs.appUser } : {}),
                password,
                ...(outputs.discoveryUser ? { sentinelUsername: outputs.discoveryUser } : {}),
                sentinelPassword: outputs.discoveryPassword ?? outputs.sentinelPassword,
                natMap: outputs.natMap,
                failoverDetector: true,
                commandTimeout: 2000,
                maxRetriesPerRequest: 1,
            }),
        );
        this.client.on("error", () => undefined);
    }

    start(): this {
        this.loop = this.run();
        return this;
    }

    private async run(): Promise<void> {
        while (this.running) {
            const ids = Array.from({ length: this.batch }, () => this.next++);
            try {
                const pipeline = this.client.pipeline();
                for (const id of ids) pipeline.set(`${this.prefix}:${id}`, String(id));
                const replies = (await pipeline.exec()) ?? [];
                if (replies.some(([err]) => err)) throw replies.find(([err]) => err)?.[0] ?? new Error("pipeline failed");
                const acked = await this.client.wait(1, 500);
                const now = Date.now();
                // Gaps count from the first success: connecting through Sentinel is not a write outage.
                if (this.lastSuccess > 0) this.longestGapMs = Math.max(this.longestGapMs, now - this.lastSuccess);
                this.lastSuccess = now;
                (acked >= 1 ? this.confirmedIds : this.unconfirmedIds).push(...ids);
                if (acked >= 1) this.confirmedAt.push(now);
            } catch {
                this.errors++;
            }
            await new Promise((r) => setTimeout(r, this.pauseMs));
        }
    }

    /** Confirmations since `since` (epoch ms). */
    confirmedSince(since: number): number {
        return this.confirmedAt.filter((t) => t >= since).length;
    }

    /**
     * The longest time without a confirmed batch that ended after `at` (epoch ms): how long a
     * fault at `at` stopped confirmed writes. Undefined while none has been confirmed since.
     */
    outageAfter(at: number): number | undefined {
        let longest: number | undefined;
        for (let i = 1; i < this.confirmedAt.length; i++) {
            if (this.confirmedAt[i] > at) longest = Math.max(longest ?? 0, this.confirmedAt[i] - this.confirmedAt[i - 1]);
        }
        return longest;
    }

    /** Stops writing, then reads every written key back from the current master. */
    async stop(): Promise<WriterReport> {
        this.running = false;
        await this.loop;
        const present = async (ids: readonly number[]): Promise<number> => {
            let found = 0;
            for (let i = 0; i < ids.length; i += 1000) {
                const chunk = ids.slice(i, i + 1000);
                const values = await this.client.mget(...chunk.map((id) => `${this.prefix}:${id}`));
                found += values.filter((v, j) => v === String(chunk[j])).length;
            }
            return found;
        };
        const report: WriterReport = {
            confirmed: this.confirmedIds.length,
            unconfirmed: this.unconfirmedIds.length,
            lostConfirmed: this.confirmedIds.length - (await present(this.confirmedIds)),
            lostUnconfirmed: this.unconfirmedIds.length - (await present(this.unconfirmedIds)),
            longestGapMs: Math.max(this.longestGapMs, this.lastSuccess > 0 ? Date.now() - this.lastSuccess : Number.POSITIVE_INFINITY),
            errors: this.errors,
        };
        this.client.disconnect();
        return report;
    }
}

export const formatWriterReport = (r: WriterReport): string =>
    `confirmed ${r.confirmed} (lost ${r.lostConfirmed}), unconfirmed ${r.unconfirmed} (lost ${r.lostUnconfirmed}), longest write gap ${r.longestGapMs} ms, ${r.errors} failed batches`;
