import { expect } from "chai";
import {
    buildPostDeployPlan,
    natMapOf,
    nodesOf,
    parsePostDeployPlan,
    PlanError,
    sentinelAddresses,
    sentinelsOf,
} from "../../../contracts/plan";
import { buildConnectionInfo } from "../../../settings/connection-info";
import { PLAN_ENV } from "../../../contracts/env";
import { settingsFor } from "../../support/settings";

/** The error `parsePostDeployPlan` throws for `text`, or a failed test if it accepts it. */
function refusal(text: string): PlanError {
    try {
        parsePostDeployPlan(text);
    } catch (err) {
        expect(err).to.be.instanceOf(PlanError);
        return err as PlanError;
    }
    expect.fail(`accepted a bad plan: ${text.slice(0, 200)}`);
}

describe("the post-deploy plan read from the environment", () => {
    const plan = buildPostDeployPlan(
        settingsFor({
            replicas: 3,
            sentinels: 5,
            sentinel: { quorum: 3 },
            warmer: { appstore: { kind: "itunes", topN: 10 }, playstore: { kind: "none" }, apps: { playstore: ["com.whatsapp"] } },
        }),
    );
    const json = JSON.stringify(plan);
    /** The plan as JSON with the value at `path` replaced (or removed when `value` is undefined). */
    const edited = (path: (string | number)[], value: unknown): string => {
        const copy = JSON.parse(json) as unknown;
        const parent = path
            .slice(0, -1)
            .reduce<Record<string | number, unknown>>(
                (at, key) => at[key] as Record<string | number, unknown>,
                copy as Record<string, unknown>,
            );
        const last = path[path.length - 1];
        if (value === undefined) Reflect.deleteProperty(parent, last);
        else parent[last] = value;
        return JSON.stringify(copy);
    };

    it("reads back exactly the plan the program wrote", () => {
        expect(parsePostDeployPlan(json)).to.deep.equal(plan);
        const dev = buildPostDeployPlan(settingsFor());
        expect(parsePostDeployPlan(JSON.stringify(dev))).to.deep.equal(dev);
    });

    it("refuses text that is not JSON, saying where it comes from and what to do instead", () => {
        const err = refusal(json.slice(0, -1));
        expect(err.kind).to.equal("not-json");
        expect(err.field).to.equal(undefined);
        expect(err.message).to.include(`${PLAN_ENV} is not JSON`).and.include("--stack <name>");
    });

    it("names the first malformed field", () => {
        const cases: [string, string][] = [
            [edited(["servers", 1, "port"], "6380"), "servers[1].port"],
            [edited(["masterName"], undefined), "masterName"],
            [edited(["servers"], []), "servers"],
            [edited(["warmer", "batchSize"], 0), "warmer.batchSize"],
            [edited(["expected", "redisConfig", "maxmemory"], 256), "expected.redisConfig.maxmemory"],
            [edited(["servers", 5, "kind"], "replica"), "servers[5].kind"],
            [edited(["servers", 0, "announced"], "172.28.0.10"), "servers[0].announced"],
        ];
        for (const [text, field] of cases) {
            const err = refusal(text);
            expect(err.kind, field).to.equal("malformed");
            expect(err.field).to.equal(field);
            expect(err.message).to.include(`${PLAN_ENV} is malformed at ${field}: `);
        }
    });

    it("refuses a key the plan does not have (a plan from another version of the project)", () => {
        const err = refusal(edited(["verifier", "sampelSize"], 5));
        expect(err.kind).to.equal("malformed");
        expect(err.field).to.equal("verifier");
        expect(err.message).to.include("sampelSize");
    });

    it("refuses an expected value for a directive the server's table does not have", () => {
        const err = refusal(edited(["expected", "sentinelConfig", "maxmemory"], "1"));
        expect(err.field).to.equal("expected.sentinelConfig");
        expect(err.message).to.include("maxmemory");
    });

    it("refuses a plan without a Sentinel, or naming a server twice", () => {
        const nodesOnly = JSON.stringify({ ...plan, servers: nodesOf(plan) });
        expect(refusal(nodesOnly).field).to.equal("servers");
        expect(refusal(nodesOnly).message).to.include("at least one node and one Sentinel");
        const twice = JSON.stringify({ ...plan, servers: [...plan.servers, plan.servers[0]] });
        expect(refusal(twice).message).to.include("names a server twice");
    });
});

describe("the plan's servers, one shape each", () => {
    const settings = settingsFor({ replicas: 3, sentinels: 5, sentinel: { quorum: 3 } });
    const plan = buildPostDeployPlan(settings);

    it("lists every node, then every Sentinel, with its announced and published address", () => {
        expect(nodesOf(plan).map((n) => n.name)).to.deep.equal(["redis-0", "redis-1", "redis-2", "redis-3"]);
        expect(sentinelsOf(plan).map((s) => s.name)).to.deep.equal(["sentinel-0", "sentinel-1", "sentinel-2", "sentinel-3", "sentinel-4"]);
        expect(plan.servers[1]).to.deep.equal({
            name: "redis-1",
            kind: "redis",
            announced: "172.28.0.11:6379",
            host: "127.0.0.1",
            port: 6380,
        });
    });

    it("derives the Sentinel lists and natMap the stack outputs hold", () => {
        const info = buildConnectionInfo(settings);
        expect(natMapOf(plan)).to.deep.equal(info.natMap);
        expect(sentinelAddresses(plan, "host")).to.deep.equal(info.sentinelEndpoints);
        expect(sentinelAddresses(plan, "network")).to.deep.equal(info.sentinelEndpointsInNetwork);
    });
});
