import { expect } from "chai";
import {
    formatIpv4,
    MAX_NODES,
    memberKey,
    nodeEndpoint,
    parseCidr,
    parseIpv4,
    placementOf,
    placeServers,
    planAddresses,
    sameMember,
    sentinelEndpoint,
} from "../../../settings/address-plan";

describe("address plan", () => {
    it("parses and formats IPv4 addresses both ways", () => {
        expect(parseIpv4("172.28.0.10")).to.equal(172 * 2 ** 24 + 28 * 2 ** 16 + 10);
        expect(formatIpv4(parseIpv4("10.255.0.1")!)).to.equal("10.255.0.1");
        expect(parseIpv4("256.1.1.1")).to.equal(undefined);
        expect(parseIpv4("01.1.1.1")).to.equal(undefined);
        expect(parseCidr("10.0.0.0/33")).to.equal(undefined);
    });

    it("puts nodes then Sentinels at static addresses in the lower half, apps in the upper half", () => {
        const plan = planAddresses({
            subnet: "10.20.30.0/24",
            nodeCount: 3,
            sentinelCount: 3,
            redisBasePort: 7000,
            sentinelBasePort: 27000,
            publishAddress: "127.0.0.1",
        });
        expect(plan.gateway).to.equal("10.20.30.1");
        expect(plan.dynamicRange).to.equal("10.20.30.128/25");
        expect(plan.nodes.map((n) => [n.name, n.address, n.port, n.hostPort])).to.deep.equal([
            ["redis-0", "10.20.30.10", 6379, 7000],
            ["redis-1", "10.20.30.11", 6379, 7001],
            ["redis-2", "10.20.30.12", 6379, 7002],
        ]);
        expect(plan.sentinels.map((s) => [s.name, s.address, s.port, s.hostPort])).to.deep.equal([
            ["sentinel-0", "10.20.30.40", 26379, 27000],
            ["sentinel-1", "10.20.30.41", 26379, 27001],
            ["sentinel-2", "10.20.30.42", 26379, 27002],
        ]);
    });

    it("never moves a Sentinel when the replicas are scaled", () => {
        const input = {
            subnet: "10.20.30.0/24",
            sentinelCount: 3,
            redisBasePort: 7000,
            sentinelBasePort: 27000,
            publishAddress: "127.0.0.1",
        };
        const small = planAddresses({ ...input, nodeCount: 2 });
        const large = planAddresses({ ...input, nodeCount: MAX_NODES });
        expect(large.sentinels).to.deep.equal(small.sentinels);
        const lastNode = parseIpv4(large.nodes[MAX_NODES - 1].address)!;
        expect(lastNode).to.be.lessThan(parseIpv4(large.sentinels[0].address)!);
    });

    it("names a server at any index, declared or not (for servers a scale-down removed)", () => {
        const input = { subnet: "10.20.30.0/24", redisBasePort: 7000, sentinelBasePort: 27000, publishAddress: "127.0.0.1" };
        expect(nodeEndpoint(input, 5)).to.deep.equal({
            name: "redis-5",
            address: "10.20.30.15",
            port: 6379,
            hostPort: 7005,
            publishAddress: "127.0.0.1",
            announce: { address: "10.20.30.15", port: 6379 },
        });
        expect(sentinelEndpoint(input, 4)).to.deep.equal({
            name: "sentinel-4",
            address: "10.20.30.44",
            port: 26379,
            hostPort: 27004,
            publishAddress: "127.0.0.1",
            announce: { address: "10.20.30.44", port: 26379 },
        });
    });

    it("crosses octet boundaries in larger subnets", () => {
        const plan = planAddresses({
            subnet: "172.16.0.0/16",
            nodeCount: 2,
            sentinelCount: 3,
            redisBasePort: 6379,
            sentinelBasePort: 26379,
            publishAddress: "127.0.0.1",
        });
        expect(plan.dynamicRange).to.equal("172.16.128.0/17");
    });

    describe("across hosts", () => {
        const HOSTS = [
            { name: "a", address: "10.77.0.11" },
            { name: "b", address: "10.77.0.12" },
            { name: "c", address: "10.77.0.13" },
        ];
        const input = {
            subnet: "172.28.0.0/24",
            nodeCount: 3,
            sentinelCount: 3,
            redisBasePort: 6379,
            sentinelBasePort: 26379,
            publishAddress: "127.0.0.1",
            hosts: HOSTS,
        };
        const servers = (nodes: number, sentinels: number) => [
            ...Array.from({ length: nodes }, (_, i) => ({ name: `redis-${i}`, kind: "redis" as const })),
            ...Array.from({ length: sentinels }, (_, i) => ({ name: `sentinel-${i}`, kind: "sentinel" as const })),
        ];

        it("places round-robin by kind: node i and Sentinel i on host i mod n (Example 2)", () => {
            expect(placeServers(["a", "b", "c"], servers(4, 5))).to.deep.equal({
                "redis-0": "a",
                "redis-1": "b",
                "redis-2": "c",
                "redis-3": "a",
                "sentinel-0": "a",
                "sentinel-1": "b",
                "sentinel-2": "c",
                "sentinel-3": "a",
                "sentinel-4": "b",
            });
        });

        it("honours pins and balances the others around the ones before them", () => {
            const placed = placeServers(["a", "b", "c"], servers(3, 3), { "redis-0": "c", "sentinel-1": "a" });
            expect(placed).to.deep.include({ "redis-0": "c", "redis-1": "a", "redis-2": "b", "sentinel-0": "a", "sentinel-1": "a" });
            expect(placed["sentinel-2"]).to.equal("b");
        });

        it("never moves a server when one is added after it, pinned or not", () => {
            const before = placeServers(["a", "b", "c"], servers(3, 3));
            for (const pins of [{}, { "redis-3": "a" }, { "redis-3": "c" }] as Record<string, string>[]) {
                const after = placeServers(["a", "b", "c"], servers(4, 3), pins);
                for (const [name, host] of Object.entries(before))
                    expect(after[name], `${name} with ${JSON.stringify(pins)}`).to.equal(host);
            }
        });

        /** Each server whose host differs between two hosts lists (pins after the change, and before it), as "server: before -> after". */
        const moves = (
            before: string[],
            after: string[],
            nodes: number,
            sentinels: number,
            pins: Record<string, string> = {},
            pinsBefore = pins,
        ) => {
            const was = placeServers(before, servers(nodes, sentinels), pinsBefore);
            const now = placeServers(after, servers(nodes, sentinels), pins);
            return Object.keys(now)
                .filter((name) => now[name] !== was[name])
                .map((name) => `${name}: ${was[name]} -> ${now[name]}`);
        };

        it("adding a host at the end moves only the servers past the old host count, some of them between old hosts; first, every server", () => {
            // The test stack (3 nodes, 3 Sentinels): round-robin already gives every host one of
            // each, so a fourth host gets nothing (the multi-host live suite adds one for real).
            expect(moves(["a", "b", "c"], ["a", "b", "c", "d"], 3, 3)).to.deep.equal([]);
            // The prod stack's 5 Sentinels: sentinel-3 goes to the new host, and sentinel-4 moves
            // from b to a although b is still there: a move that only the round-robin asks for.
            expect(moves(["a", "b", "c"], ["a", "b", "c", "d"], 3, 5)).to.deep.equal(["sentinel-3: a -> d", "sentinel-4: b -> a"]);
            // Hosts are taken in list order: a host added first takes every server's place.
            expect(moves(["a", "b", "c"], ["d", "a", "b", "c"], 3, 3)).to.have.length(6);
            // A pin added with the new host keeps a server where it is through the change.
            expect(moves(["a", "b", "c"], ["a", "b", "c", "d"], 3, 5, { "sentinel-4": "b" }, {})).to.deep.equal(["sentinel-3: a -> d"]);
        });

        it("removing the last host moves only its servers; removing the first moves every server unless pinned", () => {
            expect(moves(["a", "b", "c", "d"], ["a", "b", "c"], 4, 4)).to.deep.equal(["redis-3: d -> a", "sentinel-3: d -> a"]);
            // Hosts are taken in list order, so every server shifts to the next host.
            expect(moves(["a", "b", "c", "d"], ["b", "c", "d"], 3, 3)).to.deep.equal([
                "redis-0: a -> b",
                "redis-1: b -> c",
                "redis-2: c -> d",
                "sentinel-0: a -> b",
                "sentinel-1: b -> c",
                "sentinel-2: c -> d",
            ]);
            // Pinning the servers that should stay is not enough: placement does not look ahead at
            // later pins, so redis-0 takes b, the emptiest host when it is placed, beside redis-1
            // (and sentinel-0 beside sentinel-1: a placement the Sentinel rule then rejects).
            const stay = { "redis-1": "b", "redis-2": "c", "sentinel-1": "b", "sentinel-2": "c" };
            expect(moves(["a", "b", "c", "d"], ["b", "c", "d"], 3, 3, stay)).to.deep.equal(["redis-0: a -> b", "sentinel-0: a -> b"]);
            // Pinning the removed host's servers too moves only them.
            const all = { ...stay, "redis-0": "d", "sentinel-0": "d" };
            expect(moves(["a", "b", "c", "d"], ["b", "c", "d"], 3, 3, all, {})).to.deep.equal(["redis-0: a -> d", "sentinel-0: a -> d"]);
        });

        it("ignores a pin to an unknown host (validation reports it) and needs a host", () => {
            expect(placeServers(["a", "b"], servers(1, 0), { "redis-0": "zz" })).to.deep.equal({ "redis-0": "a" });
            expect(() => placeServers([], servers(1, 0))).to.throw(/at least one host/);
        });

        it("publishes each server on its host's address and announces that address with its published port", () => {
            const plan = planAddresses(input);
            expect(plan.hosts).to.deep.equal(HOSTS);
            expect(plan.nodes.map((n) => [n.name, n.host, n.publishAddress, memberKey(n.announce)])).to.deep.equal([
                ["redis-0", "a", "10.77.0.11", "10.77.0.11:6379"],
                ["redis-1", "b", "10.77.0.12", "10.77.0.12:6380"],
                ["redis-2", "c", "10.77.0.13", "10.77.0.13:6381"],
            ]);
            expect(memberKey(plan.sentinels[2].announce)).to.equal("10.77.0.13:26381");
            // The static address on the host's own network stays what it was on one host.
            expect(plan.nodes[1].address).to.equal("172.28.0.11");
            expect(placementOf(plan)).to.deep.include({ "redis-2": "c", "sentinel-0": "a" });
        });

        it("gives servers of one kind on one host different ports, so their announced pairs differ", () => {
            const plan = planAddresses({ ...input, nodeCount: 6 });
            const onA = plan.nodes.filter((n) => n.host === "a");
            expect(onA.map((n) => n.name)).to.deep.equal(["redis-0", "redis-3"]);
            expect(onA[0].announce.address).to.equal(onA[1].announce.address);
            expect(sameMember(onA[0].announce, onA[1].announce)).to.equal(false);
            const pairs = [...plan.nodes, ...plan.sentinels].map((e) => memberKey(e.announce));
            expect(new Set(pairs).size).to.equal(pairs.length);
        });

        it("keeps a single host's plan as it was: no hosts, announce = static address and container port", () => {
            const plan = planAddresses({ ...input, hosts: undefined });
            expect(plan.hosts).to.equal(undefined);
            expect(placementOf(plan)).to.equal(undefined);
            expect(plan.nodes[2]).to.deep.equal(nodeEndpoint(input, 2));
            expect(plan.sentinels[0].announce).to.deep.equal({ address: "172.28.0.40", port: 26379 });
            expect(plan.nodes.every((n) => n.host === undefined && n.publishAddress === "127.0.0.1")).to.equal(true);
        });
    });
});
