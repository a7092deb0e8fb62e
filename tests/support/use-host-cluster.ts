import { HostCluster, HostClusterOptions } from "./host-cluster";
import { lateBound } from "./late-bound";
import { REDIS_SERVER, requirePrograms } from "./require-program";

/**
 * The host suites' fixture, for a mocha `describe` function (`this`): its `before` hook skips
 * (laptop) or fails (CI) the suite without Debian's redis-server, then starts a `HostCluster` on
 * `options.basePort` and waits until it has settled; its `after` hook stops every process and
 * removes its directory. The returned handle stands for the cluster in the suite's tests and hooks
 * (tests/support/late-bound.ts). Hooks a suite registers after this call run after the start and
 * after the stop.
 */
export function useHostCluster(suite: Mocha.Suite, options: HostClusterOptions): HostCluster {
    const cluster = lateBound<HostCluster>("the suite's host cluster");
    suite.beforeAll("start Redis and Sentinel processes", async function () {
        requirePrograms(this, [REDIS_SERVER]);
        cluster.current = new HostCluster(options);
        await cluster.current.start();
    });
    suite.afterAll("stop the Redis and Sentinel processes", async () => {
        await cluster.current?.stop();
    });
    return cluster.handle;
}
