import { expect } from "chai";
import { bootstrapArgs, SENTINEL_DIRECTIVES } from "../../../render/directives";
import { MASTER_PLACEHOLDER, renderSentinelConf, sentinelId } from "../../../render/sentinel-conf";
import { directiveValue, settingsFor } from "../../support/settings";

const REDIS_PASSWORD = "Zq8mN2vR5tY7uI9oP1aS";
const SENTINEL_PASSWORD = "Sx8mN2vR5tY7uI9oP1aQ";

describe("renderSentinelConf (a Sentinel's initial config)", () => {
    const render = (cluster: unknown, sentinelIndex = 0, settings = settingsFor(cluster)) =>
        renderSentinelConf({
            settings,
            sentinel: settings.plan.sentinels[sentinelIndex],
            redisPassword: REDIS_PASSWORD,
            sentinelPassword: SENTINEL_PASSWORD,
        });

    it("monitors whichever master the start script finds, never node 0 by default, with the seed document's timings", () => {
        const conf = render({});
        expect(directiveValue(conf, "sentinel monitor")).to.equal(`mymaster ${MASTER_PLACEHOLDER} 6379 2`);
        expect(conf).to.not.include("172.28.0.10");
        expect(directiveValue(conf, "sentinel down-after-milliseconds")).to.equal("mymaster 5000");
        expect(directiveValue(conf, "sentinel parallel-syncs")).to.equal("mymaster 1");
        expect(directiveValue(conf, "sentinel failover-timeout")).to.equal("mymaster 10000");
    });

    it("authenticates to Redis with auth-pass, guards itself with requirepass and presents it to its peers", () => {
        const conf = render({});
        expect(directiveValue(conf, "sentinel auth-pass")).to.equal(`mymaster "${REDIS_PASSWORD}"`);
        expect(directiveValue(conf, "requirepass")).to.equal(`"${SENTINEL_PASSWORD}"`);
        expect(directiveValue(conf, "sentinel sentinel-pass")).to.equal(`"${SENTINEL_PASSWORD}"`);
    });

    it("keeps a stable identity per stack and index, so a replaced Sentinel is the same member", () => {
        const settings = settingsFor({});
        const [, one, two] = settings.plan.sentinels;
        expect(directiveValue(render({}, 1), "sentinel myid")).to.equal(sentinelId(settings, one));
        expect(sentinelId(settings, one)).to.match(/^[0-9a-f]{40}$/);
        expect(sentinelId(settings, one)).to.not.equal(sentinelId(settings, two));
        expect(sentinelId(settings, one)).to.not.equal(sentinelId(settingsFor({}, "prod"), one));
    });

    it("announces its static address on the command line and never relies on hostnames", () => {
        const settings = settingsFor({});
        const args = bootstrapArgs(SENTINEL_DIRECTIVES, settings, settings.plan.sentinels[2]).join(" ");
        expect(args).to.include("--sentinel announce-ip 172.28.0.42");
        expect(args).to.include("--sentinel resolve-hostnames no");
        expect(args).to.include("--protected-mode yes");
        expect(args).to.include("--dir /data");
    });

    it("renders non-default values", () => {
        const conf = render(
            {
                sentinels: 5,
                sentinel: { masterName: "appscreens", quorum: 3, downAfterMilliseconds: 1000, parallelSyncs: 2, failoverTimeout: 3000 },
            },
            4,
        );
        expect(directiveValue(conf, "sentinel monitor")).to.equal(`appscreens ${MASTER_PLACEHOLDER} 6379 3`);
        expect(directiveValue(conf, "sentinel down-after-milliseconds")).to.equal("appscreens 1000");
        expect(directiveValue(conf, "sentinel parallel-syncs")).to.equal("appscreens 2");
        expect(directiveValue(conf, "sentinel failover-timeout")).to.equal("appscreens 3000");
    });

    it("is deterministic", () => {
        expect(render({ replicas: 3 }, 1)).to.equal(render({ replicas: 3 }, 1));
    });
});
