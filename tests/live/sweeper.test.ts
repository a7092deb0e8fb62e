import { expect } from "chai";
import Docker from "dockerode";
import { RUN_LABEL, sweepStale } from "../support/replay/docker-apply";
import { requireDocker, testRunId } from "../support/live/live-cluster";

describe("live: the stale-resource sweeper", function () {
    this.timeout(60_000);

    before(function () {
        requireDocker(this);
    });

    it("removes what an aborted run left and keeps the current run's objects", async () => {
        const docker = new Docker();
        const stale = `aborted-${testRunId()}`;
        const current = testRunId();
        await docker.createVolume({ Name: `appscreens-sweep-${stale}`, Labels: { [RUN_LABEL]: stale } });
        await docker.createVolume({ Name: `appscreens-sweep-${current}`, Labels: { [RUN_LABEL]: current } });
        await docker.createNetwork({ Name: `appscreens-sweep-${stale}`, Labels: { [RUN_LABEL]: stale } });
        expect(await sweepStale(docker, current)).to.be.at.least(2);
        const names = ((await docker.listVolumes()).Volumes ?? []).map((v) => v.Name);
        expect(names).to.not.include(`appscreens-sweep-${stale}`);
        expect(names).to.include(`appscreens-sweep-${current}`);
        expect((await docker.listNetworks()).map((n) => n.Name)).to.not.include(`appscreens-sweep-${stale}`);
        await docker.getVolume(`appscreens-sweep-${current}`).remove();
    });
});
