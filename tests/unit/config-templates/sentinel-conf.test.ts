import { expect } from "chai";
import { renderSentinelConf } from "../../../config-templates/sentinel-conf";
import { directiveValue, settingsFor } from "../helpers";

const REDIS_PASSWORD = "Zq8mN2vR5tY7uI9oP1aS";
const SENTINEL_PASSWORD = "Sx8mN2vR5tY7uI9oP1aQ";

describe("renderSentinelConf", () => {
    const render = (cluster: unknown, sentinelIndex = 0) =>
        renderSentinelConf({
            settings: settingsFor(cluster),
            sentinelIndex,
            redisPassword: REDIS_PASSWORD,
            sentinelPassword: SENTINEL_PASSWORD,
        });

    it("monitors node 0 with the seed document's timings by default", () => {
        const conf = render({});
        expect(directiveValue(conf, "sentinel monitor")).to.equal("mymaster 172.28.0.10 6379 2");
        expect(directiveValue(conf, "sentinel down-after-milliseconds")).to.equal("mymaster 5000");
        expect(directiveValue(conf, "sentinel parallel-syncs")).to.equal("mymaster 1");
        expect(directiveValue(conf, "sentinel failover-timeout")).to.equal("mymaster 10000");
    });

    it("authenticates to Redis with auth-pass and guards itself with its own requirepass", () => {
        const conf = render({});
        expect(directiveValue(conf, "sentinel auth-pass")).to.equal(`mymaster "${REDIS_PASSWORD}"`);
        expect(directiveValue(conf, "requirepass")).to.equal(`"${SENTINEL_PASSWORD}"`);
        expect(directiveValue(conf, "protected-mode")).to.equal("yes");
    });

    it("announces its static address and never relies on hostnames", () => {
        const conf = render({}, 2);
        expect(directiveValue(conf, "sentinel announce-ip")).to.equal("172.28.0.15");
        expect(directiveValue(conf, "sentinel resolve-hostnames")).to.equal("no");
        expect(directiveValue(conf, "dir")).to.equal("/data");
    });

    it("renders non-default values", () => {
        const conf = render(
            {
                sentinels: 5,
                sentinel: { masterName: "appscreens", quorum: 3, downAfterMilliseconds: 1000, parallelSyncs: 2, failoverTimeout: 3000 },
            },
            4,
        );
        expect(directiveValue(conf, "sentinel monitor")).to.equal("appscreens 172.28.0.10 6379 3");
        expect(directiveValue(conf, "sentinel down-after-milliseconds")).to.equal("appscreens 1000");
        expect(directiveValue(conf, "sentinel parallel-syncs")).to.equal("appscreens 2");
        expect(directiveValue(conf, "sentinel failover-timeout")).to.equal("appscreens 3000");
        expect(directiveValue(conf, "sentinel announce-ip")).to.equal("172.28.0.17");
    });

    it("is deterministic", () => {
        expect(render({ replicas: 3 }, 1)).to.equal(render({ replicas: 3 }, 1));
    });
});
