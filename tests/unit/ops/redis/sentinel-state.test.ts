import { expect } from "chai";
import { parseSentinelMaster, parseSentinelReplicas } from "../../../../ops/redis/replies";
import {
    describeClusterView,
    failoverInProgress,
    failoverProgress,
    MasterReplication,
    onlineReplicas,
    replicaLinked,
    SentinelView,
    settleProblems,
} from "../../../../ops/redis/sentinel-state";

// Replies shaped as Redis 7.0.15's Sentinel sends them (flat [k, v, ...] lists), parsed by the product's readers.
const flat = (fields: Record<string, string>) => Object.entries(fields).flat();
const masterEntry = (port: number, flags = "master", extra: Record<string, string> = {}) =>
    parseSentinelMaster(flat({ name: "mymaster", ip: "127.0.0.1", port: String(port), flags, "num-other-sentinels": "2", ...extra }));
const replica = (port: number, masterPort: number, o: { flags?: string; role?: string; link?: string } = {}) => ({
    name: `127.0.0.1:${port}`,
    ip: "127.0.0.1",
    port: String(port),
    flags: o.flags ?? "slave",
    "role-reported": o.role ?? "slave",
    "master-link-status": o.link ?? "ok",
    "master-host": "127.0.0.1",
    "master-port": String(masterPort),
});
const view = (
    name: string,
    masterPort: number,
    o: { flags?: string; extra?: Record<string, string>; replicas?: object[] } = {},
): SentinelView => ({
    name,
    masterAddress: `127.0.0.1:${masterPort}`,
    master: masterEntry(masterPort, o.flags, o.extra),
    replicas: parseSentinelReplicas(
        (o.replicas ?? [replica(6380, masterPort), replica(6381, masterPort)]).map((r) => flat(r as Record<string, string>)),
    ),
});
const masterInfo = (port: number, online = 2, role = "master"): MasterReplication => ({
    address: `127.0.0.1:${port}`,
    info: {
        role,
        connected_slaves: String(online),
        min_slaves_good_slaves: String(online),
        ...Object.fromEntries(
            Array.from({ length: online }, (_, i) => [`slave${i}`, `ip=127.0.0.1,port=${6380 + i},state=online,offset=10,lag=0`]),
        ),
    },
});
const three = (f: (name: string) => SentinelView) => ["sentinel-0", "sentinel-1", "sentinel-2"].map(f);
const expected = { sentinels: 3, replicas: 2 };

describe("Sentinel state: has the cluster settled for a failover", () => {
    it("settled: every Sentinel names one plain master with every replica linked, the master counts them", () => {
        expect(
            settleProblems(
                three((n) => view(n, 6379)),
                masterInfo(6379),
                expected,
            ),
        ).to.deep.equal([]);
    });

    it("not settled while a failover is in progress on one Sentinel", () => {
        const views = three((n) =>
            view(
                n,
                6379,
                n === "sentinel-0" ? { flags: "master,failover_in_progress", extra: { "failover-state": "wait_promotion" } } : {},
            ),
        );
        const problems = settleProblems(views, masterInfo(6379), expected);
        expect(problems).to.deep.equal(["sentinel-0 has a failover in progress (wait_promotion)"]);
        expect(failoverInProgress(views[0])).to.equal(true);
        expect(failoverInProgress(views[1])).to.equal(false);
    });

    it("not settled while the old master still reports role master (about 10 s after a failover)", () => {
        const replicas = [replica(6379, 6380, { role: "master" }), replica(6381, 6380)];
        const problems = settleProblems(
            three((n) => view(n, 6380, { replicas })),
            masterInfo(6380, 1),
            expected,
        );
        expect(problems.filter((p) => p.includes("127.0.0.1:6379 slave, role master"))).to.have.length(3);
        expect(problems).to.include("the master 127.0.0.1:6380 has 1 replicas online, not 2");
    });

    it("a replica held down (s_down) is not waited for, but counts as not linked", () => {
        const replicas = [replica(6380, 6379), replica(6381, 6379, { flags: "slave,s_down,disconnected", link: "err" })];
        const problems = settleProblems(
            three((n) => view(n, 6379, { replicas })),
            masterInfo(6379, 1),
            { sentinels: 3, replicas: 1 },
        );
        expect(problems).to.deep.equal([]);
    });

    it("not settled when the Sentinels disagree or one does not answer, and says who", () => {
        const views = [view("sentinel-0", 6379), view("sentinel-1", 6380), { name: "sentinel-2", error: "connect ECONNREFUSED" }];
        const problems = settleProblems(views, undefined, expected);
        expect(problems).to.include("sentinel-2 did not answer (connect ECONNREFUSED)");
        expect(problems).to.include("the Sentinels do not agree on a master");
    });

    it("not settled until the master counts the replicas for min-replicas-to-write", () => {
        const info = { ...masterInfo(6379).info, min_slaves_good_slaves: "1" };
        expect(
            settleProblems(
                three((n) => view(n, 6379)),
                { address: "127.0.0.1:6379", info },
                expected,
            ),
        ).to.deep.equal(["the master 127.0.0.1:6379 counts 1 good replicas for min-replicas-to-write, not 2"]);
    });

    it("reads replicas linked and online from the replies' fields", () => {
        const [r] = parseSentinelReplicas([flat(replica(6380, 6379))]);
        expect(replicaLinked(r, "127.0.0.1:6379")).to.equal(true);
        expect(replicaLinked(r, "127.0.0.1:6381")).to.equal(false);
        expect(onlineReplicas({ slave0: "ip=a,port=1,state=online", slave1: "ip=b,port=2,state=wait_bgsave", role: "master" })).to.equal(1);
    });

    it("describes each Sentinel's view and the master's count for a person", () => {
        const text = describeClusterView([view("sentinel-0", 6379), { name: "sentinel-1", error: "timeout" }], masterInfo(6379));
        expect(text).to.include("sentinel-0: names 127.0.0.1:6379, flags master, 2 other Sentinels");
        expect(text).to.include("sentinel-1: no answer (timeout)");
        expect(text).to.include("master 127.0.0.1:6379: role master, 2 replicas online, 2 good");
    });
});

describe("Sentinel state: where a failover has got to", () => {
    const from = "127.0.0.1:6379";
    it("moved once every Sentinel names another master", () => {
        expect(
            failoverProgress(
                three((n) => view(n, 6380)),
                from,
                "sentinel-0",
                3,
            ),
        ).to.deep.equal({ kind: "moved", to: "127.0.0.1:6380" });
    });

    it("running while the trigger has the flag, or only some Sentinels have heard of the new master", () => {
        const flagged = three((n) => view(n, 6379, n === "sentinel-0" ? { flags: "master,failover_in_progress" } : {}));
        expect(failoverProgress(flagged, from, "sentinel-0", 3).kind).to.equal("running");
        const half = [view("sentinel-0", 6380), view("sentinel-1", 6379), view("sentinel-2", 6379)];
        expect(failoverProgress(half, from, "sentinel-0", 3).kind).to.equal("running");
    });

    it("aborted when the trigger names the old master with no failover in progress", () => {
        const p = failoverProgress(
            three((n) => view(n, 6379)),
            from,
            "sentinel-0",
            3,
        );
        expect(p.kind).to.equal("aborted");
    });
});
