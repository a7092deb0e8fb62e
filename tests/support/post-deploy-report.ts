import { PostDeployReport } from "../../contracts/report";

/** A post-deploy report as cli/post-deploy.ts prints it after a deploy with the drill on: every part present. */
export const SAMPLE_REPORT: PostDeployReport = {
    membership: { retiredNodes: [], removedSentinels: [], resetSentinels: [] },
    warm: {
        ok: true,
        keysWritten: 20,
        durationMs: 1250,
        timings: { firstWriteMs: 310, writesSettledMs: 1100 },
        problems: [],
        stores: [
            {
                store: "appstore",
                source: "file fixtures/appstore.jsonl",
                found: 10,
                fetched: 10,
                written: 10,
                skipped: 0,
                withoutScreenshots: 0,
                fieldsDropped: {},
                chartSkipped: {},
                failures: {},
                failed: [],
                replays: 0,
            },
        ],
        reconciliation: { rounds: 1, keysChecked: 20, appsMissing: 0, keysRewritten: 0, settled: true, durationMs: 40 },
    },
    verification: {
        ok: true,
        stack: "dev",
        summary: "1 of 1 checks passed",
        failed: [],
        checks: [{ name: "replication.connected_replicas", ok: true, expected: "2", actual: "2" }],
    },
    drill: {
        ok: true,
        stack: "dev",
        startedAt: "2025-01-01T00:00:00.000Z",
        method: "handover",
        oldMaster: "redis-0",
        newMaster: "redis-1",
        timings: {
            sentinelsAgreedMs: 900,
            writesResumedMs: 1100,
            longestWriteGapMs: 1150,
            longestWriteGapStartMs: -50,
            oldMasterRejoinedMs: 2500,
            sentinelsSettledMs: 3000,
        },
        timeline: {
            bucketMs: 100,
            firstBucketMs: -200,
            confirmedWrites: [20, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 20],
            sentinelSwitches: [
                { sentinel: "sentinel-0", atMs: 850 },
                { sentinel: "sentinel-1", atMs: 880 },
                { sentinel: "sentinel-2", atMs: 900 },
            ],
        },
        writes: { attempted: 400, acknowledged: 390, confirmed: 390, confirmedLost: 0, unconfirmedLost: 0 },
        unfinished: [],
        summary: "9 of 9 checks passed",
        failed: [],
    },
};
