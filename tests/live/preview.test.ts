import { expect } from "chai";
import { changesNothing } from "../support/deployer";
import { testStackConfig } from "../support/live/live-cluster";
import { useLiveCluster } from "../support/live/use-live-cluster";

/**
 * `pulumi preview --expect-no-changes` right after an `up` (the real CLI's, or the replay's
 * equivalent), and a preview that touches nothing.
 */
describe("live: preview after up", function () {
    this.timeout(300_000);
    const cluster = useLiveCluster(this);

    const containerStates = async () =>
        Object.fromEntries(
            await Promise.all(
                [...cluster.nodeNames, ...cluster.sentinelNames].map(async (n) => {
                    const info = await cluster.container(n).inspect();
                    return [n, `${info.Id} ${info.State.StartedAt}`] as const;
                }),
            ),
        );

    it("has nothing to create, update, replace or delete right after an up", async () => {
        const changes = await cluster.deployer.preview(testStackConfig());
        expect(changesNothing(changes), `${cluster.deployer.kind} preview: ${JSON.stringify(changes)}`).to.equal(true);
        expect(changes.unchanged.length).to.be.greaterThan(10);
    });

    it("reports a setting change without touching any container", async () => {
        const before = await containerStates();
        const changes = await cluster.deployer.preview(testStackConfig({ cluster: { redis: { maxmemory: "80mb" } } }));
        expect(changes.replaced.length + changes.updated.length, JSON.stringify(changes)).to.be.greaterThan(0);
        expect(changes.created).to.deep.equal([]);
        expect(changes.deleted).to.deep.equal([]);
        expect(await containerStates()).to.deep.equal(before);
        // And the stack is still exactly what was deployed.
        expect(changesNothing(await cluster.deployer.preview(testStackConfig()))).to.equal(true);
    });
});
