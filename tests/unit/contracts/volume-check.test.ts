import { expect } from "chai";
import { declaredDataVolumes } from "../../../settings/docker-names";
import { VOLUME_CHECK_ENV } from "../../../contracts/env";
import { parseVolumeCheckRequest, VolumeCheckEnvError, volumeCheckEnvironment, VolumeCheckRequest } from "../../../contracts/volume-check";
import { settingsFor } from "../../support/settings";

const request = (): VolumeCheckRequest => ({
    stack: "test",
    volumes: declaredDataVolumes(settingsFor({}, "test")),
    generated: { redis: true, sentinel: true },
    previous: { redis: false, sentinel: false },
    deadlineSeconds: 120,
});

describe("the volume check's request (contracts/volume-check.ts)", () => {
    it("crosses in one variable and reads back as it was sent", () => {
        expect(Object.keys(volumeCheckEnvironment(request()))).to.deep.equal([VOLUME_CHECK_ENV]);
        expect(parseVolumeCheckRequest(volumeCheckEnvironment(request()))).to.deep.equal(request());
    });

    it("reads its request back from the environment, and refuses a missing or malformed one with a kind", () => {
        const env = { [VOLUME_CHECK_ENV]: JSON.stringify(request()) };
        expect(parseVolumeCheckRequest(env)).to.deep.equal(request());
        for (const bad of [{}, { [VOLUME_CHECK_ENV]: "{" }, { [VOLUME_CHECK_ENV]: JSON.stringify({ ...request(), stack: "" }) }]) {
            expect(() => parseVolumeCheckRequest(bad))
                .to.throw(VolumeCheckEnvError)
                .with.property("kind", "bad-environment");
        }
    });
});
