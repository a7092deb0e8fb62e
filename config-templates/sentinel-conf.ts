import { REDIS_PORT, SENTINEL_PORT } from "../config/address-plan";
import { StackSettings } from "../config/validate";
import { ConfSection, quoted, renderConfFile } from "./conf-file";
import { CONTAINER_PATHS } from "./paths";

export interface SentinelConfInput {
    readonly settings: StackSettings;
    readonly sentinelIndex: number;
    readonly redisPassword: string;
    readonly sentinelPassword: string;
}

/** sentinel.conf for Sentinel `sentinelIndex`: the template it copies into its volume on first start. */
export function renderSentinelConf({ settings, sentinelIndex, redisPassword, sentinelPassword }: SentinelConfInput): string {
    const { plan } = settings;
    const s = settings.cluster.sentinel;
    const me = plan.sentinels[sentinelIndex];
    if (!me) throw new Error(`no Sentinel ${sentinelIndex} in a cluster of ${plan.sentinels.length}`);
    const name = s.masterName;
    const sections: ConfSection[] = [
        {
            why: "Sentinel rewrites this file with what it learns (replicas, other Sentinels, epochs), so it runs\nfrom a writable copy in its volume.",
            lines: [`port ${SENTINEL_PORT}`, "bind 0.0.0.0", "protected-mode yes", `dir ${CONTAINER_PATHS.dataDir}`],
        },
        {
            why: "Static addresses, no hostnames: a stopped container's name stops resolving and Sentinel would\nlose track of it.",
            lines: [
                `sentinel announce-ip ${me.address}`,
                `sentinel announce-port ${SENTINEL_PORT}`,
                "sentinel resolve-hostnames no",
                "sentinel announce-hostnames no",
            ],
        },
        {
            why: "Clients and other Sentinels authenticate with requirepass (Sentinels use their own to reach\neach other); auth-pass is the Redis nodes' password.",
            lines: [`requirepass ${quoted(sentinelPassword)}`],
        },
        {
            why: `Watch the master deployed as ${plan.nodes[0].name}; ${s.quorum} of ${plan.sentinels.length} Sentinels must agree it is down.`,
            lines: [
                `sentinel monitor ${name} ${plan.nodes[0].address} ${REDIS_PORT} ${s.quorum}`,
                `sentinel auth-pass ${name} ${quoted(redisPassword)}`,
                `sentinel down-after-milliseconds ${name} ${s.downAfterMilliseconds}`,
                `sentinel parallel-syncs ${name} ${s.parallelSyncs}`,
                `sentinel failover-timeout ${name} ${s.failoverTimeout}`,
                "sentinel deny-scripts-reconfig yes",
            ],
        },
    ];
    return renderConfFile(`sentinel.conf for ${me.name} of stack ${settings.stack}`, sections);
}
