// npm run bench -- warm-throughput [--apps 5000 --batch 100 --runs 3]
// Deploys the test stack onto the local Docker Engine (replay deployer), then measures how fast
// the warmer writes a synthetic snapshot through Sentinel (pipelined batches, WAIT 1 after each),
// and how long the deploy took to reach healthy. Prints a Markdown table row per measurement.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { mergeConfig, readStackFile } from "../config/stack-file";
import { validateStackConfig } from "../config/validate";
import { runWarm } from "../post-deploy/cli/common";
import { buildPostDeployPlan } from "../post-deploy/plan";
import { ReplayDeployer } from "../testing/replay/replay-deployer";

function syntheticSnapshot(appsPerStore: number): unknown {
    const store = (prefix: string, id: (i: number) => string) => {
        const ids = Array.from({ length: appsPerStore }, (_, i) => id(i));
        const apps = Object.fromEntries(
            ids.map((appId, i) => [
                appId,
                {
                    screenshots: Array.from({ length: 5 }, (_, s) => `https://cdn.example.com/${prefix}/${appId}/screen-${s}.png`),
                    metadata: {
                        name: `App ${i}`,
                        developer: `Developer ${i % 97}`,
                        iconUrl: `https://cdn.example.com/${prefix}/${appId}/icon.png`,
                        rating: 4.5,
                        ratingCount: 1000 + i,
                        genre: "Productivity",
                        price: 0,
                    },
                },
            ]),
        );
        return { top: ids, apps };
    };
    return {
        stores: { appstore: store("ios", (i) => String(1_000_000_000 + i)), playstore: store("android", (i) => `com.bench.app${i}`) },
    };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function warmThroughput(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: {
            apps: { type: "string", default: "5000" },
            batch: { type: "string", default: "100" },
            runs: { type: "string", default: "3" },
        },
    });
    const appsPerStore = Number(values.apps);
    const batchSize = Number(values.batch);
    const runs = Number(values.runs);
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-bench-"));
    const snapshot = path.join(dir, "snapshot.json");
    writeFileSync(snapshot, JSON.stringify(syntheticSnapshot(appsPerStore)));

    const overrides = {
        cluster: { warmer: { appstore: { kind: "file", path: snapshot }, playstore: { kind: "file", path: snapshot }, batchSize } },
    };
    const config = mergeConfig(readStackFile("test"), overrides);
    const deployer = new ReplayDeployer("test", `bench-${process.pid}`);
    try {
        const started = Date.now();
        const { outputs } = await deployer.up(config);
        const deploySeconds = (Date.now() - started) / 1000;
        const plan = buildPostDeployPlan(validateStackConfig({ stack: "test", keys: ["cluster"], cluster: config.cluster, secrets: {} }));
        const credentials = { redisPassword: String(outputs.redisPassword), sentinelPassword: String(outputs.sentinelPassword) };
        const rates: number[] = [];
        for (let run = 0; run < runs; run++) {
            const report = await runWarm(plan, credentials, { force: true, vantage: "host" });
            if (!report.ok) throw new Error(`warm failed: ${report.problems.join("; ")}`);
            rates.push((report.keysWritten * 1000) / report.durationMs);
        }
        console.log(
            `| date | machine | apps/store | keys/run | batch | warm keys/s (median of ${runs}; min-max) | deploy to healthy incl. post-deploy |`,
        );
        console.log("|---|---|---|---|---|---|---|");
        console.log(
            `| ${new Date().toISOString().slice(0, 10)} | ${cpus().length} cores | ${appsPerStore} | ${appsPerStore * 4} | ${batchSize} | ${Math.round(median(rates))} (${Math.round(Math.min(...rates))}-${Math.round(Math.max(...rates))}) | ${deploySeconds.toFixed(1)} s |`,
        );
    } finally {
        await deployer.destroy();
        rmSync(dir, { recursive: true, force: true });
    }
}
