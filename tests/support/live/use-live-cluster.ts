import { StackConfigObject } from "../../../settings/stack-file";
import { lateBound } from "../late-bound";
import { LiveCluster, requireDocker } from "./live-cluster";

export interface LiveClusterFixtureOptions {
    /**
     * The test stack's config overrides for the deploy: a value, or a function the `before` hook
     * runs once a Docker Engine is known to answer (a suite starts there what they point at).
     */
    readonly overrides?: StackConfigObject | (() => StackConfigObject | Promise<StackConfigObject>);
    /**
     * Print every server's log of a failed test (from a second before it began, passwords masked):
     * the teardown removes the containers, and with them the only record of why.
     */
    readonly logsOnFailure?: boolean;
}

/** A suite's deployed test cluster, and the one thing a suite may do to it that the cluster cannot. */
export type SuiteLiveCluster = LiveCluster & {
    /** Destroys the suite's cluster and deploys a fresh one (same overrides unless given); the handle then stands for it. */
    redeploy(overrides?: StackConfigObject): Promise<void>;
};

/**
 * The live suites' fixture, for a mocha `describe` function (`this`): its `before` hook skips
 * (laptop) or fails (CI) the suite when no Docker Engine answers, then deploys the test stack
 * (sweeping what an aborted run left, `LiveCluster.deploy`); its `after` hook destroys the
 * cluster and sweeps its volumes. The returned handle stands for the deployed cluster in the
 * suite's tests and hooks (tests/support/late-bound.ts). Hooks a suite registers after this call
 * run after the deploy and after the teardown.
 */
export function useLiveCluster(suite: Mocha.Suite, options: LiveClusterFixtureOptions = {}): SuiteLiveCluster {
    let overrides: StackConfigObject = {};
    const cluster = lateBound<LiveCluster, Pick<SuiteLiveCluster, "redeploy">>("the suite's live cluster", {
        async redeploy(again = overrides) {
            await cluster.current?.destroy();
            cluster.current = undefined;
            cluster.current = await LiveCluster.deploy(again);
        },
    });

    suite.beforeAll("deploy the test stack", async function () {
        requireDocker(this);
        overrides = typeof options.overrides === "function" ? await options.overrides() : (options.overrides ?? {});
        cluster.current = await LiveCluster.deploy(overrides);
    });
    suite.afterAll("destroy the test stack", async () => {
        await cluster.current?.destroy();
    });

    if (options.logsOnFailure) {
        let caseStarted = 0;
        suite.beforeEach(() => {
            caseStarted = Date.now();
        });
        suite.afterEach("print the servers' logs of a failed test", async function () {
            if (this.currentTest?.state === "failed") console.log(await cluster.handle.logsSince(caseStarted - 1000));
        });
    }
    return cluster.handle;
}
