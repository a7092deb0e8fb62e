import Redis from "ioredis";
import { mergeConfig, readStackFile, StackConfigObject } from "../settings/stack-file";
import { validateStackConfig } from "../settings/validate";
import { Credentials } from "../ops/redis/connect";
import { sentinelCommands } from "../ops/redis/sentinel-commands";
import { buildPostDeployPlan, natMapOf, PostDeployPlan, sentinelAddresses } from "../contracts/plan";
import { HostCluster } from "../tests/support/host-cluster";
import { ReplayDeployer } from "../tests/support/replay/replay-deployer";

/** Where the benchmarks write: a stack to run the warmer against, and the master as the host reaches it. */
export interface BenchTarget {
    readonly description: string;
    readonly plan: PostDeployPlan;
    readonly credentials: Credentials;
    /** Seconds from `up` to healthy with the post-deploy command (docker only). */
    readonly deploySeconds?: number;
    /** Each exporter's `/metrics` URL when the stack runs them (docker with metrics on). */
    readonly metricsEndpoints?: Readonly<Record<string, string>>;
    /** The current master by the path the warmer's client takes (published port for docker). */
    master(): Promise<{ host: string; port: number }>;
    destroy(): Promise<void>;
}

/** The bench's stack settings: the test stack with room for 100,000 realistic keys (its 64mb would evict). */
const BENCH_OVERRIDES: StackConfigObject = { cluster: { redis: { maxmemory: "1gb" } } };

async function masterVia(plan: PostDeployPlan, credentials: Credentials): Promise<string> {
    const first = sentinelAddresses(plan, "host")[0];
    const sentinel = sentinelCommands(new Redis({ ...first, password: credentials.sentinelPassword, lazyConnect: true }));
    try {
        await sentinel.connect();
        const address = await sentinel.masterAddress(plan.masterName);
        if (!address) throw new Error(`the Sentinel at ${first.host}:${first.port} watches no master ${plan.masterName}`);
        return address;
    } finally {
        sentinel.disconnect();
    }
}

/** The test stack on the local Docker Engine (replay deployer), as `npm run bench` has always measured. */
export async function dockerTarget(overrides: StackConfigObject = {}): Promise<BenchTarget> {
    const config = mergeConfig(mergeConfig(readStackFile("test"), BENCH_OVERRIDES), overrides);
    const deployer = new ReplayDeployer("test", `bench-${process.pid}`);
    const started = Date.now();
    const { outputs } = await deployer.up(config);
    const deploySeconds = (Date.now() - started) / 1000;
    const plan = buildPostDeployPlan(validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} }));
    const credentials = { redisPassword: String(outputs.redisPassword), sentinelPassword: String(outputs.sentinelPassword) };
    return {
        description: "test stack on Docker (replay deployer), host -> published ports",
        plan,
        credentials,
        deploySeconds,
        metricsEndpoints: outputs.metricsEndpoints as Record<string, string> | undefined,
        master: async () => {
            const announced = await masterVia(plan, credentials);
            const published = natMapOf(plan)[announced];
            if (!published) throw new Error(`master ${announced} has no published port in the plan`);
            return published;
        },
        destroy: () => deployer.destroy(),
    };
}

/**
 * A master, two replicas and three Sentinels as host processes on 127.0.0.1 (tests/support/host-cluster.ts),
 * for development figures without Docker: AOF everysec with the RDB preamble, as the stack.
 */
export async function hostTarget(basePort: number): Promise<BenchTarget> {
    const cluster = new HostCluster({ basePort });
    try {
        await cluster.start();
    } catch (err) {
        await cluster.stop();
        throw err;
    }
    const plan = cluster.plan();
    return {
        description: `host processes on 127.0.0.1:${basePort}+ (redis-server 7.0.15, 2 replicas, 3 Sentinels)`,
        plan,
        credentials: cluster.credentials,
        master: async () => natMapOf(plan)[await masterVia(plan, cluster.credentials)],
        destroy: () => cluster.stop(),
    };
}
