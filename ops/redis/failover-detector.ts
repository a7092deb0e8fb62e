import type Redis from "ioredis";

/** The part of ioredis's Sentinel connector this reaches into: its failover detector, when it has one. */
interface SentinelConnectorInternals {
    readonly connector?: { readonly failoverDetector?: { cleanup(): void } | null };
}

/**
 * Retires a Sentinel-mode client's failover detector as soon as the client's connection closes.
 *
 * Why: ioredis 6.0.0 keeps the detector of a closed connection subscribed to `+switch-master`.
 * When the master dies, the client reconnects by asking a Sentinel for the master; if the
 * Sentinels' `+switch-master` reaches the old detector while that question is in flight, the
 * detector ends the connector mid-resolve, the reconnect fails with "Connection is closed." and
 * the client stays in status `end` for good: every later command fails. A CI run's writer never
 * wrote again after a failover that way; tests/host/failover-detector.test.ts reproduces it.
 * ioredis 6.1.0 (2026-11-23) fixes it the same way, cleaning the detector up when the stream
 * closes; the project pins 6.0.0 until its fault suites have run on 6.1.0 (the host test's bare
 * client then stops being ended, and this can go). A later connection subscribes a detector of its own.
 */
export function retireDetectorOnClose<T extends Redis>(client: T): T {
    client.on("close", () => (client as unknown as SentinelConnectorInternals).connector?.failoverDetector?.cleanup());
    return client;
}
