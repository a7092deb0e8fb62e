import { askSentinel } from "../redis/sentinels";
import { SentinelReader } from "../redis/sentinel-commands";

/** When one Sentinel first named a master other than the old one, ms from `since`. */
export interface SentinelSwitch {
    readonly sentinel: string;
    readonly atMs: number;
}

export interface SentinelWatch {
    /** The switches seen so far, in the order they were seen. */
    readonly switches: readonly SentinelSwitch[];
    /** Resolves once the loop has seen its last answers. */
    stop(): Promise<void>;
}

/** 50 ms: a quarter of the drill's other waits' poll, so the picture places each switch within that. */
export const SENTINEL_WATCH_INTERVAL_MS = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Asks every Sentinel for the master, every `intervalMs`, beside the failover and the drill's own
 * waits (which block while the hand-over runs), and records when each first names a master
 * other than `oldAddress`. It stops asking a Sentinel once it switched, and stops on its own
 * once every Sentinel has.
 */
export function watchSentinelSwitches(
    sentinels: ReadonlyMap<string, SentinelReader>,
    masterName: string,
    oldAddress: string,
    since: number,
    intervalMs = SENTINEL_WATCH_INTERVAL_MS,
): SentinelWatch {
    const switches: SentinelSwitch[] = [];
    let running = true;
    const loop = (async () => {
        while (running && switches.length < sentinels.size) {
            const pending = [...sentinels].filter(([name]) => !switches.some((s) => s.sentinel === name));
            await Promise.all(
                pending.map(async ([name, sentinel]) => {
                    const answer = await askSentinel(sentinel, name, masterName);
                    // The time the answer came back: the switch happened at or before it.
                    if (answer.masterAddress && answer.masterAddress !== oldAddress)
                        switches.push({ sentinel: name, atMs: Date.now() - since });
                }),
            );
            await sleep(intervalMs);
        }
    })();
    return {
        switches,
        async stop() {
            running = false;
            await loop;
        },
    };
}
