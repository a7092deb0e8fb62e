import { expect } from "chai";
import Docker from "dockerode";
import { createDeployer } from "../support/create-deployer";
import { RUN_LABEL } from "../support/replay/docker-apply";
import { requireDocker, TEST_STACK, testRunId, testStackConfig } from "../support/live/live-cluster";

describe("live: a bad config", function () {
    this.timeout(120_000);

    before(function () {
        requireDocker(this);
    });

    it("fails up with the validation message before any container, network or volume exists", async () => {
        const runId = testRunId();
        const deployer = await createDeployer(TEST_STACK, runId);
        const error = await deployer.up(testStackConfig({ cluster: { sentinels: 3, sentinel: { quorum: 7 } } })).then(
            () => undefined,
            (err: Error) => err,
        );
        expect(String(error)).to.match(/appscreens-redis:cluster\.sentinel\.quorum: 7 is more than the 3 Sentinels/);
        // The headline survives the Pulumi runner too (a RunError prints its whole message).
        expect(String(error)).to.include(`The config of stack "${TEST_STACK}" is invalid; nothing was created`);
        const docker = new Docker();
        const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
        expect(await docker.listContainers({ all: true, filters })).to.deep.equal([]);
        expect(await docker.listNetworks({ filters })).to.deep.equal([]);
        expect((await docker.listVolumes({ filters })).Volumes ?? []).to.deep.equal([]);
        expect(
            await docker.listContainers({ all: true, filters: JSON.stringify({ name: [`appscreens-redis-${TEST_STACK}-`] }) }),
        ).to.deep.equal([]);
        await deployer.destroy();
    });
});
