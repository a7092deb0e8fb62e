import { expect } from "chai";
import {
    checkHosts,
    enoughHosts,
    hostAddressesReachable,
    hostsAreDistinct,
    nodeSurvivesAnyHost,
    pinsAreKnown,
    PlacementView,
    publishHostUnusedWithHosts,
    replicasAfterLossWarning,
    RuleFinding,
    sentinelsSurviveAnyHost,
    sshOptsOnlyForSsh,
    tcpHostsHaveTls,
    TlsPresence,
} from "../../../settings/host-rules";
import { HostConfig } from "../../../settings/schema";

const host = (name: string, address: string, docker = `unix:///run/${name}/docker.sock`, sshOpts?: string[]): HostConfig => ({
    name,
    docker,
    address,
    ...(sshOpts ? { sshOpts } : {}),
});
const A = host("a", "10.0.0.1");
const B = host("b", "10.0.0.2");
const C = host("c", "10.0.0.3");

const messages = (findings: RuleFinding[]) => findings.map((f) => f.message);
const errors = (findings: RuleFinding[]) => findings.filter((f) => f.level === "error");

/** A view: `placement` lists each server's host in order nodes..., sentinels.... */
function view(nodes: string[], sentinels: string[], extra: Partial<PlacementView> = {}): PlacementView {
    const hosts = [...new Set([...nodes, ...sentinels, ...(extra.hosts ?? [])])];
    const nodeNames = nodes.map((_, i) => `redis-${i}`);
    const sentinelNames = sentinels.map((_, i) => `sentinel-${i}`);
    return {
        hosts,
        placement: Object.fromEntries([...nodeNames.map((n, i) => [n, nodes[i]]), ...sentinelNames.map((s, i) => [s, sentinels[i]])]),
        nodes: nodeNames,
        sentinels: sentinelNames,
        quorum: Math.floor(sentinels.length / 2) + 1,
        minReplicasToWrite: 1,
        ...extra,
    };
}

describe("host placement rules", () => {
    describe("hostsAreDistinct", () => {
        it("accepts hosts that differ in name, address and endpoint", () => {
            expect(hostsAreDistinct([A, B, C])).to.deep.equal([]);
        });
        it("rejects a name, an address or an endpoint used twice, naming both entries", () => {
            const found = messages(
                hostsAreDistinct([
                    A,
                    host("a", "10.0.0.9", "unix:///run/other/docker.sock"),
                    host("x", "10.0.0.1"),
                    host("y", "10.0.0.8", A.docker),
                ]),
            );
            expect(found).to.have.length(3);
            expect(found[0]).to.match(/^appscreens-redis:cluster\.hosts\[1\]\.name: "a" is also hosts\[0\]\.name/);
            expect(found[1]).to.include("hosts[2].address").and.include("10.0.0.1");
            expect(found[2]).to.include("hosts[3].docker").and.include("fail together");
        });
    });

    describe("sshOptsOnlyForSsh", () => {
        it("accepts ssh options on an ssh:// host", () => {
            expect(sshOptsOnlyForSsh([host("a", "10.0.0.1", "ssh://deploy@10.0.0.1", ["-i", "/k"])])).to.deep.equal([]);
        });
        it("rejects them on any other endpoint, saying to remove them", () => {
            const [finding] = sshOptsOnlyForSsh([host("a", "10.0.0.1", "tcp://10.0.0.1:2376", ["-i", "/k"])]);
            expect(finding.message).to.match(/^appscreens-redis:cluster\.hosts\[0\]\.sshOpts: .*remove sshOpts$/);
        });
    });

    describe("tcpHostsHaveTls", () => {
        const tcp = host("c", "10.0.0.3", "tcp://10.0.0.3:2376");
        const all = { ca: true, cert: true, key: true };
        const tls = (hosts: TlsPresence["hosts"], secret = true): TlsPresence => ({ secret, hosts });

        it("accepts a tcp:// host with all three PEMs, stored as a secret", () => {
            expect(tcpHostsHaveTls([A, tcp], tls({ c: all }))).to.deep.equal([]);
        });
        it("rejects a tcp:// host without TLS, with the commands that set it", () => {
            const [finding] = tcpHostsHaveTls([tcp], undefined);
            expect(finding.message).to.include("hosts[0].docker").and.include("lacks ca, cert, key");
            expect(finding.message).to.include("pulumi config set --secret --path 'hostTls.c.ca' < ca.pem");
        });
        it("rejects a missing CA: the provider would skip verifying the engine", () => {
            const [finding] = tcpHostsHaveTls([tcp], tls({ c: { ...all, ca: false } }));
            expect(finding.message).to.include("lacks ca").and.include("skips verifying");
            expect(finding.message).to.not.include("lacks ca, cert");
        });
        it("rejects TLS material for an unknown or non-tcp host", () => {
            const found = messages(tcpHostsHaveTls([A], tls({ a: all, zz: all })));
            expect(found[0]).to.match(/^appscreens-redis:hostTls\.a: host a is not a tcp:\/\/ host/);
            expect(found[1]).to.match(/^appscreens-redis:hostTls\.zz: no host is named zz/);
        });
        it("rejects TLS material stored in plain text", () => {
            expect(messages(tcpHostsHaveTls([tcp], tls({ c: all }, false)))).to.deep.equal([
                "appscreens-redis:hostTls: is stored in plain text and holds a private key; store it with `pulumi config set --secret --path ...`",
            ]);
        });
    });

    describe("pinsAreKnown", () => {
        const servers = ["redis-0", "redis-1", "sentinel-0"];
        it("accepts pins of declared servers to configured hosts", () => {
            expect(pinsAreKnown({ "redis-0": "a" }, ["a", "b"], servers)).to.deep.equal([]);
        });
        it("rejects a pin of an undeclared server or to an unknown host", () => {
            const found = messages(pinsAreKnown({ "redis-7": "a", "redis-1": "q" }, ["a", "b"], servers));
            expect(found[0]).to.equal("appscreens-redis:cluster.placement.pins.redis-7: the stack has no server redis-7; remove the pin");
            expect(found[1]).to.include("no host is named q (the hosts are a, b)");
        });
        it("rejects pins without hosts", () => {
            expect(messages(pinsAreKnown({ "redis-0": "a" }, undefined, servers))[0]).to.include("pins need cluster.hosts");
        });
    });

    describe("enoughHosts", () => {
        it("accepts three hosts or more", () => {
            expect(enoughHosts(["a", "b", "c"], "host")).to.deep.equal([]);
        });
        it("rejects two hosts, citing Example 1 (DON'T DO THIS) and Example 2, and names both fixes", () => {
            const [finding] = enoughHosts(["a", "b"], "host");
            expect(finding.level).to.equal("error");
            expect(finding.message).to.match(/^appscreens-redis:cluster\.hosts: 2 host\(s\)/);
            expect(finding.message).to.include('"Example 1" (two boxes) is marked DON\'T DO THIS');
            expect(finding.message).to.include('"Example 2" puts one Sentinel on each of three boxes');
            expect(finding.message).to.include("set placement.survive to none");
        });
        it("allows fewer with survive: none (one failure domain)", () => {
            expect(enoughHosts(["a"], "none")).to.deep.equal([]);
            expect(enoughHosts(["a", "b"], "none")).to.deep.equal([]);
        });
    });

    describe("sentinelsSurviveAnyHost", () => {
        it("accepts one Sentinel per host (Example 2)", () => {
            expect(sentinelsSurviveAnyHost(view(["a", "b", "c"], ["a", "b", "c"]))).to.deep.equal([]);
        });
        it("accepts 5 Sentinels spread 2-2-1 over 3 hosts (3 of 5 left)", () => {
            expect(sentinelsSurviveAnyHost(view(["a", "b", "c"], ["a", "b", "c", "a", "b"]))).to.deep.equal([]);
        });
        it("rejects two Sentinels of three on one host, naming the host, the counts and the examples", () => {
            const [finding] = sentinelsSurviveAnyHost(view(["a", "b", "c"], ["a", "a", "b"]));
            expect(finding.message).to.match(/^appscreens-redis:cluster\.placement: losing host a leaves 1 of 3 Sentinels/);
            expect(finding.message).to.include("majority 2, quorum 2").and.include("Example 2").and.include("placement.pins");
        });
        it("rejects a quorum the Sentinels left cannot reach, even with a majority left", () => {
            const [finding] = sentinelsSurviveAnyHost(view(["a", "b", "c"], ["a", "b", "c", "a", "b"], { quorum: 4 }));
            expect(finding.message).to.include("leaves 3 of 5 Sentinels, fewer than the 4 a failover needs (majority 3, quorum 4)");
        });
    });

    describe("nodeSurvivesAnyHost", () => {
        it("accepts nodes on two hosts or more", () => {
            expect(nodeSurvivesAnyHost(view(["a", "b"], ["a", "b", "c"]))).to.deep.equal([]);
        });
        it("rejects every node on one host: losing it loses every copy of the data", () => {
            const [finding] = nodeSurvivesAnyHost(view(["a", "a", "a"], ["a", "b", "c"]));
            expect(finding.message).to.match(
                /^appscreens-redis:cluster\.placement: losing host a loses every node \(redis-0, redis-1, redis-2\)/,
            );
            expect(finding.message).to.include("Example 2");
        });
    });

    describe("replicasAfterLossWarning", () => {
        it("says nothing when the nodes left keep minReplicasToWrite replicas", () => {
            expect(replicasAfterLossWarning(view(["a", "b", "c"], ["a", "b", "c"]))).to.deep.equal([]);
        });
        it("warns, naming the host and the fix, when the nodes left are too few to take writes", () => {
            const findings = replicasAfterLossWarning(view(["a", "b"], ["a", "b", "c"]));
            expect(findings.map((f) => f.level)).to.deep.equal(["warning", "warning"]);
            expect(findings[0].message).to.match(
                /^appscreens-redis:cluster\.redis\.minReplicasToWrite: losing host a leaves 0 replica\(s\) for the master, fewer than minReplicasToWrite 1/,
            );
            expect(findings[0].message).to.include("Example 2").and.include("add a replica on another host");
        });
        it("says nothing with minReplicasToWrite 0", () => {
            expect(replicasAfterLossWarning(view(["a", "b"], ["a", "b", "c"], { minReplicasToWrite: 0 }))).to.deep.equal([]);
        });
    });

    describe("checkHosts", () => {
        const placement = { strategy: "round-robin" as const, pins: {}, survive: "host" as const };
        const servers = ["redis-0", "redis-1", "sentinel-0", "sentinel-1", "sentinel-2"];

        it("checks nothing of placement without hosts, but still refuses pins and stray TLS", () => {
            expect(checkHosts({ hosts: undefined, placement, tls: undefined, servers, view: undefined })).to.deep.equal([]);
            const found = checkHosts({
                hosts: undefined,
                placement: { ...placement, pins: { "redis-0": "a" } },
                tls: { secret: true, hosts: { a: { ca: true, cert: true, key: true } } },
                servers,
                view: undefined,
            });
            expect(errors(found)).to.have.length(2);
        });
        it("skips the loss rules with survive: none", () => {
            const v = view(["a", "a"], ["a", "a", "b"]);
            expect(
                checkHosts({ hosts: [A, B], placement: { ...placement, survive: "none" }, tls: undefined, servers, view: v }),
            ).to.deep.equal([]);
            expect(errors(checkHosts({ hosts: [A, B], placement, tls: undefined, servers, view: v })).length).to.be.greaterThan(1);
        });
    });
});

describe("host address rules", () => {
    it("accepts private addresses, and loopback for a single host", () => {
        expect(hostAddressesReachable([A, B, C])).to.deep.equal([]);
        expect(hostAddressesReachable([host("a", "127.0.0.1")])).to.deep.equal([]);
    });
    it("rejects 0.0.0.0 always and loopback beside other hosts", () => {
        const found = messages(hostAddressesReachable([host("a", "0.0.0.0"), host("b", "127.0.0.1"), C]));
        expect(found[0]).to.match(/^appscreens-redis:cluster\.hosts\[0\]\.address: 0\.0\.0\.0 is not an address a peer can reach/);
        expect(found[1]).to.match(/^appscreens-redis:cluster\.hosts\[1\]\.address: 127\.0\.0\.1 is loopback/);
    });
    it("rejects publish.host set beside hosts, where it would be unused", () => {
        expect(publishHostUnusedWithHosts([A], true)[0].message).to.equal(
            "appscreens-redis:cluster.publish.host: is unused with hosts (each server publishes on its host's address); remove it",
        );
        expect(publishHostUnusedWithHosts([A], false)).to.deep.equal([]);
        expect(publishHostUnusedWithHosts(undefined, true)).to.deep.equal([]);
    });
});
