// npm run bench -- host-crash [--runs 5] [--candidate-connect-timeout 500] [--candidate-retry 100] [--candidate-disconnect-timeout 100] [--out reports]
// Write outage when the master's whole host crashes (every process of that host killed at once:
// tests/support/rig/, three Docker hosts on this machine, the test stack spread across them)
// against the outage when the master's container is SIGKILLed on a single host (the test stack
// on the machine's engine), alternating, same stack timings (issue 16, target <= 1.2 x).
// The rig's crash leaves the host's kernel up: its address still answers a connect with a
// refusal, as a powered-off machine's does not. So each run also powers the host off (its link
// cut first, then every process killed: nothing it sends, FIN or RST, gets out, and nothing
// answers at its address), the fault where a client's connect timeout matters.
// Besides the measured writer (measureFault's, the operations' client) more writers run beside it
// through each fault, to say where the time goes: one with the same settings and candidates
// (a shorter connect timeout and a short fixed reconnect delay; those and a short disconnect
// timeout, the wait for a dead peer's FIN after a switch), each tracing its client's
// reconnects; and every Sentinel's +sdown / +odown / +try-failover / +switch-master is timed.
// Needs root and cgroups (the rig).
import Docker from "dockerode";
import Redis from "ioredis";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { buildPostDeployPlan, NodeEndpoint, nodesOf, PostDeployPlan, sentinelsOf } from "../contracts/plan";
import { parseInfo } from "../ops/redis/replies";
import { sentinelClient, withDirectClient } from "../ops/redis/connect";
import { keysPresent, ProbeRecord, ProbeWriter, startProbeWriter } from "../ops/drill/probe-writer";
import { DEFAULT_REPORT_DIR } from "../ops/drill/timeline-svg";
import { dockerName } from "../settings/docker-names";
import { mergeConfig, readStackFile } from "../settings/stack-file";
import { validateStackConfig } from "../settings/validate";
import { sweepStale } from "../tests/support/replay/docker-apply";
import { EngineRoutes } from "../tests/support/replay/engines";
import { ReplayDeployer } from "../tests/support/replay/replay-deployer";
import { rigCgroupsAvailable } from "../tests/support/rig/cgroups";
import { Rig } from "../tests/support/rig/rig";
import { onRigHosts } from "../tests/support/rig/stack";
import { BenchCluster, FaultResult, killContainer, measureFault, settledMaster, startContainer, writeFaultReport } from "./outage";
import { formatSpread, markdownTable, spread } from "./stats";

// Its own rig: tests/live/rig.test.ts uses 10.231.16.0/24 (prefix rig16), hosts.test.ts
// 10.231.18.0/24 (hosts16); the three can never clash even if a lock is missed.
const RIG = { prefix: "benchhc", hosts: 3, subnet: "10.231.20.0/24" };
const SENTINEL_EVENTS = ["+sdown", "+odown", "+try-failover", "+switch-master"] as const;
type SentinelEvent = (typeof SENTINEL_EVENTS)[number];

/** The first time, ms from the fault, any Sentinel published each event about the master. */
type EventTimes = Partial<Record<SentinelEvent, number>>;

/** Subscribes to every Sentinel's events; a Sentinel on a dead host simply stays silent. */
function watchSentinelEvents(plan: PostDeployPlan, password: string): { times: (faultAt: number) => EventTimes; stop: () => void } {
    const seen: { event: SentinelEvent; at: number }[] = [];
    const clients = sentinelsOf(plan).map((s) => {
        const c = new Redis({
            host: s.host,
            port: s.port,
            password,
            connectTimeout: 2000,
            retryStrategy: () => null,
            maxRetriesPerRequest: 0,
        });
        c.on("error", () => undefined);
        c.on("message", (channel: string, message: string) => {
            // +sdown also reports replicas and Sentinels; only the master's counts here.
            if (channel === "+sdown" && !message.startsWith("master ")) return;
            seen.push({ event: channel as SentinelEvent, at: Date.now() });
        });
        c.subscribe(...SENTINEL_EVENTS).catch(() => undefined);
        return c;
    });
    return {
        times: (faultAt) =>
            Object.fromEntries(
                SENTINEL_EVENTS.map((e) => [e, seen.find((x) => x.event === e && x.at >= faultAt)?.at]).flatMap(([e, at]) =>
                    at === undefined ? [] : [[e, (at as number) - faultAt]],
                ),
            ),
        stop: () => clients.forEach((c) => c.disconnect()),
    };
}

/** Each Sentinel's master and flags, each node's role and links: printed when a fault's writes never come back. */
async function clusterState(c: BenchCluster): Promise<string> {
    const lines = await Promise.all([
        ...sentinelsOf(c.plan).map((s) =>
            withDirectClient(s, c.credentials.sentinelPassword, async (r) => {
                const m = (await r.call("SENTINEL", "MASTER", c.plan.masterName)) as string[];
                const f = (k: string) => m[m.indexOf(k) + 1];
                return `  ${s.name}: master ${f("ip")}:${f("port")} flags ${f("flags")} replicas ${f("num-slaves")} failover ${f("failover-state") ?? "-"}`;
            }).catch((err: unknown) => `  ${s.name}: ${String(err)}`),
        ),
        ...nodesOf(c.plan).map((n) =>
            withDirectClient(n, c.credentials.redisPassword, async (r) => {
                const i = parseInfo(await r.info("replication"));
                return `  ${n.name}: role ${i.role} link ${i.master_link_status ?? "-"} replicas ${i.connected_slaves ?? "-"} good ${i.min_slaves_good_slaves ?? "-"} master ${i.master_host ?? "-"}:${i.master_port ?? "-"}`;
            }).catch((err: unknown) => `  ${n.name}: ${String(err)}`),
        ),
    ]);
    return lines.join("\n");
}

/** A writer beside measureFault's, with its own client settings and a trace of its connection. */
interface SideWriter {
    readonly label: string;
    readonly client: Redis;
    readonly writer: ProbeWriter;
    readonly trace: { event: string; at: number }[];
}

interface SideSettings {
    readonly connectTimeoutMs: number;
    readonly retryDelayMs?: number;
    readonly disconnectTimeoutMs?: number;
}

function startSideWriter(c: BenchCluster, label: string, settings: SideSettings): SideWriter {
    const client = sentinelClient(c.plan, c.credentials, "host", { commandTimeoutMs: 2000, ...settings });
    const trace: { event: string; at: number }[] = [];
    for (const event of ["close", "reconnecting", "connect", "ready"]) client.on(event, () => trace.push({ event, at: Date.now() }));
    const writer = startProbeWriter(client, {
        prefix: `bench:hc:${label}:${Date.now()}:`,
        waitTimeoutMs: 1000,
        intervalMs: 2,
        ttlSeconds: 600,
    });
    return { label, client, writer, trace };
}

/** The outage as measureFault counts it: last confirmed write before the fault to the first confirmed one sent after it. */
function outageOf(records: readonly ProbeRecord[], faultAt: number, faultDone: number): number | undefined {
    const confirmed = records.filter((r) => (r.replicas ?? 0) >= 1 && r.ackAt !== undefined);
    const lastBefore = Math.max(0, ...confirmed.filter((r) => (r.ackAt as number) <= faultAt).map((r) => r.ackAt as number));
    const first = confirmed.find((r) => r.sentAt > faultDone);
    return first ? (first.ackAt as number) - (lastBefore || faultAt) : undefined;
}

interface Measured {
    readonly result: FaultResult;
    readonly events: EventTimes;
    /** Per side writer: its outage (ms), confirmed writes lost, and its connection's events after the fault (ms from it). */
    readonly side: Record<string, { outageMs?: number; lost: number; trace: string }>;
}

async function measure(
    c: BenchCluster,
    fault: (m: NodeEndpoint) => Promise<void>,
    recover: (m: NodeEndpoint) => Promise<void>,
    sideSettings: Readonly<Record<string, SideSettings>>,
): Promise<Measured> {
    const watch = watchSentinelEvents(c.plan, c.credentials.sentinelPassword);
    const side = Object.entries(sideSettings).map(([label, settings]) => startSideWriter(c, label, settings));
    let faultAt = 0;
    let faultDone = 0;
    try {
        const result = await measureFault(
            c,
            async (m) => {
                faultAt = Date.now();
                await fault(m);
                faultDone = Date.now();
            },
            recover,
        ).catch(async (err: unknown) => {
            // measureFault's server logs come from the machine's engine only: say here what the
            // rig's servers and the writers beside it saw.
            console.error(
                `host-crash: ${c.label} failed ${Date.now() - faultAt} ms after the fault; Sentinel events ${JSON.stringify(watch.times(faultAt))}`,
            );
            console.error(await clusterState(c));
            for (const w of side) {
                const errors = w.writer.records.filter((r) => r.error && r.sentAt >= faultAt).slice(-3);
                const trace = w.trace.filter((t) => t.at >= faultAt).map((t) => `${t.event}@${t.at - faultAt}`);
                console.error(
                    `  writer ${w.label}: last errors ${JSON.stringify(errors.map((r) => [r.sentAt - faultAt, r.error]))}; connection ${trace.join(" ")}`,
                );
            }
            throw err;
        });
        for (const s of side) await s.writer.stop();
        const master = await settledMaster(c);
        const report: Measured["side"] = {};
        for (const s of side) {
            const confirmed = s.writer.records.filter((r) => (r.replicas ?? 0) >= 1).map((r) => r.key);
            const present = await withDirectClient(master, c.credentials.redisPassword, (r) => keysPresent(r, confirmed));
            report[s.label] = {
                outageMs: outageOf(s.writer.records, faultAt, faultDone),
                lost: confirmed.filter((k) => !present.has(k)).length,
                trace: s.trace
                    .filter((t) => t.at >= faultAt && t.at - faultAt < 30_000)
                    .map((t) => `${t.event}@${t.at - faultAt}`)
                    .join(" "),
            };
        }
        return { result, events: watch.times(faultAt), side: report };
    } finally {
        for (const s of side) {
            await s.writer.stop();
            s.client.disconnect();
        }
        watch.stop();
    }
}

export async function hostCrash(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            runs: { type: "string", default: "5" },
            "candidate-connect-timeout": { type: "string", default: "500" },
            "candidate-retry": { type: "string", default: "100" },
            "candidate-disconnect-timeout": { type: "string", default: "100" },
            out: { type: "string", default: DEFAULT_REPORT_DIR },
        },
    });
    const runs = Number(values.runs);
    const candidateMs = Number(values["candidate-connect-timeout"]);
    const retryMs = Number(values["candidate-retry"]);
    const disconnectMs = Number(values["candidate-disconnect-timeout"]);
    if (!(runs >= 1 && candidateMs > 0 && retryMs > 0 && disconnectMs > 0))
        throw new Error("--runs must be at least 1 and the candidates' settings positive ms counts");
    if (process.getuid?.() !== 0 || !rigCgroupsAvailable())
        throw new Error("host-crash needs root and cgroups for its rig of Docker hosts");
    const docker = new Docker();
    const baseConfig = mergeConfig(readStackFile("test"), {});
    const singleSettings = validateStackConfig({ stack: "test", keys: ["cluster"], cluster: baseConfig.cluster, secrets: {} });
    const image = singleSettings.cluster.image.name;
    const runId = `bench-hostcrash-${process.pid}`;
    const single = new ReplayDeployer("test", runId);
    const stateDir = mkdtempSync(path.join(tmpdir(), `${RIG.prefix}-`));
    let rig: Rig | undefined;
    let hosts: ReplayDeployer | undefined;
    // The host a fault left down, if any: a failed run restarts it so the 3-host stack can be destroyed through it.
    let dead = -1;
    // The same settings as the measured writer (sentinelClient's defaults), then the candidates.
    const sideSettings: Record<string, SideSettings> = {
        same: { connectTimeoutMs: 5000 },
        retry: { connectTimeoutMs: candidateMs, retryDelayMs: retryMs },
        all: { connectTimeoutMs: candidateMs, retryDelayMs: retryMs, disconnectTimeoutMs: disconnectMs },
    };
    const sideLabels: Record<string, string> = {
        same: "same settings",
        retry: `connectTimeout ${candidateMs} ms + retry every ${retryMs} ms`,
        all: `those + disconnectTimeout ${disconnectMs} ms`,
    };
    await sweepStale(docker, runId);
    try {
        rig = await Rig.up(RIG, { image, imageSource: docker });
        const r = rig;
        const rigConfig = onRigHosts(baseConfig, r.plan);
        hosts = new ReplayDeployer("test", RIG.prefix, stateDir, new EngineRoutes());
        const rigOut = (await hosts.up(rigConfig)).outputs;
        const rigSettings = validateStackConfig({ stack: "test", keys: ["cluster"], cluster: rigConfig.cluster, secrets: {} });
        const endpoints = rigOut.serverEndpoints as Record<string, { hostName?: string }>;
        const hostIndexOf = (server: string): number => {
            const index = r.plan.hosts.findIndex((h) => h.name === endpoints[server]?.hostName);
            if (index < 0) throw new Error(`${server} is on no rig host (${String(endpoints[server]?.hostName)})`);
            return index;
        };
        const multi: BenchCluster = {
            label: "3 hosts",
            plan: buildPostDeployPlan(rigSettings),
            credentials: { redisPassword: String(rigOut.redisPassword), sentinelPassword: String(rigOut.sentinelPassword) },
            containerOf: (node) => dockerName(rigSettings, node),
        };
        const singleOut = (await single.up(baseConfig)).outputs;
        const one: BenchCluster = {
            label: "single host",
            plan: buildPostDeployPlan(singleSettings),
            credentials: { redisPassword: String(singleOut.redisPassword), sentinelPassword: String(singleOut.sentinelPassword) },
            containerOf: (node) => dockerName(singleSettings, node),
        };
        /**
         * One fault of a run: measured on `cluster` with the side writers, its timeline written and
         * a line printed. `inject` returns the fault as the report names it.
         */
        const runFault = async (
            run: number,
            cluster: BenchCluster,
            inject: (m: NodeEndpoint) => Promise<string>,
            recover: (m: NodeEndpoint) => Promise<void>,
        ): Promise<Measured> => {
            let fault = "";
            const m = await measure(
                cluster,
                async (master) => {
                    fault = await inject(master);
                },
                recover,
                sideSettings,
            );
            const report = { ...m.result, bench: "host-crash", cluster: cluster.label, fault, run: run + 1, at: new Date().toISOString() };
            console.error(`host-crash: timeline ${await writeFaultReport(values.out, report)}`);
            console.error(
                `host-crash: run ${run + 1}/${runs} ${cluster.label}: ${m.result.master} -> ${m.result.newMaster}, outage ${m.result.outageMs} ms, ` +
                    `lost ${m.result.probes.confirmedLost.length}; sentinel events ${JSON.stringify(m.events)}; side ${JSON.stringify(m.side)}`,
            );
            return m;
        };
        const crashes: Measured[] = [];
        const offs: Measured[] = [];
        const kills: Measured[] = [];
        for (let run = 0; run < runs; run++) {
            crashes.push(
                await runFault(
                    run,
                    multi,
                    async (m) => {
                        dead = hostIndexOf(m.name);
                        await r.kill(dead);
                        return `master's host ${r.plan.hosts[dead].name} crashed`;
                    },
                    // The host boots again: its engine starts and the restart policy brings its containers back.
                    async () => {
                        await r.start(dead);
                        dead = -1;
                    },
                ),
            );
            offs.push(
                await runFault(
                    run,
                    multi,
                    async (m) => {
                        dead = hostIndexOf(m.name);
                        // Link first: the killed processes' FINs and the host's refusals never get out.
                        await r.cut(dead);
                        await r.kill(dead);
                        return `master's host ${r.plan.hosts[dead].name} powered off`;
                    },
                    async () => {
                        await r.start(dead);
                        await r.heal(dead);
                        dead = -1;
                    },
                ),
            );
            kills.push(
                await runFault(
                    run,
                    one,
                    async (m) => {
                        await killContainer(docker, one.containerOf(m.name));
                        return "master container killed";
                    },
                    (m) => startContainer(docker, one.containerOf(m.name)),
                ),
            );
        }
        const sec = (xs: readonly (number | undefined)[]) => {
            const got = xs.filter((x): x is number => x !== undefined);
            const missing = xs.length - got.length;
            return got.length ? `${formatSpread(spread(got.map((x) => x / 1000)))}${missing ? ` (${missing} never resumed)` : ""}` : "n/a";
        };
        const row = (label: string, ms: readonly Measured[]) => [
            label,
            sec(ms.map((m) => m.result.outageMs)),
            String(ms.filter((m) => m.result.newMaster !== m.result.master).length),
            String(ms.reduce((n, m) => n + m.result.probes.confirmedLost.length, 0)),
            sec(ms.map((m) => m.events["+sdown"])),
            sec(ms.map((m) => m.events["+odown"])),
            sec(ms.map((m) => m.events["+switch-master"])),
            String(ms.reduce((n, m) => n + Object.values(m.side).reduce((x, v) => x + v.lost, 0), 0)),
        ];
        const sideRow = (label: string, ms: readonly Measured[]) => [
            label,
            ...Object.keys(sideSettings).map((k) => sec(ms.map((m) => m.side[k].outageMs))),
        ];
        const s = rigSettings.cluster.sentinel;
        console.log(
            `Write outage, test stack (down-after ${s.downAfterMilliseconds} ms, failover-timeout ${s.failoverTimeout} ms), ${runs} alternating runs, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}:\n`,
        );
        console.log(
            markdownTable(
                [
                    "fault",
                    `outage s, median (min-max) of ${runs}`,
                    "failovers",
                    "confirmed lost",
                    "first +sdown s",
                    "first +odown s",
                    "first +switch-master s",
                    "side writers' confirmed lost",
                ],
                [
                    row("master's host crashed (3 hosts)", crashes),
                    row("master's host powered off (3 hosts)", offs),
                    row("master container killed (1 host)", kills),
                ],
            ),
        );
        console.log("\nThe writers beside the measured one, outage s, median (min-max):\n");
        console.log(
            markdownTable(
                ["fault", ...Object.keys(sideSettings).map((k) => sideLabels[k])],
                [
                    sideRow("master's host crashed (3 hosts)", crashes),
                    sideRow("master's host powered off (3 hosts)", offs),
                    sideRow("master container killed (1 host)", kills),
                ],
            ),
        );
        const pairs = (pick: (m: Measured) => number | undefined, faults = crashes) => {
            const ratios = faults.flatMap((c, i) => {
                const a = pick(c);
                const b = pick(kills[i]);
                return a !== undefined && b !== undefined ? [a / b] : [];
            });
            return ratios.length ? spread(ratios) : undefined;
        };
        const fmt = (x: ReturnType<typeof pairs>) => (x ? `${formatSpread(x)}${x.median <= 1.2 ? " (met)" : " (NOT met)"}` : "n/a");
        console.log(`\nhost crash / container kill, per pair: ${fmt(pairs((m) => m.result.outageMs))}. Target: <= 1.20.`);
        console.log(`host powered off / container kill, per pair: ${fmt(pairs((m) => m.result.outageMs, offs))}.`);
        for (const k of Object.keys(sideSettings))
            console.log(
                `Writer beside it, ${sideLabels[k]}: crash / kill ${fmt(pairs((m) => m.side[k].outageMs))}, ` +
                    `powered off / kill ${fmt(pairs((m) => m.side[k].outageMs, offs))}.`,
            );
        console.log("\nPer run, connection events of the writers beside the measured one, ms from the fault:");
        crashes.forEach((c, i) => {
            for (const [label, m] of [
                ["host crash", c],
                ["host powered off", offs[i]],
                ["container kill", kills[i]],
            ] as const)
                for (const k of Object.keys(sideSettings))
                    console.log(`- run ${i + 1} ${label}, ${sideLabels[k]}: ${m.side[k].trace || "-"}`);
        });
    } finally {
        if (rig && dead >= 0) {
            await rig.heal(dead).catch(() => undefined);
            await rig
                .start(dead)
                .catch((err: unknown) => console.error(`host-crash: restarting ${String(rig?.plan.hosts[dead].name)}: ${String(err)}`));
        }
        await hosts?.destroy().catch((err: unknown) => console.error(`host-crash: destroying the 3-host stack: ${String(err)}`));
        await rig?.down().catch((err: unknown) => console.error(`host-crash: rig teardown: ${String(err)}`));
        rmSync(stateDir, { recursive: true, force: true });
        await single.destroy().catch((err: unknown) => console.error(`host-crash: destroying the single-host stack: ${String(err)}`));
        // Its data volumes outlive the destroy (kept on delete); as LiveCluster.destroy does.
        await sweepStale(docker, "none");
    }
}
