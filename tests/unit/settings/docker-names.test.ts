import { expect } from "chai";
import { dataVolumeName, declaredDataVolumes, dockerName, possibleDataVolumes } from "../../../settings/docker-names";
import { settingsFor } from "../../support/settings";

const settings = settingsFor({}, "test");

describe("data volume names", () => {
    it("are the Docker name of <server>-data", () => {
        expect(dataVolumeName(settings, "redis-0")).to.equal(dockerName(settings, "redis-0-data"));
        expect(dataVolumeName(settings, "redis-0")).to.equal("appscreens-redis-test-redis-0-data");
    });

    it("names each declared server's volume with the stack's naming function", () => {
        expect(declaredDataVolumes(settings)).to.deep.equal([
            { server: "redis-0", kind: "redis", name: "appscreens-redis-test-redis-0-data" },
            { server: "redis-1", kind: "redis", name: "appscreens-redis-test-redis-1-data" },
            { server: "redis-2", kind: "redis", name: "appscreens-redis-test-redis-2-data" },
            { server: "sentinel-0", kind: "sentinel", name: "appscreens-redis-test-sentinel-0-data" },
            { server: "sentinel-1", kind: "sentinel", name: "appscreens-redis-test-sentinel-1-data" },
            { server: "sentinel-2", kind: "sentinel", name: "appscreens-redis-test-sentinel-2-data" },
        ]);
    });

    it("knows every volume the stack could have made at any scale (17 nodes, 15 Sentinels)", () => {
        const all = possibleDataVolumes(settings);
        expect(all).to.have.length(32);
        expect(all).to.deep.include({ server: "redis-16", kind: "redis", name: "appscreens-redis-test-redis-16-data" });
        expect(all).to.deep.include({ server: "sentinel-14", kind: "sentinel", name: "appscreens-redis-test-sentinel-14-data" });
        expect(all.map((v) => v.name)).to.include.members(declaredDataVolumes(settings).map((v) => v.name));
    });
});
