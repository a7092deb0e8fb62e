import { expect } from "chai";
import {
    formatHealth,
    HealthObservation,
    healthSummary,
    HealthThresholds,
    HIT_RATIO_MIN_LOOKUPS,
    replicaLags,
} from "../../../../ops/verify/health";
import { formatTable, buildReport, check } from "../../../../ops/verify/report";
import { emitPostDeployReport, parsePostDeployReport } from "../../../../contracts/report";

const THRESHOLDS: HealthThresholds = { memoryUsedRatio: 0.9, hitRatioFloor: 0.5, replicaMaxLagSeconds: 10, lastSaveMaxAgeSeconds: 7200 };
const MiB = 1024 ** 2;

const master = (over: Partial<HealthObservation> = {}): HealthObservation => ({
    name: "redis-0",
    announced: "172.28.0.10:6379",
    memory: { used_memory: String(64 * MiB), maxmemory: String(256 * MiB), maxmemory_policy: "allkeys-lru" },
    stats: { evicted_keys: "0", keyspace_hits: "90000", keyspace_misses: "10000" },
    replication: {
        role: "master",
        connected_slaves: "2",
        slave0: "ip=172.28.0.11,port=6379,state=online,offset=500,lag=0",
        slave1: "ip=172.28.0.12,port=6379,state=online,offset=400,lag=1",
    },
    persistence: { rdb_last_bgsave_status: "ok" },
    lastSaveAgeSeconds: 30,
    ...over,
});
const replica = (name: string, announced: string, over: Partial<HealthObservation> = {}): HealthObservation => ({
    name,
    announced,
    memory: { used_memory: String(60 * MiB), maxmemory: String(256 * MiB) },
    stats: { evicted_keys: "0", keyspace_hits: "0", keyspace_misses: "0" },
    replication: { role: "slave", master_link_status: "up" },
    persistence: { rdb_last_bgsave_status: "ok" },
    lastSaveAgeSeconds: 40,
    ...over,
});

describe("the verifier's health summary", () => {
    it("reads memory, evictions, hit ratio, replica lag and last save per node, and warns of nothing on a healthy cluster", () => {
        const summary = healthSummary(
            [master(), replica("redis-1", "172.28.0.11:6379"), replica("redis-2", "172.28.0.12:6379")],
            THRESHOLDS,
        );
        expect(summary.warnings).to.deep.equal([]);
        expect(summary.nodes[0]).to.deep.include({
            name: "redis-0",
            role: "master",
            memoryUsedRatio: 0.25,
            evictedKeys: 0,
            hitRatio: 0.9,
            lastSaveAgeSeconds: 30,
        });
        expect(summary.nodes[0].replicaLagSeconds).to.equal(undefined);
        expect(summary.nodes[1]).to.deep.include({ role: "slave", replicaLagSeconds: 0, hitRatio: undefined });
        expect(summary.nodes[2].replicaLagSeconds).to.equal(1);
    });

    it("warns before things break, each warning with its kind", () => {
        const summary = healthSummary(
            [
                master({
                    memory: { used_memory: String(240 * MiB), maxmemory: String(256 * MiB), maxmemory_policy: "noeviction" },
                    stats: { evicted_keys: "12", keyspace_hits: "3000", keyspace_misses: "9000" },
                    replication: { role: "master", slave0: "ip=172.28.0.11,port=6379,state=online,offset=1,lag=6" },
                    lastSaveAgeSeconds: 4000,
                }),
                replica("redis-1", "172.28.0.11:6379"),
            ],
            THRESHOLDS,
        );
        expect(summary.warnings.map((w) => `${w.node} ${w.kind}`)).to.deep.equal([
            "redis-0 memory-near-max",
            "redis-0 evicting",
            "redis-0 hit-ratio-low",
            "redis-0 last-save-old",
            "redis-1 replica-lag",
        ]);
        expect(summary.warnings[0].message).to.include("93.8 %").and.include("refuses writes");
        expect(summary.warnings[2].message).to.include("25.0 % of 12000 lookups");
    });

    it("does not judge the hit ratio of a node that served few lookups (the warmer's own TTL reads on a new cache)", () => {
        const few = master({ stats: { evicted_keys: "0", keyspace_hits: "0", keyspace_misses: String(HIT_RATIO_MIN_LOOKUPS - 1) } });
        const summary = healthSummary([few], THRESHOLDS);
        expect(summary.nodes[0].hitRatio).to.equal(0);
        expect(summary.warnings).to.deep.equal([]);
    });

    it("leaves the last-save age past the limit to the failing check, and says which node it could not read", () => {
        const summary = healthSummary(
            [master({ lastSaveAgeSeconds: 9000 }), { name: "redis-1", announced: "172.28.0.11:6379" }],
            THRESHOLDS,
        );
        expect(summary.warnings.map((w) => `${w.node} ${w.kind}`)).to.deep.equal(["redis-1 unobserved"]);
    });

    it("finds each replica's lag in the master's INFO by its announced address", () => {
        expect([
            ...replicaLags({ role: "master", slave0: "ip=10.0.0.2,port=6379,state=online,offset=5,lag=3", master_repl_offset: "9" }),
        ]).to.deep.equal([["10.0.0.2:6379", 3]]);
    });

    it("prints after the checks' table", () => {
        const report = { ...buildReport("dev", [check("a", 1, 1)]), health: healthSummary([master()], THRESHOLDS) };
        const text = formatTable(report);
        expect(text).to.match(/PASSED: 1 of 1 checks passed\n\nHEALTH\nredis-0 /);
        expect(formatHealth(report.health))
            .to.include("memory 64.0 MiB of 256.0 MiB")
            .and.include("hit ratio 90.0 %")
            .and.include("no warnings");
    });

    it("crosses the post-deploy report's contract both ways, warnings and all", () => {
        const health = healthSummary(
            [master({ stats: { evicted_keys: "3", keyspace_hits: "1", keyspace_misses: "1" } }), { name: "redis-1", announced: "x:1" }],
            THRESHOLDS,
        );
        const report = {
            membership: { retiredNodes: [], removedSentinels: [], resetSentinels: [] },
            verification: { ...buildReport("dev", [check("a", 1, 1)]), health },
        };
        expect(parsePostDeployReport(emitPostDeployReport(report)).verification?.health).to.deep.equal(JSON.parse(JSON.stringify(health)));
    });
});
