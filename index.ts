// Stack config -> validation -> rendered redis.conf / sentinel.conf -> components -> containers
// -> post-deploy command (retire, warm, verify, drill; its report checked by contracts/report.ts)
// -> stack outputs. Validation throws before any resource is declared.
import { PostDeploy } from "./components/post-deploy";
import { RedisCluster } from "./components/redis-cluster";
import { loadStack } from "./settings/load";

const { settings, passwords } = loadStack();

const cluster = new RedisCluster("appscreens-redis", {
    settings,
    redisPassword: passwords.redisPassword,
    sentinelPassword: passwords.sentinelPassword,
    redisPasswordPrevious: passwords.redisPasswordPrevious,
    sentinelPasswordPrevious: passwords.sentinelPasswordPrevious,
    projectDir: __dirname,
});

const runPostDeploy = settings.cluster.warmer.enabled || settings.cluster.verifier.enabled || settings.cluster.drill.afterDeploy;
const postDeploy = runPostDeploy ? new PostDeploy("post-deploy", { settings, cluster, projectDir: __dirname }) : undefined;

export const masterName = cluster.masterName;
export const sentinelEndpoints = cluster.sentinelEndpoints;
export const sentinelEndpointsInNetwork = cluster.sentinelEndpointsInNetwork;
export const natMap = cluster.natMap;
export const publishedPorts = cluster.publishedPorts;
export const networkName = cluster.networkName;
export const redisPassword = cluster.redisPassword;
export const sentinelPassword = cluster.sentinelPassword;
export const ioredisExample = cluster.ioredisExample;
export const metricsEndpoints = settings.cluster.metrics.enabled ? cluster.metricsEndpoints : undefined;
export const prometheusScrapeConfig = cluster.prometheusScrapeConfig;
export const prometheusRules = cluster.prometheusRules;
export const verification = postDeploy?.result.apply((r) => r.verification);
export const warmSummary = postDeploy?.result.apply((r) => r.warm);
/** Only when cluster.drill.afterDeploy ran the drill after a deploy that verified. */
export const drillSummary = postDeploy?.result.apply((r) => r.drill);
