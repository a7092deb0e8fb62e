import { REDIS_PORT } from "../config/address-plan";
import { StackSettings } from "../config/validate";
import { ConfSection, quoted, renderConfFile } from "./conf-file";
import { CONTAINER_PATHS } from "./paths";

export interface RedisConfInput {
    readonly settings: StackSettings;
    readonly nodeIndex: number;
    readonly password: string;
}

/** redis.conf for node `nodeIndex`; node 0 starts as the master, the others as its replicas. */
export function renderRedisConf({ settings, nodeIndex, password }: RedisConfInput): string {
    const { cluster, plan } = settings;
    const node = plan.nodes[nodeIndex];
    if (!node) throw new Error(`no node ${nodeIndex} in a cluster of ${plan.nodes.length}`);
    const master = plan.nodes[0];
    const r = cluster.redis;
    const sections: ConfSection[] = [
        {
            why: "Listen inside the container; only the ports published on publish.host reach the host.\nprotected-mode stays on: with a password set it blocks nothing, and without one it would.",
            lines: [
                "bind 0.0.0.0",
                `port ${REDIS_PORT}`,
                "protected-mode yes",
                `tcp-keepalive ${cluster.redis.tcpKeepalive}`,
                `maxclients ${r.maxclients}`,
            ],
        },
        {
            why: "Roles swap on failover, so every node needs both the password clients use and the one it\nuses towards a master.",
            lines: [`requirepass ${quoted(password)}`, `masterauth ${quoted(password)}`],
        },
        {
            why: "RDB snapshots for backups and fast restarts; an empty rule list turns them off.",
            lines: [
                `dir ${CONTAINER_PATHS.dataDir}`,
                'dbfilename "dump.rdb"',
                ...(r.save.length ? r.save.map((rule) => `save ${rule}`) : ['save ""']),
            ],
        },
        {
            why: `AOF for durability: with ${r.appendfsync} at most about a second of writes is lost on a crash.\nRedis 7 keeps the AOF as a directory (base + increments + manifest); the RDB preamble\nmakes the base an RDB file, so restarts load almost as fast as from RDB alone.`,
            lines: [
                `appendonly ${r.appendonly ? "yes" : "no"}`,
                'appendfilename "appendonly.aof"',
                'appenddirname "appendonlydir"',
                `appendfsync ${r.appendfsync}`,
                `aof-use-rdb-preamble ${r.aofUseRdbPreamble ? "yes" : "no"}`,
            ],
        },
        {
            why: "A cache: evict instead of refusing writes when memory is full.",
            lines: [`maxmemory ${r.maxmemory}`, `maxmemory-policy ${r.maxmemoryPolicy}`],
        },
        {
            why: "Announce the static address: Sentinel and clients must reach this node by an address that\nstill works while another container is down (container names stop resolving then).\nA master cut off from its replicas stops taking writes after min-replicas-max-lag seconds,\nwhich bounds what a failover can lose.",
            lines: [
                `replica-announce-ip ${node.address}`,
                `replica-announce-port ${REDIS_PORT}`,
                `min-replicas-to-write ${r.minReplicasToWrite}`,
                `min-replicas-max-lag ${r.minReplicasMaxLag}`,
                "replica-read-only yes",
                "replica-serve-stale-data yes",
            ],
        },
    ];
    if (nodeIndex > 0) {
        sections.push({
            why: "Starts as a replica of node 0. Sentinel moves this line when it fails over (CONFIG REWRITE).",
            lines: [`replicaof ${master.address} ${REDIS_PORT}`],
        });
    }
    const role = nodeIndex === 0 ? "initial master" : "initial replica";
    return renderConfFile(`redis.conf for ${node.name} (${role}) of stack ${settings.stack}`, sections);
}
