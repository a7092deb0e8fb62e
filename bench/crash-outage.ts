// npm run bench -- crash-outage [--runs 5] [--keys 200000] [--out reports]
// Write outage after a crash of the master's redis-server process (killed from the host with
// SIGKILL, as the OOM killer would; Docker's restart policy starts it again) against the outage
// of a failover of the same stack (the master container killed with SIGKILL through the Engine,
// which Docker does not restart). Runs alternate. For the crash it also times the phases that
// bound the outage: the container running again, the server answering PING (AOF loaded), and a
// replica counted again by min-replicas-to-write. Needs root (the host PID of the process).
import { dockerName } from "../settings/docker-names";
import Docker from "dockerode";
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { mergeConfig, readStackFile } from "../settings/stack-file";
import { validateStackConfig } from "../settings/validate";
import { directClient, sentinelClient } from "../ops/redis/connect";
import { waitUntil } from "../ops/deadline";
import { NodeEndpoint } from "../contracts/plan";
import { parseInfo } from "../ops/redis/replies";
import { buildPostDeployPlan } from "../contracts/plan";
import { sweepStale } from "../tests/support/replay/docker-apply";
import { ReplayDeployer } from "../tests/support/replay/replay-deployer";
import { DEFAULT_REPORT_DIR } from "../ops/drill/timeline-svg";
import { BenchCluster, FaultResult, killContainer, measureFault, startContainer, writeFaultReport } from "./outage";
import { formatSpread, markdownTable, spread } from "./stats";

interface CrashPhases {
    /** Kill -> container running again (Docker's restart). */
    readonly restartedMs: number;
    /** Kill -> PONG (the AOF is loaded). */
    readonly loadedMs: number;
    /** Kill -> min-replicas-to-write counts a replica again (its resync is done). */
    readonly replicaBackMs: number;
}

async function fill(stack: BenchCluster, keys: number): Promise<void> {
    const client = sentinelClient(stack.plan, stack.credentials);
    try {
        const value = "x".repeat(200);
        for (let i = 0; i < keys; i += 1000) {
            const p = client.pipeline();
            for (let j = i; j < Math.min(keys, i + 1000); j++) p.set(`bench:crash:${j}`, value, "EX", 86_400);
            await p.exec();
        }
        await client.wait(2, 30_000);
    } finally {
        client.disconnect();
    }
}

/** Polls the crashed node and its container until each phase is over; runs beside the writer. */
async function watchPhases(
    docker: Docker,
    stack: BenchCluster,
    master: NodeEndpoint,
    killedAt: number,
    startedBefore: string,
): Promise<CrashPhases> {
    const container = docker.getContainer(stack.containerOf(master.name));
    const restartedAt = await waitUntil(
        `${master.name} restarted by Docker`,
        async () => {
            const s = (await container.inspect()).State;
            return s.Running && s.StartedAt !== startedBefore ? Date.now() : undefined;
        },
        120_000,
        20,
    );
    const probe = async (check: (info: Record<string, string>) => boolean) => {
        const c = directClient(master, stack.credentials.redisPassword);
        try {
            return check(parseInfo(await c.info("replication"))) ? Date.now() : undefined;
        } finally {
            c.disconnect();
        }
    };
    const loadedAt = await waitUntil(`${master.name} answering after the restart`, () => probe(() => true), 120_000, 20);
    // A restart slower than down-after-milliseconds ends in a failover: the node is a replica then.
    const replicaAt = await waitUntil(
        `${master.name} counting a replica again (or demoted)`,
        () => probe((i) => Number(i.min_slaves_good_slaves) >= 1 || i.role === "slave"),
        120_000,
        20,
    );
    return { restartedMs: restartedAt - killedAt, loadedMs: loadedAt - killedAt, replicaBackMs: replicaAt - killedAt };
}

export async function crashOutage(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            runs: { type: "string", default: "5" },
            keys: { type: "string", default: "200000" },
            out: { type: "string", default: DEFAULT_REPORT_DIR },
        },
    });
    const runs = Number(values.runs);
    const keys = Number(values.keys);
    if (!(runs >= 1 && keys >= 0)) throw new Error("--runs must be at least 1 and --keys a count");
    if (process.getuid?.() !== 0) throw new Error("crash-outage kills the master's process by its host PID: run it as root");
    const docker = new Docker();
    const config = mergeConfig(readStackFile("test"), {});
    const settings = validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} });
    const runId = `bench-crash-${process.pid}`;
    const deployer = new ReplayDeployer("test", runId);
    // As the live suites do: an earlier run's containers, network or data volumes (which keep
    // another password) would make this deploy fail with WRONGPASS or a name clash.
    await sweepStale(docker, runId);
    try {
        const { outputs } = await deployer.up(config);
        const stack: BenchCluster = {
            label: "stack",
            plan: buildPostDeployPlan(settings),
            credentials: { redisPassword: String(outputs.redisPassword), sentinelPassword: String(outputs.sentinelPassword) },
            containerOf: (node) => dockerName(settings, node),
        };
        await fill(stack, keys);
        const crash: FaultResult[] = [];
        const failover: FaultResult[] = [];
        const phases: CrashPhases[] = [];
        for (let run = 0; run < runs; run++) {
            let watching: Promise<CrashPhases> | undefined;
            const c = await measureFault(
                stack,
                async (m) => {
                    const { Pid, StartedAt } = (await docker.getContainer(stack.containerOf(m.name)).inspect()).State;
                    const killedAt = Date.now();
                    process.kill(Pid, "SIGKILL");
                    watching = watchPhases(docker, stack, m, killedAt, StartedAt);
                },
                async () => undefined,
            );
            crash.push(c);
            if (watching) phases.push(await watching);
            const f = await measureFault(
                stack,
                (m) => killContainer(docker, stack.containerOf(m.name)),
                (m) => startContainer(docker, stack.containerOf(m.name)),
                { expectFailover: true },
            );
            failover.push(f);
            // Each fault's report and timeline picture; the crash is the one without a failover.
            for (const [r, fault] of [
                [c, "master's redis-server process killed"],
                [f, "master container killed"],
            ] as const) {
                const report = { ...r, bench: "crash-outage", cluster: stack.label, fault, run: run + 1, at: new Date().toISOString() };
                console.error(`crash-outage: timeline ${await writeFaultReport(values.out, report)}`);
            }
            console.error(
                `crash-outage: run ${run + 1}/${runs}: crash ${c.outageMs} ms (master after: ${c.newMaster}), failover ${f.outageMs} ms; ` +
                    `confirmed lost ${c.probes.confirmedLost.length} / ${f.probes.confirmedLost.length}`,
            );
        }
        const s = (xs: number[]) => formatSpread(spread(xs.map((x) => x / 1000)));
        const ratio = spread(crash.map((c, i) => c.outageMs / failover[i].outageMs));
        console.log(
            `Write outage, test stack with ${keys} keys of 200 B (down-after ${settings.cluster.sentinel.downAfterMilliseconds} ms), ${runs} alternating runs, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}:\n`,
        );
        console.log(
            markdownTable(
                ["fault", `outage s, median (min-max) of ${runs}`, "failovers", "confirmed writes lost (total)"],
                [
                    [
                        "master's process killed (restart policy)",
                        s(crash.map((r) => r.outageMs)),
                        String(crash.filter((r) => r.newMaster !== r.master).length),
                        String(crash.reduce((n, r) => n + r.probes.confirmedLost.length, 0)),
                    ],
                    [
                        "master container killed (failover)",
                        s(failover.map((r) => r.outageMs)),
                        String(failover.filter((r) => r.newMaster !== r.master).length),
                        String(failover.reduce((n, r) => n + r.probes.confirmedLost.length, 0)),
                    ],
                ],
            ),
        );
        console.log(
            `\nCrash phases from the kill, s: container running again ${s(phases.map((p) => p.restartedMs))}, ` +
                `PING answered (AOF loaded) ${s(phases.map((p) => p.loadedMs))}, a replica counted again ${s(phases.map((p) => p.replicaBackMs))}.`,
        );
        console.log(
            `crash / failover, per pair: ${formatSpread(ratio)}. Target: no longer than a failover (<= 1.00): ${ratio.median <= 1 ? "met" : "NOT met"}.`,
        );
    } finally {
        await deployer.destroy();
        // Its data volumes outlive the destroy (kept on delete); as LiveCluster.destroy does.
        await sweepStale(docker, "none");
    }
}
