import { expect } from "chai";
import { formatIpv4, MAX_NODES, nodeEndpoint, parseCidr, parseIpv4, planAddresses, sentinelEndpoint } from "../../../settings/address-plan";

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
});
