// Stack config -> validation -> rendered redis.conf / sentinel.conf -> components -> containers
// -> stack outputs. Validation throws before any resource is declared.
import { RedisCluster } from "./components/redis-cluster";
import { loadStack } from "./config/load";

const { settings, passwords } = loadStack();

const cluster = new RedisCluster("appscreens-redis", {
    settings,
    redisPassword: passwords.redisPassword,
    sentinelPassword: passwords.sentinelPassword,
});

export const masterName = cluster.masterName;
export const sentinelEndpoints = cluster.sentinelEndpoints;
export const sentinelEndpointsInNetwork = cluster.sentinelEndpointsInNetwork;
export const natMap = cluster.natMap;
export const publishedPorts = cluster.publishedPorts;
export const networkName = cluster.networkName;
export const redisPassword = cluster.redisPassword;
export const sentinelPassword = cluster.sentinelPassword;
export const ioredisExample = cluster.ioredisExample;
