// A real Prometheus (Debian's binary) run as a process for one test: it scrapes the stack's
// rendered scrape config and evaluates its rendered rules, with every interval and `for:` scaled
// down so an alert fires in seconds instead of minutes. Only the timings change: the targets,
// labels and expressions are the stack's own.
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { waitFor } from "./live/wait";

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600 };

/** Seconds of a simple Prometheus duration (`30s`, `2m`, `1h`). */
export function durationSeconds(text: string): number {
    const m = /^(\d+)(s|m|h)$/.exec(text);
    if (!m) throw new Error(`not a simple duration: ${text}`);
    return Number(m[1]) * UNIT_SECONDS[m[2]];
}

interface RuleFile {
    groups: { name: string; rules: { alert?: string; for?: string }[] }[];
}

/** The rules file with every `for:` divided by `factor` (at least 1 s). */
export function scaleRuleDurations(rules: string, factor: number): string {
    const file = parse(rules) as RuleFile;
    for (const group of file.groups) {
        for (const rule of group.rules) {
            if (rule.for) rule.for = `${Math.max(1, Math.round(durationSeconds(rule.for) / factor))}s`;
        }
    }
    return stringify(file, { lineWidth: 0 });
}

interface ScrapeFile {
    global?: Record<string, unknown>;
    scrape_configs: Record<string, unknown>[];
    rule_files?: string[];
}

/** The scrape config with every job scraped each `intervalSeconds`, rules evaluated every second, and `rules.yml` loaded. */
export function fastScrapeConfig(scrape: string, intervalSeconds: number): string {
    const file = parse(scrape) as ScrapeFile;
    const every = `${intervalSeconds}s`;
    file.global = { scrape_interval: every, evaluation_interval: "1s" };
    for (const job of file.scrape_configs) {
        job.scrape_interval = every;
        job.scrape_timeout = every;
    }
    file.rule_files = ["rules.yml"];
    return stringify(file, { lineWidth: 0 });
}

export interface ActiveAlert {
    readonly labels: Record<string, string>;
    readonly state: "pending" | "firing";
}

async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolve(port));
        });
    });
}

export class PrometheusProcess {
    private constructor(
        private readonly child: ChildProcess,
        private readonly dir: string,
        readonly url: string,
        private readonly log: string[],
    ) {}

    /** Starts Prometheus on a free loopback port with this config and rules; resolves once it is ready. */
    static async start(config: string, rules: string): Promise<PrometheusProcess> {
        const dir = mkdtempSync(path.join(tmpdir(), "appscreens-prometheus-"));
        writeFileSync(path.join(dir, "prometheus.yml"), config);
        writeFileSync(path.join(dir, "rules.yml"), rules);
        const port = await freePort();
        const log: string[] = [];
        const child = spawn(
            "prometheus",
            [
                "--config.file=prometheus.yml",
                `--storage.tsdb.path=${path.join(dir, "data")}`,
                `--web.listen-address=127.0.0.1:${port}`,
                "--log.level=warn",
            ],
            { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
        );
        for (const stream of [child.stdout, child.stderr]) stream?.on("data", (c: Buffer) => log.push(c.toString("utf8")));
        const prometheus = new PrometheusProcess(child, dir, `http://127.0.0.1:${port}`, log);
        try {
            await waitFor(
                "Prometheus to answer /-/ready",
                async () => {
                    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log.join("")}`);
                    const res = await fetch(`${prometheus.url}/-/ready`, { signal: AbortSignal.timeout(2000) });
                    return res.ok ? true : undefined;
                },
                30_000,
                250,
            );
        } catch (err) {
            await prometheus.stop();
            throw err;
        }
        return prometheus;
    }

    /** What /api/v1/alerts shows now. */
    async alerts(): Promise<ActiveAlert[]> {
        const res = await fetch(`${this.url}/api/v1/alerts`, { signal: AbortSignal.timeout(5000) });
        const body = (await res.json()) as { status: string; data: { alerts: ActiveAlert[] } };
        if (body.status !== "success") throw new Error(`/api/v1/alerts: ${JSON.stringify(body)}`);
        return body.data.alerts;
    }

    /** Its log so far, for a failing test's message. */
    get output(): string {
        return this.log.join("");
    }

    async stop(): Promise<void> {
        if (this.child.exitCode === null) {
            const exited = new Promise((resolve) => this.child.once("exit", resolve));
            this.child.kill("SIGTERM");
            await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
            if (this.child.exitCode === null) this.child.kill("SIGKILL");
        }
        rmSync(this.dir, { recursive: true, force: true });
    }
}
