import { expect } from "chai";
import { StackConfigError, validateStackConfig } from "../../../settings/validate";

const problemsOf = (cluster: unknown): string[] => {
    try {
        validateStackConfig({ stack: "dev", keys: ["cluster"], cluster, secrets: {} });
        return [];
    } catch (err) {
        if (err instanceof StackConfigError) return [...err.problems];
        throw err;
    }
};

describe("warmer config: limits the stores serve and tolerate", () => {
    const rejections: [string, unknown, string, RegExp][] = [
        [
            "an App Store topN above the 100 entries Apple's chart serves",
            { warmer: { appstore: { kind: "itunes", topN: 101 } } },
            "appscreens-redis:cluster.warmer.appstore.topN",
            /at most 100.*chart serves at most 100 apps/,
        ],
        [
            "a Play Store topN above google-play-api's list",
            { warmer: { playstore: { kind: "google-play-api", baseUrl: "http://127.0.0.1:3000", topN: 501 } } },
            "appscreens-redis:cluster.warmer.playstore.topN",
            /at most 500/,
        ],
        [
            "a collection google-play-api rejects",
            { warmer: { playstore: { kind: "google-play-api", baseUrl: "http://127.0.0.1:3000", collection: "TOP_NEW_FREE" } } },
            "appscreens-redis:cluster.warmer.playstore.collection",
            /TOP_FREE, TOP_PAID, GROSSING/,
        ],
        [
            "more ids per lookup than one request takes",
            { warmer: { appstore: { kind: "itunes", lookupBatchSize: 500 } } },
            "appscreens-redis:cluster.warmer.appstore.lookupBatchSize",
            /at most 200/,
        ],
        [
            "a request rate of 0",
            { warmer: { limits: { appstore: { requestsPerMinute: 0 } } } },
            "appscreens-redis:cluster.warmer.limits.appstore.requestsPerMinute",
            /at least 1.*20 lookup calls per minute/,
        ],
        [
            "a snapshot that is not .json or .jsonl",
            { warmer: { playstore: { kind: "file", path: "apps.csv" } } },
            "appscreens-redis:cluster.warmer.playstore.path",
            /\.jsonl/,
        ],
    ];
    for (const [what, cluster, key, message] of rejections) {
        it(`rejects ${what}, naming ${key}`, () => {
            const problems = problemsOf(cluster);
            const problem = problems.find((p) => p.startsWith(`${key}:`));
            expect(problem, `problems were:\n${problems.join("\n")}`).to.not.equal(undefined);
            expect(problem).to.match(message);
        });
    }

    it("accepts the largest values the stores serve, and defaults each store's limits to what it tolerates", () => {
        const { warmer } = validateStackConfig({
            stack: "dev",
            keys: ["cluster"],
            secrets: {},
            cluster: {
                warmer: {
                    appstore: { kind: "itunes", topN: 100, lookupBatchSize: 200 },
                    playstore: { kind: "google-play-api", baseUrl: "http://127.0.0.1:3000", topN: 500, collection: "GROSSING" },
                },
            },
        }).cluster;
        expect(warmer.appstore).to.include({ topN: 100, lookupBatchSize: 200 });
        expect(warmer.playstore).to.include({ topN: 500, collection: "GROSSING" });
        expect(warmer.limits).to.deep.equal({
            appstore: { requestsPerMinute: 20, concurrency: 1 },
            playstore: { requestsPerMinute: 300, concurrency: 4 },
        });
    });
});
