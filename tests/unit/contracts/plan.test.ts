import { expect } from "chai";
import { buildPostDeployPlan, parsePostDeployPlan, PlanError } from "../../../contracts/plan";
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
            [edited(["nodes", 1, "port"], "6380"), "nodes[1].port"],
            [edited(["masterName"], undefined), "masterName"],
            [edited(["sentinels"], []), "sentinels"],
            [edited(["warmer", "batchSize"], 0), "warmer.batchSize"],
            [edited(["expected", "redisConfig", "maxmemory"], 256), "expected.redisConfig.maxmemory"],
            [edited(["natMap", "172.28.0.10:6379"], { host: "127.0.0.1" }), 'natMap["172.28.0.10:6379"].port'],
            [edited(["nodes", 0, "announced"], "172.28.0.10"), "nodes[0].announced"],
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
});
