import { expect } from "chai";
import {
    NodeObservation,
    persistenceChecks,
    replicationChecks,
    sampleKeys,
    sentinelChecks,
    warmChecks,
} from "../../../../ops/verify/checks";
import { ExpectedConfig } from "../../../../contracts/plan";
import { buildReport, check, formatTable } from "../../../../ops/verify/report";
import { formatWarmSummary } from "../../../../ops/warm/summary";
import { parseInfo, parsePairs } from "../../../../ops/redis/replies";

const EXPECTED: ExpectedConfig = {
    save: "3600 1 300 100 60 10000",
    appendonly: "yes",
    appendfsync: "everysec",
    "aof-use-rdb-preamble": "yes",
    appenddirname: "appendonlydir",
    maxmemory: "268435456",
    "maxmemory-policy": "allkeys-lru",
};

const node = (name: string, replication: Record<string, string>, overrides: Partial<NodeObservation> = {}): NodeObservation => ({
    name,
    announced: `10.0.0.${name.slice(-1)}:6379`,
    config: { ...EXPECTED },
    persistence: { rdb_last_bgsave_status: "ok", aof_last_write_status: "ok" },
    replication,
    lastSaveAgeSeconds: 5,
    ...overrides,
});
const master = (connected = "2", offset = "1000") =>
    node("redis-0", { role: "master", connected_slaves: connected, master_repl_offset: offset });
const replica = (name: string, offset = "1000", link = "up", masterHost = "10.0.0.0") =>
    node(name, { role: "slave", master_host: masterHost, master_port: "6379", master_link_status: link, slave_repl_offset: offset });
const failedNames = (checks: { name: string; ok: boolean }[]) => checks.filter((c) => !c.ok).map((c) => c.name);

describe("report", () => {
    it("passes only when every check passes and names the failures", () => {
        const report = buildReport("dev", [check("a", 1, 1), check("b", "ok", "err"), check("c", "<= 5", 9, false)]);
        expect(report.ok).to.equal(false);
        expect(report.failed).to.deep.equal(["b", "c"]);
        expect(report.summary).to.equal("1 of 3 checks passed");
        expect(buildReport("dev", [check("a", 1, 1)]).ok).to.equal(true);
        expect(buildReport("dev", []).ok).to.equal(false);
    });

    it("renders a table with the failed checks first", () => {
        const table = formatTable(buildReport("dev", [check("fine", 1, 1), check("broken", "up", "down")]));
        const lines = table.split("\n");
        expect(lines[0]).to.match(/^RESULT\s+CHECK\s+EXPECTED\s+ACTUAL/);
        expect(lines[1]).to.match(/^FAILED\s+broken\s+up\s+down/);
        expect(lines[2]).to.match(/^ok\s+fine/);
        expect(lines.at(-1)).to.equal("FAILED: 1 of 2 checks passed; failed: broken");
    });

    it("summarizes a warm run per store with its failures by kind and the failed store", () => {
        const text = formatWarmSummary({
            ok: false,
            keysWritten: 20,
            durationMs: 500,
            timings: { firstWriteMs: 30, writesSettledMs: 370 },
            problems: ["appstore: store failed, throttled (1 apps still throttled after every retry)"],
            stores: [
                {
                    store: "appstore",
                    source: "itunes x",
                    found: 5,
                    fetched: 4,
                    written: 4,
                    skipped: 0,
                    withoutScreenshots: 1,
                    fieldsDropped: {},
                    chartSkipped: {},
                    failures: { throttled: 1 },
                    failed: [{ appId: "1", kind: "throttled", reason: "HTTP 403 (empty body)" }],
                    outage: { kind: "throttled", reason: "1 apps still throttled after every retry" },
                    replays: 0,
                },
                {
                    store: "playstore",
                    source: "file y",
                    found: 6,
                    fetched: 6,
                    written: 6,
                    skipped: 0,
                    withoutScreenshots: 0,
                    fieldsDropped: {},
                    chartSkipped: {},
                    failures: {},
                    failed: [],
                    replays: 0,
                },
            ],
            reconciliation: { rounds: 2, keysChecked: 40, appsMissing: 1, keysRewritten: 2, settled: true, durationMs: 120 },
        });
        expect(text).to.include(
            "appstore  5 found, 4 fetched, 4 written, 0 skipped, 1 without screenshots, failed: 1 throttled (1: HTTP 403 (empty body)) STORE FAILED (throttled): 1 apps still throttled after every retry [itunes x]",
        );
        expect(text).to.include("playstore 6 found, 6 fetched, 6 written, 0 skipped [file y]");
        expect(text).to.include("checked   40 keys on the master in 2 round(s), 0.1 s: 1 apps missing, 2 keys written again\n");
        expect(text).to.include("timing    first write at 0.03 s, writes settled at 0.37 s, run ended at 0.50 s\n");
        expect(text).to.include("WARMING FAILED: 20 keys written in 0.5 s (40 keys/s)");
    });

    it("names the dropped fields and skipped chart entries, and tells a throttled store once, not per app", () => {
        const store = {
            source: "itunes x",
            found: 6,
            fetched: 2,
            written: 2,
            skipped: 0,
            withoutScreenshots: 0,
            replays: 0,
        };
        const text = formatWarmSummary({
            ok: false,
            keysWritten: 8,
            durationMs: 1000,
            timings: { firstWriteMs: 30, writesSettledMs: 370 },
            problems: [],
            stores: [
                {
                    ...store,
                    store: "appstore",
                    fieldsDropped: { averageUserRating: 2 },
                    chartSkipped: { "not-an-app": 2, "no-id": 1 },
                    failures: { throttled: 3, "not-found": 1 },
                    failed: [
                        { appId: "1", kind: "throttled", reason: "store throttled" },
                        { appId: "2", kind: "throttled", reason: "store throttled" },
                        { appId: "3", kind: "throttled", reason: "store throttled" },
                        { appId: "4", kind: "not-found", reason: "App Store has no app 4" },
                    ],
                    throttling: { status: 403, retries: 3 },
                    outage: {
                        kind: "throttled",
                        reason: "HTTP 403 (empty body); still throttled after 3 retries (no Retry-After); stopped asking; 3 apps not fetched",
                    },
                },
                { ...store, store: "playstore", fieldsDropped: { updated: 1, developer: 2 }, chartSkipped: {}, failures: {}, failed: [] },
            ],
            reconciliation: { rounds: 1, keysChecked: 8, appsMissing: 0, keysRewritten: 0, settled: true, durationMs: 10 },
        });
        expect(text).to.include(
            "appstore  6 found, 2 fetched, 2 written, 0 skipped, fields dropped: averageUserRating 2, chart entries skipped: 2 not-an-app, 1 no-id, failed: 3 throttled, 1 not-found (4: App Store has no app 4) STORE FAILED (throttled): HTTP 403 (empty body); still throttled after 3 retries (no Retry-After); stopped asking; 3 apps not fetched [itunes x]",
        );
        expect(text.match(/store throttled/g)).to.equal(null);
        expect(text).to.include("playstore 6 found, 2 fetched, 2 written, 0 skipped, fields dropped: updated 1, developer 2 [itunes x]");
    });

    it("parses INFO text and flat field replies", () => {
        expect(parseInfo("# Replication\r\nrole:master\r\nconnected_slaves:2\r\n")).to.deep.equal({
            role: "master",
            connected_slaves: "2",
        });
        expect(parsePairs(["quorum", "2", "flags", "master"])).to.deep.equal({ quorum: "2", flags: "master" });
    });
});

describe("verification checks", () => {
    it("accept a node with every persistence setting and status in place", () => {
        expect(failedNames(persistenceChecks(master(), EXPECTED, 3600))).to.deep.equal([]);
        expect(persistenceChecks(master(), EXPECTED, 3600)).to.have.length(Object.keys(EXPECTED).length + 3);
    });

    it("name each persistence setting or status that is off", () => {
        const broken = node(
            "redis-1",
            {},
            {
                config: { ...EXPECTED, appendonly: "no" },
                persistence: { rdb_last_bgsave_status: "err", aof_last_write_status: "ok" },
                lastSaveAgeSeconds: 9999,
            },
        );
        expect(failedNames(persistenceChecks(broken, EXPECTED, 3600))).to.deep.equal([
            "config.redis-1.appendonly",
            "persistence.redis-1.rdb_last_bgsave_status",
            "persistence.redis-1.lastsave_age_seconds",
        ]);
    });

    it("accept one master with every replica linked to it", () => {
        const { checks, master: found } = replicationChecks([master(), replica("redis-1"), replica("redis-2", "990")], 2, 100);
        expect(failedNames(checks)).to.deep.equal([]);
        expect(found?.name).to.equal("redis-0");
    });

    it("fail on two masters, a missing replica, a broken link or too much lag", () => {
        expect(failedNames(replicationChecks([master(), node("redis-1", { role: "master" })], 1, 100).checks)).to.include(
            "replication.masters",
        );
        const lagging = replicationChecks([master("1"), replica("redis-1", "100"), replica("redis-2", "1000", "down")], 2, 100);
        expect(failedNames(lagging.checks)).to.deep.equal([
            "replication.connected_replicas",
            "replication.redis-1.lag_bytes",
            "replication.redis-2.link",
        ]);
        const elsewhere = replicationChecks([master("1"), replica("redis-1", "1000", "up", "10.9.9.9")], 1, 100);
        expect(failedNames(elsewhere.checks)).to.deep.equal(["replication.redis-1.link"]);
    });

    it("accept Sentinels that agree, see each other and have a quorum", () => {
        const fields = { "num-other-sentinels": "2", "num-slaves": "2" };
        const s = (name: string) => ({
            name,
            masterAddress: "10.0.0.0:6379",
            master: fields,
            ckquorum: { ok: true, message: "OK 3 usable Sentinels" },
        });
        expect(failedNames(sentinelChecks([s("sentinel-0"), s("sentinel-1"), s("sentinel-2")], 3, 2, "10.0.0.0:6379"))).to.deep.equal([]);
    });

    it("report a NOQUORUM error reply, a stopped Sentinel and disagreement as failed checks", () => {
        const fields = { "num-other-sentinels": "1", "num-slaves": "2" };
        const checks = sentinelChecks(
            [
                {
                    name: "sentinel-0",
                    masterAddress: "10.0.0.0:6379",
                    master: fields,
                    ckquorum: { ok: false, message: "NOQUORUM 1 usable Sentinels" },
                },
                { name: "sentinel-1", masterAddress: "10.0.0.1:6379", master: fields, ckquorum: { ok: true, message: "OK" } },
                { name: "sentinel-2", error: "connect ECONNREFUSED" },
            ],
            3,
            2,
            "10.0.0.0:6379",
        );
        expect(failedNames(checks)).to.deep.equal([
            "sentinel.count",
            "sentinel.agreement",
            "sentinel.sentinel-0.num-other-sentinels",
            "sentinel.sentinel-0.ckquorum",
            "sentinel.sentinel-1.num-other-sentinels",
            "sentinel.sentinel-2.reachable",
        ]);
        expect(checks.find((c) => c.name === "sentinel.sentinel-0.ckquorum")?.actual).to.equal("NOQUORUM 1 usable Sentinels");
    });

    it("check warmed keys for presence and TTL range", () => {
        const range = () => ({ min: 100, max: 200 });
        expect(
            failedNames(
                warmChecks(
                    "redis-1",
                    [
                        { key: "a", ttl: 150 },
                        { key: "b", ttl: 100 },
                    ],
                    range,
                ),
            ),
        ).to.deep.equal([]);
        const checks = warmChecks(
            "redis-1",
            [
                { key: "a", ttl: -2 },
                { key: "b", ttl: 500 },
                { key: "c", ttl: -1 },
            ],
            range,
        );
        expect(failedNames(checks)).to.deep.equal(["warm.redis-1.keys_present", "warm.redis-1.ttl_in_range"]);
        expect(checks[0].actual).to.equal("2 of 3 (missing a)");
        expect(checks[1].actual).to.equal("2 outside (b: 500 s)");
    });

    it("sample keys evenly and deterministically", () => {
        const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
        expect(sampleKeys(keys, 4)).to.deep.equal(["k0", "k25", "k50", "k75"]);
        expect(sampleKeys(keys.slice(0, 3), 10)).to.deep.equal(["k0", "k1", "k2"]);
    });
});
