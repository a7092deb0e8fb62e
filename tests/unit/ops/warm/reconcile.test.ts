import { expect } from "chai";
import { isNamedMaster, sentinelView, SentinelReading, upReplicas, WrittenApps } from "../../../../ops/warm/reconcile";
import { replayPauseMs } from "../../../../ops/warm/writer";
import { identityOf, localAddressOf, parseSentinelMaster, parseSentinelReplicas } from "../../../../ops/redis/replies";

const master = (ip: string, port: number, flags = "master", runid = "run-a") => [
    "name",
    "mymaster",
    "ip",
    ip,
    "port",
    String(port),
    "runid",
    runid,
    "flags",
    flags,
];
const replica = (port: number, flags = "slave") => ["name", `127.0.0.1:${port}`, "ip", "127.0.0.1", "port", String(port), "flags", flags];
const reading = (name: string, m: string[], replicas: string[][]): SentinelReading => ({
    name,
    master: parseSentinelMaster(m),
    replicas: parseSentinelReplicas(replicas),
});

describe("reconcile: the end-of-run check's pure parts", () => {
    it("counts replicas that are up: not subjectively or objectively down, not disconnected", () => {
        expect(
            upReplicas(
                parseSentinelReplicas([
                    replica(1),
                    replica(2, "slave,promoted"),
                    replica(3, "s_down,slave"),
                    replica(4, "slave,disconnected"),
                    replica(5, "o_down,slave"),
                ]),
            ),
        ).to.equal(2);
    });

    it("names the master when most Sentinels answer and agree, with the most up replicas any of them lists", () => {
        const view = sentinelView(
            [
                reading("s0", master("10.0.0.1", 6379), [replica(1), replica(2)]),
                reading("s1", master("10.0.0.1", 6379), [replica(1), replica(2, "s_down,slave")]),
                { name: "s2", error: "connect ECONNREFUSED" },
            ],
            3,
        );
        expect(view).to.deep.equal({ master: "10.0.0.1:6379", masterRunId: "run-a", replicas: 2 });
    });

    it("names no master when too few Sentinels answer, when they disagree, or while a failover is in progress", () => {
        const one = sentinelView(
            [reading("s0", master("10.0.0.1", 6379), []), { name: "s1", error: "timeout" }, { name: "s2", error: "timeout" }],
            3,
        );
        expect(one.master).to.equal(undefined);
        expect(one.problem).to.equal("1 of 3 Sentinels answered (s1: timeout; s2: timeout)");
        const split = sentinelView([reading("s0", master("10.0.0.1", 6379), []), reading("s1", master("10.0.0.2", 6379), [])], 3);
        expect(split.problem).to.equal("the Sentinels name different masters (10.0.0.1:6379, 10.0.0.2:6379)");
        const failing = sentinelView(
            [reading("s0", master("10.0.0.1", 6379, "master,failover_in_progress"), []), reading("s1", master("10.0.0.1", 6379), [])],
            3,
        );
        expect(failing).to.deep.equal({ replicas: 0, problem: "a failover is in progress" });
    });

    it("leaves the run id out while the Sentinels disagree on it (one has not polled the new master yet)", () => {
        const view = sentinelView(
            [reading("s0", master("10.0.0.1", 6379, "master", "a"), []), reading("s1", master("10.0.0.1", 6379, "master", "b"), [])],
            2,
        );
        expect(view.masterRunId).to.equal(undefined);
        expect(view.master).to.equal("10.0.0.1:6379");
    });

    it("reads a node's role, replication id, run id and the address it was reached at", () => {
        const info =
            "# Server\r\nredis_version:7.0.15\r\nrun_id:abc\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:2\r\nmaster_replid:r1\r\n";
        expect(localAddressOf("id=7 addr=172.28.0.1:40000 laddr=172.28.0.10:6379 fd=8 name=")).to.equal("172.28.0.10:6379");
        expect(localAddressOf("id=7 addr=172.28.0.1:40000 fd=8")).to.equal(undefined);
        expect(identityOf(info, "id=7 laddr=172.28.0.10:6379")).to.deep.equal({
            role: "master",
            replid: "r1",
            runId: "abc",
            address: "172.28.0.10:6379",
        });
    });

    it("takes a connection as on the named master by its address, or by run id where the address was translated", () => {
        const view = { master: "172.28.0.10:6379", masterRunId: "abc", replicas: 2 };
        expect(isNamedMaster(view, { role: "master", replid: "r", runId: "zzz", address: "172.28.0.10:6379" })).to.equal(true);
        expect(isNamedMaster(view, { role: "master", replid: "r", runId: "abc", address: "127.0.0.1:16379" })).to.equal(true);
        expect(isNamedMaster(view, { role: "master", replid: "r", runId: "old", address: "172.28.0.11:6379" })).to.equal(false);
        expect(isNamedMaster(view, { role: "slave", replid: "r", runId: "abc", address: "172.28.0.10:6379" })).to.equal(false);
        expect(isNamedMaster({ replicas: 0, problem: "none" }, { role: "master", replid: "r", runId: "abc" })).to.equal(false);
    });

    it("keeps the written apps' ids, not their values, and gives their keys back in chunks", () => {
        const written = new WrittenApps();
        written.add("appstore", "1", true);
        written.add("appstore", "2", false);
        written.add("playstore", "a.b", true);
        written.add("playstore", "c.d", true);
        written.remove("playstore", "c.d");
        expect(written.size).to.equal(3);
        expect(written.keysOf("appstore", "2")).to.deep.equal(["metadata:appstore:2"]);
        expect(written.keysOf("playstore", "c.d")).to.deep.equal([]);
        expect([...written.chunks(2)]).to.deep.equal([
            [
                { store: "appstore", appId: "1", keys: ["screenshots:appstore:1", "metadata:appstore:1"] },
                { store: "appstore", appId: "2", keys: ["metadata:appstore:2"] },
            ],
            [{ store: "playstore", appId: "a.b", keys: ["screenshots:playstore:a.b", "metadata:playstore:a.b"] }],
        ]);
    });

    it("pauses longer before each replay, up to 2 s", () => {
        expect([1, 2, 3, 4, 5, 9].map(replayPauseMs)).to.deep.equal([250, 500, 1000, 2000, 2000, 2000]);
    });
});
