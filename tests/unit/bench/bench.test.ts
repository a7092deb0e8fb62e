import { expect } from "chai";
import { modeFlags, targetVerdicts } from "../../../bench/restart-time";
import { formatSpread, markdownTable, spread } from "../../../bench/stats";
import { peerRedisCommand, peerSentinelCommand } from "../../../bench/failover-outage";
import { readStackFile } from "../../../settings/stack-file";
import { buildPostDeployPlan } from "../../../contracts/plan";
import { settingsFor } from "../../support/settings";

describe("bench: statistics and restart-time targets", () => {
    it("gives median and spread of odd and even counts", () => {
        expect(spread([3, 1, 2])).to.deep.equal({ median: 2, min: 1, max: 3, runs: 3 });
        expect(spread([4, 1, 2, 3]).median).to.equal(2.5);
        expect(formatSpread(spread([1, 2, 3]), 1)).to.equal("2.0 (1.0-3.0)");
        expect(() => spread([])).to.throw(/no measurements/);
    });

    it("lines up a Markdown table", () => {
        expect(markdownTable(["a", "bb"], [["1", "2"]]).split("\n")).to.deep.equal(["| a   | bb  |", "| --- | --- |", "| 1   | 2   |"]);
    });

    it("starts each mode with its persistence flags and never saves on shutdown", () => {
        const flags = (m: "preamble" | "aof" | "rdb") => {
            const f = modeFlags(m);
            return Object.fromEntries(f.flatMap((v, i) => (i % 2 ? [] : [[v, f[i + 1]]])));
        };
        expect(flags("preamble")).to.include({ "--appendonly": "yes", "--aof-use-rdb-preamble": "yes", "--save": "" });
        expect(flags("aof")).to.include({ "--appendonly": "yes", "--aof-use-rdb-preamble": "no" });
        expect(flags("rdb")).to.include({ "--appendonly": "no" });
    });

    it("judges the targets on medians: <= 1.15 x RDB only and <= 0.75 x pure AOF", () => {
        const r = (mode: "preamble" | "aof" | "rdb", median: number) => ({
            mode,
            diskBytes: 0,
            seconds: { median, min: median, max: median, runs: 5 },
        });
        expect(targetVerdicts([r("preamble", 1.1), r("aof", 2.5), r("rdb", 1.0)])).to.deep.include({ ok: true });
        expect(targetVerdicts([r("preamble", 1.2), r("aof", 2.5), r("rdb", 1.0)]).ok).to.equal(false);
        expect(targetVerdicts([r("preamble", 1.0), r("aof", 1.2), r("rdb", 1.0)]).ok).to.equal(false);
    });
});

describe("bench: the plain Docker peer of the failover benchmark", () => {
    const plan = buildPostDeployPlan(settingsFor(readStackFile("test").cluster, "test"));

    it("gives each node the stack's persistence settings as flags, and replicas the master, with no password", () => {
        const flags = (i: number) => {
            const cmd = peerRedisCommand(i, plan, "172.30.0.10", `172.30.0.${10 + i}`);
            return Object.fromEntries(cmd.slice(1).flatMap((v, j, all) => (v.startsWith("--") ? [[v, all[j + 1]]] : [])));
        };
        expect(flags(0)).to.include({ "--appendonly": "yes", "--aof-use-rdb-preamble": "yes", "--save": plan.expected.redisConfig.save });
        expect(flags(0)).to.include({ "--min-replicas-to-write": "1", "--replica-announce-ip": "172.30.0.10" });
        expect(flags(0)).to.not.have.property("--replicaof");
        expect(flags(2)["--replicaof"]).to.equal("172.30.0.10");
        expect(flags(0)["--maxmemory"]).to.equal(plan.expected.redisConfig.maxmemory);
        expect(peerRedisCommand(1, plan, "a", "b").join(" ")).to.not.match(/requirepass|masterauth/);
    });

    it("starts each Sentinel from an empty writable file with the stack's timings as flags", () => {
        const cmd = peerSentinelCommand("172.30.0.10", "172.30.0.30", {
            quorum: 2,
            downAfterMs: 1000,
            failoverTimeoutMs: 3000,
            parallelSyncs: 1,
        });
        expect(cmd.slice(0, 2)).to.deep.equal(["/bin/sh", "-c"]);
        expect(cmd[2]).to.match(/^echo > \/data\/sentinel.conf && exec redis-sentinel \/data\/sentinel.conf /);
        expect(cmd[2]).to.include("--sentinel monitor mymaster 172.30.0.10 6379 2");
        expect(cmd[2]).to.include("--sentinel down-after-milliseconds mymaster 1000");
        expect(cmd[2]).to.include("--sentinel failover-timeout mymaster 3000");
    });
});
