import { expect } from "chai";
import {
    acceptableKeyCount,
    clearScript,
    describeStep,
    installScript,
    restoreSteps,
    RestoreTopology,
    rollbackScript,
    stageCheckScript,
} from "../../../../ops/backup/restore-plan";

const topology: RestoreTopology = {
    master: "redis-1",
    replicas: ["redis-0", "redis-2"],
    appendonly: true,
    appenddirname: "appendonlydir",
    appendfilename: "appendonly.aof",
    stamp: "20261125120000",
    rdbSha256: "a".repeat(64),
    keepPrevious: false,
};
const order = (t: RestoreTopology) => restoreSteps(t).map((s) => ("node" in s ? `${s.kind} ${s.node}` : s.kind));

describe("restore: plan of steps", () => {
    it("stages and checks first, stops replicas before the master, starts the master first and waits for every Sentinel before any replica", () => {
        expect(order(topology)).to.deep.equal([
            "stage redis-1",
            "stop redis-0",
            "stop redis-2",
            "stop redis-1",
            "install redis-1",
            "clear redis-0",
            "clear redis-2",
            "start redis-1",
            "wait-master redis-1",
            "wait-sentinels redis-1",
            "start redis-0",
            "start redis-2",
            "wait-replica redis-0",
            "wait-replica redis-2",
            "verify",
            "discard-previous redis-1",
            "discard-previous redis-0",
            "discard-previous redis-2",
        ]);
    });

    it("keeps the previous data when asked", () => {
        expect(order({ ...topology, keepPrevious: true }).filter((s) => s.startsWith("discard"))).to.deep.equal([]);
    });

    it("describes each step for the operator", () => {
        const text = restoreSteps(topology).map((s) => describeStep(s, topology));
        expect(text[4]).to.equal("move redis-1's data to pre-restore-20261125120000/ and install the RDB as dump.rdb and as the AOF base");
        expect(text).to.include("wait until every Sentinel sees redis-1 as the master, up");
    });

    it("refuses names that could break out of a helper script", () => {
        expect(() => restoreSteps({ ...topology, stamp: "x; rm -rf /" })).to.throw(/not a safe file name/);
        expect(() => installScript({ ...topology, appenddirname: "a b" })).to.throw(/not a safe file name/);
        expect(() => stageCheckScript({ ...topology, rdbSha256: "$(id)" })).to.throw(/sha256/);
    });
});

describe("restore: helper scripts", () => {
    it("installs the RDB as the AOF base with a manifest when AOF is on, and only as dump.rdb when it is off", () => {
        const on = installScript(topology);
        expect(on).to.include("cp dump.rdb appendonlydir/appendonly.aof.1.base.rdb");
        expect(on).to.include('echo "file appendonly.aof.1.base.rdb seq 1 type b" > appendonlydir/appendonly.aof.manifest');
        const off = installScript({ ...topology, appendonly: false });
        expect(off).to.not.include("appendonly.aof.1.base.rdb");
        expect(off).to.include("mv restore-incoming/dump.rdb dump.rdb");
    });

    it("moves data aside instead of deleting it, and rolls back by moving it home", () => {
        expect(clearScript(topology)).to.include('mv "$f" "$aside/"');
        expect(clearScript(topology)).to.not.match(/rm /);
        expect(rollbackScript(topology)).to.include('mv "$aside/$f" .');
    });

    it("checks the staged RDB's checksum and lets Redis read it", () => {
        const s = stageCheckScript(topology);
        expect(s).to.include(`"${"a".repeat(64)}"`);
        expect(s).to.include("redis-check-rdb restore-incoming/dump.rdb");
    });
});

describe("restore: key count of a restored master", () => {
    it("allows exactly the keys that may have expired since the backup to be missing", () => {
        const dataset = { keys: 100, expires: 30 };
        expect(acceptableKeyCount(dataset, 100)).to.equal(true);
        expect(acceptableKeyCount(dataset, 70)).to.equal(true);
        expect(acceptableKeyCount(dataset, 69)).to.equal(false);
        expect(acceptableKeyCount(dataset, 101)).to.equal(false);
    });
});
