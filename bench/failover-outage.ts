// npm run bench -- failover-outage [--runs 5] [--out reports]
// Write outage after SIGKILL of the master container: the stack (test stack, replay deployer)
// against a plain Docker setup of the same topology and Sentinel timings, both up in one run:
// one master and two replicas of the same image, three Sentinels, servers configured only by
// flags on the command line (no start script, no config template). The peer runs without a
// password: a password among the flags would be on a command line, which this project never
// does, and authentication costs nothing a failover could measure. Runs alternate stack/peer.
import { dockerName } from "../settings/docker-names";
import Docker from "dockerode";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { mergeConfig, readStackFile } from "../settings/stack-file";
import { validateStackConfig } from "../settings/validate";
import { buildPostDeployPlan, nodesOf, PlanServer, PostDeployPlan, sentinelsOf } from "../contracts/plan";
import { RUN_LABEL, sweepStale } from "../tests/support/replay/docker-apply";
import { ReplayDeployer } from "../tests/support/replay/replay-deployer";
import { DEFAULT_REPORT_DIR } from "../ops/drill/timeline-svg";
import { BenchCluster, FaultResult, killContainer, measureFault, startContainer, writeFaultReport } from "./outage";
import { formatSpread, markdownTable, spread } from "./stats";

const PEER = {
    subnet: "172.30.0.0/24",
    prefix: "172.30.0",
    redisBasePort: 18379, // below the ephemeral port range (32768-60999), like the test stack
    sentinelBasePort: 19379,
    network: "appscreens-bench-peer",
};

/**
 * Flags for one plain Redis node of the peer: every directive the stack sets and the verifier
 * checks (the directive table's expected values), then its own address and, for replicas, the master.
 */
export function peerRedisCommand(index: number, stack: PostDeployPlan, masterIp: string, ip: string): string[] {
    const settings = Object.entries(stack.expected.redisConfig).flatMap(([name, value]) => [`--${name}`, value]);
    return [
        "redis-server",
        "--port",
        "6379",
        "--bind",
        "0.0.0.0",
        "--protected-mode",
        "no",
        ...settings,
        "--replica-announce-ip",
        ip,
        ...(index > 0 ? ["--replicaof", masterIp, "6379"] : []),
    ];
}

/** Sentinel needs a writable config file; it starts empty and everything else is a flag. */
export function peerSentinelCommand(
    masterIp: string,
    ip: string,
    s: { quorum: number; downAfterMs: number; failoverTimeoutMs: number; parallelSyncs: number },
): string[] {
    const flags = [
        "--port 26379",
        "--bind 0.0.0.0",
        "--protected-mode no",
        `--sentinel announce-ip ${ip}`,
        `--sentinel monitor mymaster ${masterIp} 6379 ${s.quorum}`,
        `--sentinel down-after-milliseconds mymaster ${s.downAfterMs}`,
        `--sentinel failover-timeout mymaster ${s.failoverTimeoutMs}`,
        `--sentinel parallel-syncs mymaster ${s.parallelSyncs}`,
    ];
    return ["/bin/sh", "-c", `echo > /data/sentinel.conf && exec redis-sentinel /data/sentinel.conf ${flags.join(" ")}`];
}

async function startPeer(
    docker: Docker,
    image: string,
    stack: PostDeployPlan,
    sentinel: Parameters<typeof peerSentinelCommand>[2],
    runId: string,
): Promise<BenchCluster> {
    const labels = { [RUN_LABEL]: runId, "appscreens.bench": "failover-outage-peer" };
    await docker.createNetwork({ Name: PEER.network, Labels: labels, IPAM: { Config: [{ Subnet: PEER.subnet }] } });
    const nodeCount = nodesOf(stack).length;
    const sentinelCount = sentinelsOf(stack).length;
    const nodeIp = (i: number) => `${PEER.prefix}.${10 + i}`;
    const sentinelIp = (i: number) => `${PEER.prefix}.${30 + i}`;
    const create = async (name: string, ip: string, cmd: string[], port: number, hostPort: number) => {
        const c = await docker.createContainer({
            name,
            Image: image,
            User: "999:999",
            Entrypoint: [],
            Cmd: cmd,
            Labels: labels,
            ExposedPorts: { [`${port}/tcp`]: {} },
            HostConfig: {
                NetworkMode: PEER.network,
                PortBindings: { [`${port}/tcp`]: [{ HostIp: "127.0.0.1", HostPort: String(hostPort) }] },
                RestartPolicy: { Name: "unless-stopped" },
                Mounts: [{ Type: "volume", Source: "", Target: "/data" }],
            },
            NetworkingConfig: { EndpointsConfig: { [PEER.network]: { IPAMConfig: { IPv4Address: ip } } } },
        });
        await c.start();
    };
    for (let i = 0; i < nodeCount; i++) {
        await create(`bench-peer-redis-${i}`, nodeIp(i), peerRedisCommand(i, stack, nodeIp(0), nodeIp(i)), 6379, PEER.redisBasePort + i);
    }
    for (let i = 0; i < sentinelCount; i++) {
        await create(
            `bench-peer-sentinel-${i}`,
            sentinelIp(i),
            peerSentinelCommand(nodeIp(0), sentinelIp(i), sentinel),
            26379,
            PEER.sentinelBasePort + i,
        );
    }
    const nodes = Array.from({ length: nodeCount }, (_, i): PlanServer => ({
        name: `redis-${i}`,
        kind: "redis",
        announced: `${nodeIp(i)}:6379`,
        host: "127.0.0.1",
        port: PEER.redisBasePort + i,
    }));
    const sentinels = Array.from({ length: sentinelCount }, (_, i): PlanServer => ({
        name: `sentinel-${i}`,
        kind: "sentinel",
        announced: `${sentinelIp(i)}:26379`,
        host: "127.0.0.1",
        port: PEER.sentinelBasePort + i,
    }));
    return {
        label: "plain Docker peer",
        plan: { ...stack, stack: "bench-peer", servers: [...nodes, ...sentinels] },
        credentials: { redisPassword: "", sentinelPassword: "" },
        containerOf: (node) => `bench-peer-${node}`,
    };
}

async function removePeer(docker: Docker, runId: string): Promise<void> {
    const filters = JSON.stringify({ label: [`${RUN_LABEL}=${runId}`] });
    for (const c of await docker.listContainers({ all: true, filters })) await docker.getContainer(c.Id).remove({ force: true, v: true });
    for (const n of await docker.listNetworks({ filters })) await docker.getNetwork(n.Id).remove();
}

export async function failoverOutage(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: { runs: { type: "string", default: "5" }, out: { type: "string", default: DEFAULT_REPORT_DIR } },
    });
    const runs = Number(values.runs);
    if (!(runs >= 1)) throw new Error("--runs must be at least 1");
    const docker = new Docker();
    const runId = `bench-failover-${process.pid}`;
    const config = mergeConfig(readStackFile("test"), {});
    const settings = validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} });
    const plan = buildPostDeployPlan(settings);
    const deployer = new ReplayDeployer("test", runId);
    // As the live suites do: an earlier run's containers, network or data volumes (which keep
    // another password) would make this deploy fail with WRONGPASS or a name clash.
    await sweepStale(docker, runId);
    try {
        const { outputs } = await deployer.up(config);
        const stack: BenchCluster = {
            label: "stack",
            plan,
            credentials: { redisPassword: String(outputs.redisPassword), sentinelPassword: String(outputs.sentinelPassword) },
            containerOf: (node) => dockerName(settings, node),
        };
        const s = settings.cluster.sentinel;
        const peer = await startPeer(
            docker,
            settings.cluster.image.name,
            plan,
            {
                quorum: s.quorum,
                downAfterMs: s.downAfterMilliseconds,
                failoverTimeoutMs: s.failoverTimeout,
                parallelSyncs: s.parallelSyncs,
            },
            runId,
        );
        const results: Record<string, FaultResult[]> = { stack: [], peer: [] };
        for (let run = 0; run < runs; run++) {
            for (const [key, cluster] of [
                ["stack", stack],
                ["peer", peer],
            ] as const) {
                const r = await measureFault(
                    cluster,
                    (m) => killContainer(docker, cluster.containerOf(m.name)),
                    (m) => startContainer(docker, cluster.containerOf(m.name)),
                    { expectFailover: true },
                );
                results[key].push(r);
                const at = new Date().toISOString();
                const picture = await writeFaultReport(values.out, {
                    ...r,
                    bench: "failover-outage",
                    cluster: cluster.label,
                    fault: "master container killed",
                    run: run + 1,
                    at,
                });
                console.error(`failover-outage: timeline ${picture}`);
                console.error(
                    `failover-outage: run ${run + 1}/${runs} ${cluster.label}: ${r.master} -> ${r.newMaster}, outage ${r.outageMs} ms, ` +
                        `${r.probes.confirmedLost.length} of ${r.probes.confirmed} confirmed writes lost`,
                );
            }
        }
        const outage = (k: string) => spread(results[k].map((r) => r.outageMs / 1000));
        const ratio = spread(results.stack.map((r, i) => r.outageMs / results.peer[i].outageMs));
        console.log(
            `Write outage after SIGKILL of the master container, test stack timings (down-after ${s.downAfterMilliseconds} ms, failover-timeout ${s.failoverTimeout} ms), ${runs} alternating runs, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}:\n`,
        );
        console.log(
            markdownTable(
                ["setup", `outage s, median (min-max) of ${runs}`, "confirmed writes lost (total)", "unconfirmed lost (total)"],
                (["stack", "peer"] as const).map((k) => [
                    k === "stack" ? "the stack" : "plain Docker, flags on the command line",
                    formatSpread(outage(k)),
                    String(results[k].reduce((n, r) => n + r.probes.confirmedLost.length, 0)),
                    String(results[k].reduce((n, r) => n + r.probes.unconfirmedLost, 0)),
                ]),
            ),
        );
        console.log(
            `\nstack / peer, per pair: ${formatSpread(ratio)}. Target: no worse than the peer (<= 1.00): ${ratio.median <= 1 ? "met" : "NOT met"}.`,
        );
    } finally {
        await removePeer(docker, runId).catch((err: unknown) => console.error(`failover-outage: removing the peer: ${String(err)}`));
        await deployer.destroy();
        // Its data volumes outlive the destroy (kept on delete); as LiveCluster.destroy does.
        await sweepStale(docker, "none");
    }
}
