// npm run bench [-- <benchmark> [flags]]
// Without a name every benchmark runs with its defaults; with one name, flags go to it.
// Benchmarks that deploy on Docker make sure an Engine and the test image exist first.
import { execFileSync } from "node:child_process";
import * as path from "node:path";
import { cpuBudget } from "./cpu-budget";
import { crashOutage } from "./crash-outage";
import { exporterOverhead } from "./exporter-overhead";
import { failoverOutage } from "./failover-outage";
import { hostCrash } from "./host-crash";
import { restartTime } from "./restart-time";
import { runLength } from "./run-length";
import { tlsOverhead } from "./tls-overhead";
import { warmThroughput } from "./warm-throughput";

const BENCHMARKS: Record<string, { docker: boolean; run: (argv: string[]) => Promise<void>; what: string }> = {
    "warm-throughput": {
        docker: true,
        run: warmThroughput,
        what: "warmer vs redis-benchmark vs a naive writer, keys/s at 10k and 100k, upstream run vs ideal, peak memory (--target host: no Docker)",
    },
    "cpu-budget": {
        docker: true,
        run: cpuBudget,
        what: "CPU per key of the warmer, redis-benchmark and the naive writer, by process: what bounds keys/s on this machine (--target host: no Docker)",
    },
    "run-length": {
        docker: false,
        run: runLength,
        what: "what a warm of 100,000 keys pays per key that one of 10,000 does not: AOF rewrites, forks, GC (host processes)",
    },
    "restart-time": { docker: false, run: restartTime, what: "restart time with 1,000,000 keys by persistence mode (host redis-server)" },
    "failover-outage": { docker: true, run: failoverOutage, what: "write outage after SIGKILL of the master: the stack vs plain Docker" },
    "exporter-overhead": {
        docker: true,
        run: exporterOverhead,
        what: "warm keys/s with every exporter scraped every 5 s against none, alternating on one stack (target >= 0.95)",
    },
    "crash-outage": { docker: true, run: crashOutage, what: "write outage after a crash of the master's process vs a failover" },
    "host-crash": {
        docker: true,
        run: hostCrash,
        what: "write outage when the master's whole host crashes (3-host rig) vs its container killed on one host, alternating (target <= 1.2, root)",
    },
    "tls-overhead": {
        docker: false,
        run: tlsOverhead,
        what: "the warmer's write speed and the outage after SIGKILL of the master with TLS on against off, alternating (host processes)",
    },
};

function usage(): string {
    return [
        "Usage: npm run bench [-- <benchmark> [flags]]",
        "",
        ...Object.entries(BENCHMARKS).map(([name, b]) => `  ${name.padEnd(16)} ${b.what}${b.docker ? " (Docker)" : ""}`),
    ].join("\n");
}

async function main(): Promise<void> {
    const argv = process.argv.slice(2);
    if (argv.includes("--help")) {
        console.log(usage());
        return;
    }
    const names = argv.filter((a, i) => !a.startsWith("--") && (i === 0 || !argv[i - 1].startsWith("--")) && a in BENCHMARKS);
    const flags = argv.filter((a) => !names.includes(a));
    const unknown = argv.filter((a, i) => !a.startsWith("--") && (i === 0 || !argv[i - 1].startsWith("--")) && !(a in BENCHMARKS));
    if (unknown.length) throw new Error(`unknown benchmark ${unknown.join(", ")}\n\n${usage()}`);
    if (flags.length && names.length !== 1) throw new Error(`flags go to one named benchmark\n\n${usage()}`);
    const selected = names.length ? names : Object.keys(BENCHMARKS);
    // `warm-throughput --target host` runs on host processes: no Engine needed.
    const onHost = flags.some((f, i) => f === "--target=host" || (f === "--target" && flags[i + 1] === "host"));
    if (selected.some((n) => BENCHMARKS[n].docker) && !onHost) {
        const scripts = path.join(__dirname, "..", "scripts");
        execFileSync("bash", [path.join(scripts, "docker-engine.sh")], { stdio: "inherit" });
        execFileSync("bash", [path.join(scripts, "build-test-image.sh")], { stdio: "inherit" });
    }
    for (const name of selected) {
        console.error(`bench: ${name}`);
        await BENCHMARKS[name].run(flags);
    }
}

main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
});
