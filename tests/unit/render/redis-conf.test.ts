import { expect } from "chai";
import { bootstrapArgs, REDIS_DIRECTIVES } from "../../../render/directives";
import { renderRedisConf } from "../../../render/redis-conf";
import { directiveValue, directiveValues, settingsFor } from "../../support/settings";

const PASSWORD = "Zq8mN2vR5tY7uI9oP1aS";

describe("renderRedisConf (a node's initial config)", () => {
    const defaults = settingsFor();
    const master = renderRedisConf({ settings: defaults, node: defaults.plan.nodes[0], password: PASSWORD });
    const replica = renderRedisConf({ settings: defaults, node: defaults.plan.nodes[2], password: PASSWORD });

    it("renders the seed document's persistence and memory settings by default", () => {
        expect(directiveValues(master, "save")).to.deep.equal(["3600 1 300 100 60 10000"]);
        expect(directiveValue(master, "appendonly")).to.equal("yes");
        expect(directiveValue(master, "appendfsync")).to.equal("everysec");
        expect(directiveValue(master, "aof-use-rdb-preamble")).to.equal("yes");
        expect(directiveValue(master, "maxmemory")).to.equal("256mb");
        expect(directiveValue(master, "maxmemory-policy")).to.equal("allkeys-lru");
        expect(directiveValue(master, "maxclients")).to.equal("10000");
        expect(directiveValue(master, "tcp-keepalive")).to.equal("300");
        expect(directiveValue(master, "min-replicas-to-write")).to.equal("1");
        expect(directiveValue(master, "min-replicas-max-lag")).to.equal("10");
    });

    it("gives every node both requirepass and masterauth", () => {
        for (const conf of [master, replica]) {
            expect(directiveValue(conf, "requirepass")).to.equal(`"${PASSWORD}"`);
            expect(directiveValue(conf, "masterauth")).to.equal(`"${PASSWORD}"`);
        }
    });

    it("names no role: the start script asks the Sentinels who the master is", () => {
        for (const conf of [master, replica]) {
            expect(directiveValue(conf, "replicaof")).to.equal(undefined);
            expect(directiveValue(conf, "slaveof")).to.equal(undefined);
        }
    });

    it("leaves bootstrap directives to the command line, where they stay in force after CONFIG REWRITE", () => {
        for (const name of ["port", "dir", "appenddirname", "replica-announce-ip"])
            expect(directiveValue(master, name), name).to.equal(undefined);
        const args = bootstrapArgs(REDIS_DIRECTIVES, defaults, defaults.plan.nodes[2]);
        expect(args.join(" ")).to.include("--replica-announce-ip 172.28.0.12");
        expect(args.join(" ")).to.include("--appenddirname appendonlydir");
        expect(args.join(" ")).to.include("--protected-mode yes");
        expect(args).to.not.include("--maxmemory");
    });

    it("renders non-default values", () => {
        const settings = settingsFor({
            network: { subnet: "10.9.0.0/24" },
            redis: {
                save: [],
                appendonly: false,
                appendfsync: "always",
                aofUseRdbPreamble: false,
                maxmemory: "2gb",
                maxmemoryPolicy: "volatile-ttl",
                maxclients: 500,
                tcpKeepalive: 60,
                minReplicasToWrite: 2,
                minReplicasMaxLag: 5,
            },
        });
        const conf = renderRedisConf({ settings, node: settings.plan.nodes[1], password: PASSWORD });
        expect(directiveValues(conf, "save")).to.deep.equal(['""']);
        expect(directiveValue(conf, "appendonly")).to.equal("no");
        expect(directiveValue(conf, "appendfsync")).to.equal("always");
        expect(directiveValue(conf, "aof-use-rdb-preamble")).to.equal("no");
        expect(directiveValue(conf, "maxmemory")).to.equal("2gb");
        expect(directiveValue(conf, "maxmemory-policy")).to.equal("volatile-ttl");
        expect(directiveValue(conf, "maxclients")).to.equal("500");
        expect(directiveValue(conf, "tcp-keepalive")).to.equal("60");
        expect(directiveValue(conf, "min-replicas-to-write")).to.equal("2");
        expect(directiveValue(conf, "min-replicas-max-lag")).to.equal("5");
    });

    it("is deterministic and comments every block", () => {
        expect(renderRedisConf({ settings: settingsFor(), node: settingsFor().plan.nodes[0], password: PASSWORD })).to.equal(master);
        const blocks = master.trim().split("\n\n");
        for (const block of blocks) expect(block.startsWith("#"), block).to.equal(true);
    });

    it("refuses a value that could break out of its line even if validation were bypassed", () => {
        expect(() =>
            renderRedisConf({ settings: defaults, node: defaults.plan.nodes[0], password: 'x"\nreplicaof 1.2.3.4 6379' }),
        ).to.throw(/refusing/);
        expect(() =>
            renderRedisConf({ settings: defaults, node: { ...defaults.plan.nodes[2], name: "redis-3" }, password: PASSWORD }),
        ).to.throw(/no node redis-3/);
    });
});
