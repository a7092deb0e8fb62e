import { expect } from "chai";
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { exporterEndpoint, ServerKind, ExporterEndpoint } from "../../settings/address-plan";
import { EXPORTER_VERSION } from "../../settings/schema";
import { exporterArgs, renderExporterPasswordFile } from "../../render/exporter";
import { alertRules, renderAlertRules } from "../../render/alert-rules";
import { renderScrapeConfig } from "../../render/prometheus";
import { EXPORTER_METRICS_FILE, metricNames, readExporterMetricList, sampleValue } from "../support/exporter-metrics";
import { verify } from "../../ops/verify/verifier";
import { HostCluster } from "../support/host-cluster";
import { PROMETHEUS, REDIS_EXPORTER, REDIS_SERVER, requirePrograms } from "../support/require-program";
import { waitFor } from "../support/live/wait";
import { settingsFor } from "../support/settings";

// Ports (DEVELOPMENT.md): servers 22500-22501 and 22520-22522, exporters 22530-22531 and
// 22550-22552 (the stack's layout: Sentinels' exporters 20 past the nodes'), Prometheus 22560.
const BASE = 22500;
const EXPORTER_BASE = 22530;
const PROMETHEUS_PORT = 22560;
const EXPORTER_PROGRAM = REDIS_EXPORTER[0];

/** The stack's exporter layout over the host cluster's servers on 127.0.0.1. */
function hostExporter(kind: ServerKind, index: number, port: number): ExporterEndpoint {
    const name = `${kind === "redis" ? "redis" : "sentinel"}-${index}`;
    return exporterEndpoint(EXPORTER_BASE, kind, index, {
        name,
        address: "127.0.0.1",
        port,
        hostPort: port,
        publishAddress: "127.0.0.1",
        announce: { address: "127.0.0.1", port },
    });
}

async function scrape(exporter: ExporterEndpoint): Promise<string> {
    const response = await fetch(`http://127.0.0.1:${exporter.hostPort}/metrics`, { signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw new Error(`${exporter.name}: HTTP ${response.status}`);
    return response.text();
}

async function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
}

describe(`host: redis_exporter ${EXPORTER_VERSION} against Redis and Sentinel processes, scraped by Prometheus`, function () {
    this.timeout(240_000);
    let cluster: HostCluster;
    let dir: string;
    const children: ChildProcess[] = [];
    let exporters: ExporterEndpoint[] = [];

    before(async function () {
        requirePrograms(this, [REDIS_SERVER, REDIS_EXPORTER]);
        cluster = new HostCluster({ basePort: BASE, replicas: 1, sentinels: 3 });
        await cluster.start();
        dir = mkdtempSync(path.join(tmpdir(), "appscreens-exporters-"));
        exporters = [
            ...cluster.nodePorts.map((port, i) => hostExporter("redis", i, port)),
            ...cluster.sentinelPorts.map((port, i) => hostExporter("sentinel", i, port)),
        ];
        for (const e of exporters) {
            const password = e.kind === "redis" ? cluster.credentials.redisPassword : cluster.credentials.sentinelPassword;
            const file = path.join(dir, `${e.name}.json`);
            writeFileSync(file, renderExporterPasswordFile(e, password), { mode: 0o600 });
            const child = spawn(EXPORTER_PROGRAM, exporterArgs(e, file, `127.0.0.1:${e.hostPort}`), {
                stdio: ["ignore", "ignore", "pipe"],
            });
            child.stderr?.resume();
            children.push(child);
        }
        // One refused authentication, so the error counter by type shows up as it would in production.
        const wrong = new Redis({ host: "127.0.0.1", port: cluster.nodePorts[0], password: "not-the-password-at-all", lazyConnect: true });
        wrong.on("error", () => undefined);
        await wrong.connect().catch(() => undefined);
        wrong.disconnect();
        await waitFor("every exporter answering with redis_up 1", async () => {
            const pages = await Promise.all(exporters.map(scrape));
            return pages.every((p) => sampleValue(p, "redis_up") === 1) ? true : undefined;
        });
    });

    after(async () => {
        await Promise.all(children.map(stopChild));
        await cluster?.stop();
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it("authenticates with the JSON password file keyed by the server's URI, and shows the metrics the rules name", async () => {
        const seen = new Set<string>();
        for (const e of exporters) for (const name of metricNames(await scrape(e))) seen.add(name);
        if (process.env.UPDATE_METRIC_LIST === "1") {
            const header = [
                `# Metric names redis_exporter ${EXPORTER_VERSION} (Debian's prometheus-redis-exporter) showed when scraping`,
                "# Redis 7.0.15: a master with a replica and a refused AUTH, the replica, and a Sentinel.",
                "# Written by UPDATE_METRIC_LIST=1 npm run test:host (tests/host/redis-exporter.test.ts), which checks",
                "# on every run that the exporter still shows each of them; the unit tests check that the",
                "# alerting rules name none other.",
            ];
            writeFileSync(EXPORTER_METRICS_FILE, `${header.join("\n")}\n${[...seen].sort().join("\n")}\n`);
        }
        const missing = readExporterMetricList().filter((name) => !seen.has(name));
        expect(missing, "names in the committed list this exporter does not show").to.deep.equal([]);
        const master = await scrape(exporters[0]);
        expect(sampleValue(master, "redis_errors_total", { err: "WRONGPASS" })).to.be.at.least(1);
        expect(sampleValue(master, "redis_connected_slave_lag_seconds", { slave_state: "online" })).to.be.a("number");
        const sentinel = await scrape(exporters[exporters.length - 1]);
        expect(sampleValue(sentinel, "redis_sentinel_master_ok_sentinels", { master_name: "mymaster" })).to.equal(3);
    });

    it("keeps the passwords off the exporters' command lines and environments", () => {
        const { redisPassword, sentinelPassword } = cluster.credentials;
        for (const child of children) {
            const cmdline = readFileSync(`/proc/${child.pid}/cmdline`, "utf8");
            const environ = readFileSync(`/proc/${child.pid}/environ`, "utf8");
            for (const secret of [redisPassword, sentinelPassword]) {
                expect(cmdline).to.not.include(secret);
                expect(environ).to.not.include(secret);
            }
            expect(cmdline).to.include("--redis.password-file=");
        }
    });

    it("shows redis_up 0 while its server is gone, and 1 again when it is back", async () => {
        const replica = exporters[1];
        await cluster.kill(replica.server.name);
        const down = await waitFor(
            "redis_up 0 from the replica's exporter",
            async () => {
                const page = await scrape(replica);
                return sampleValue(page, "redis_up") === 0 ? page : undefined;
            },
            30_000,
            500,
        );
        // Only the exporter's own series are left: the rules see the server's series go stale.
        expect(sampleValue(down, "redis_instance_info")).to.equal(undefined);
        cluster.restart(replica.server.name);
        await waitFor(
            "redis_up 1 again",
            async () => (sampleValue(await scrape(replica), "redis_up") === 1 ? true : undefined),
            30_000,
            500,
        );
        // Leave the cluster as found: the replica linked again and counted by the master, which
        // the next case's health summary reads (its lag exists only for a linked replica).
        await cluster.settled();
    });

    it("agrees with the verifier's health summary of the same servers", async () => {
        const report = await verify(cluster.plan(), cluster.credentials);
        const health = report.health!;
        expect(health.nodes.map((n) => n.name)).to.deep.equal(["redis-0", "redis-1"]);
        const page = await scrape(exporters[0]);
        const master = health.nodes[0];
        expect(master.role).to.equal("master");
        expect(master.maxmemoryBytes).to.equal(sampleValue(page, "redis_memory_max_bytes"));
        expect(master.usedMemoryBytes).to.be.greaterThan(0);
        expect(master.evictedKeys).to.equal(0);
        expect(health.nodes[1].replicaLagSeconds).to.be.a("number").and.below(5);
        expect(health.warnings.filter((w) => w.kind !== "hit-ratio-low")).to.deep.equal([]);
    });

    it("is scraped by Prometheus with the rendered scrape config, and every rendered rule evaluates", async function () {
        requirePrograms(this, [PROMETHEUS]);
        // The stack's config with the host cluster's ports: targets 127.0.0.1:22530.. as rendered.
        const settings = settingsFor({ replicas: 1, metrics: { exporterBasePort: EXPORTER_BASE } }, "host");
        const config = `${renderScrapeConfig(settings)}rule_files:\n  - rules.yml\nglobal:\n  evaluation_interval: 5s\n`;
        writeFileSync(path.join(dir, "prometheus.yml"), config);
        writeFileSync(path.join(dir, "rules.yml"), renderAlertRules(settings)!);
        const prometheus = spawn(
            "prometheus",
            [
                `--config.file=${path.join(dir, "prometheus.yml")}`,
                `--storage.tsdb.path=${path.join(dir, "tsdb")}`,
                `--web.listen-address=127.0.0.1:${PROMETHEUS_PORT}`,
            ],
            { stdio: ["ignore", "ignore", "pipe"] },
        );
        let log = "";
        prometheus.stderr?.on("data", (c: Buffer) => (log = (log + c.toString("utf8")).slice(-4000)));
        children.push(prometheus);
        const api = async <T>(query: string): Promise<T> => {
            const response = await fetch(`http://127.0.0.1:${PROMETHEUS_PORT}/api/v1/${query}`, { signal: AbortSignal.timeout(5000) });
            return ((await response.json()) as { data: T }).data;
        };
        type Target = { labels: Record<string, string>; health: string; lastError: string };
        const targets = await waitFor(
            "every target scraped and up",
            async () => {
                const data = await api<{ activeTargets: Target[] }>("targets");
                return data.activeTargets.length === exporters.length && data.activeTargets.every((t) => t.health === "up")
                    ? data.activeTargets
                    : undefined;
            },
            60_000,
            1000,
        ).catch((err: Error) => {
            throw new Error(`${err.message}\nprometheus log:\n${log}`);
        });
        expect(targets.map((t) => t.labels.instance).sort()).to.deep.equal(exporters.map((e) => e.server.name).sort());
        expect(targets.every((t) => t.labels.stack === "host")).to.equal(true);

        type Rule = { name: string; health: string; lastError?: string; state?: string };
        const rules = await waitFor(
            "every rule evaluated",
            async () => {
                const data = await api<{ groups: { rules: (Rule & { lastEvaluation: string })[] }[] }>("rules");
                const all = data.groups.flatMap((g) => g.rules);
                return all.length > 0 && all.every((r) => !r.lastEvaluation.startsWith("0001")) ? all : undefined;
            },
            30_000,
            1000,
        );
        expect(rules.map((r) => r.name).sort()).to.deep.equal(
            alertRules(settings)
                .map((r) => r.alert)
                .sort(),
        );
        expect(rules.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.lastError}`)).to.deep.equal([]);
        // A healthy host cluster: nothing pending or firing once the replica restarted above is in
        // sync. (Its servers' announced addresses are 127.0.0.1 ones, not the stack's, which only the
        // Sentinel/node address join could notice.)
        let active: string[] = [];
        await waitFor(
            "no rule pending or firing",
            async () => {
                const data = await api<{ groups: { rules: Rule[] }[] }>("rules");
                active = data.groups
                    .flatMap((g) => g.rules)
                    .filter((r) => r.state !== "inactive")
                    .map((r) => r.name);
                return active.length === 0 ? true : undefined;
            },
            30_000,
            1000,
        ).catch(() => expect(active, "rules pending or firing on a healthy cluster").to.deep.equal([]));

        // The replica stops: RedisDown goes pending for it within a scrape and an evaluation.
        await cluster.kill("redis-1");
        const pending = await waitFor(
            "RedisDown pending for redis-1",
            async () => {
                const data = await api<{ alerts: { labels: Record<string, string>; state: string }[] }>("alerts");
                return data.alerts.find((a) => a.labels.alertname === "RedisDown" && a.labels.instance === "redis-1");
            },
            45_000,
            1000,
        );
        expect(pending.state).to.be.oneOf(["pending", "firing"]);
        expect(pending.labels).to.include({ severity: "critical", stack: "host", kind: "redis" });
        cluster.restart("redis-1");
    });
});
