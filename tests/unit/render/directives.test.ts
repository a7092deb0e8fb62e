import { expect } from "chai";
import {
    bootstrapArgs,
    DIRECTIVES,
    expectedValues,
    readBackOf,
    REDIS_DIRECTIVES,
    RedisDirectiveName,
    runtimeValues,
    SENTINEL_DIRECTIVES,
    SentinelDirectiveName,
    settingsToChange,
} from "../../../render/directives";
import { settingsFor } from "../../support/settings";

describe("the directive table", () => {
    const settings = settingsFor({ redis: { maxmemory: "64mb", save: [] }, sentinel: { downAfterMilliseconds: 1500 } });
    const node = settings.plan.nodes[1];

    it("names every directive once per server kind", () => {
        for (const table of [REDIS_DIRECTIVES, SENTINEL_DIRECTIVES]) {
            const names = table.map((d) => d.name);
            expect(new Set(names).size).to.equal(names.length);
        }
    });

    it("gives the runtime values the settings step enforces, from the stack config", () => {
        const values = runtimeValues(REDIS_DIRECTIVES, settings, node);
        expect(values).to.include({ maxmemory: "64mb", save: "", appendonly: "yes", "maxmemory-policy": "allkeys-lru" });
        expect(values).to.not.have.property("appenddirname");
        expect(runtimeValues(SENTINEL_DIRECTIVES, settings, settings.plan.sentinels[0])).to.deep.equal({
            quorum: "2",
            "down-after-milliseconds": "1500",
            "parallel-syncs": "1",
            "failover-timeout": "10000",
        });
    });

    it("tells the verifier what a server answers: memory in bytes, bootstrap ones only where asked", () => {
        const expected = expectedValues(REDIS_DIRECTIVES, settings, node);
        expect(expected.maxmemory).to.equal(String(64 * 1024 * 1024));
        expect(expected).to.include({ dir: "/data", appenddirname: "appendonlydir", save: "" });
        expect(expected).to.not.have.property("replica-announce-ip");
        expect(readBackOf(REDIS_DIRECTIVES, "maxmemory", "1gb")).to.equal(String(1024 ** 3));
        expect(readBackOf(REDIS_DIRECTIVES, "appendfsync", "always")).to.equal("always");
    });

    it("changes only what differs from the server, comparing in the server's own form", () => {
        const wanted = runtimeValues(REDIS_DIRECTIVES, settings, node);
        const current = { ...expectedValues(REDIS_DIRECTIVES, settings, node) };
        expect(settingsToChange(REDIS_DIRECTIVES, wanted, current)).to.deep.equal([]);
        current.maxmemory = String(256 * 1024 * 1024);
        current.appendfsync = "always";
        expect(settingsToChange(REDIS_DIRECTIVES, wanted, current)).to.deep.equal([
            { name: "appendfsync", from: "always", to: "everysec" },
            { name: "maxmemory", from: String(256 * 1024 * 1024), to: "64mb" },
        ]);
    });

    it("puts every bootstrap directive, and only those, on the command line", () => {
        const args = bootstrapArgs(REDIS_DIRECTIVES, settings, node);
        const flags = args.filter((a) => a.startsWith("--")).map((a) => a.slice(2));
        expect(flags).to.deep.equal(REDIS_DIRECTIVES.filter((d) => d.phase === "bootstrap").map((d) => d.name));
        expect(args[args.indexOf("--replica-announce-ip") + 1]).to.equal(node.address);
    });

    it("gives each kind of server its table, and names directives by type: a typo does not compile", () => {
        expect(DIRECTIVES.redis).to.equal(REDIS_DIRECTIVES);
        expect(DIRECTIVES.sentinel).to.equal(SENTINEL_DIRECTIVES);
        const names: RedisDirectiveName[] = ["maxmemory", "min-replicas-max-lag"];
        // @ts-expect-error -- misspelt: not a directive of a node
        names.push("maxmemroy");
        // @ts-expect-error -- a Sentinel's directive, not a node's
        names.push("down-after-milliseconds" satisfies SentinelDirectiveName);
        // @ts-expect-error -- misspelt: readBackOf takes only the table's names
        expect(readBackOf(REDIS_DIRECTIVES, "appendfsynk", "always")).to.equal("always");
        expect(names).to.include("maxmemory");
    });
});
