// npm run bench -- exporter-overhead [--runs 5] [--apps 25000]
//
// What the metrics cost the warmer: the test stack on Docker with an exporter per server, and the
// warmer writing 4 x --apps keys (100,000 by default) through Sentinel, alternately with every
// exporter scraped every 5 s (each scrape runs INFO ALL and more against its server) and with no
// scrape at all (an idle redis_exporter sends nothing to its server, so that is "no exporters"
// as Redis sees it). Both variants on the same stack and machine state, alternating which goes
// first. Target (issue 18): scraped / none >= 0.95.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { pairedRatios } from "./side-by-side";
import { formatSpread, markdownTable, spread } from "./stats";
import { dockerTarget } from "./targets";
import { flush, fromFiles, snapshots } from "./warm-throughput";
import { warmInChild } from "./warm-child";

const SCRAPE_EVERY_MS = 5000;

/** Scrapes every URL every `everyMs` until stopped; counts the scrapes and the ones that failed. */
function startScraper(urls: readonly string[], everyMs: number) {
    let scrapes = 0;
    let failed = 0;
    const once = () =>
        void Promise.all(
            urls.map((url) =>
                fetch(url, { signal: AbortSignal.timeout(10_000) })
                    .then((r) => r.text().then(() => (r.ok ? undefined : failed++)))
                    .catch(() => failed++)
                    .finally(() => scrapes++),
            ),
        );
    once();
    const timer = setInterval(once, everyMs);
    return {
        stop: () => {
            clearInterval(timer);
            return { scrapes, failed };
        },
    };
}

export async function exporterOverhead(argv: string[]): Promise<void> {
    const { values } = parseArgs({
        args: argv,
        options: { runs: { type: "string", default: "5" }, apps: { type: "string", default: "25000" } },
    });
    const runs = Number(values.runs);
    const apps = Number(values.apps);
    const target = await dockerTarget({ cluster: { metrics: { enabled: true } } });
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-bench-exporters-"));
    try {
        const urls = Object.values(target.metricsEndpoints ?? {});
        if (urls.length === 0) throw new Error("the stack runs no exporters: metricsEndpoints is empty");
        const plan = fromFiles(target.plan, await snapshots(dir, "exporters", apps));
        const keys = 4 * apps;
        const rates = { none: [] as number[], scraped: [] as number[] };
        let scrapes = 0;
        let failed = 0;
        for (let run = 0; run < runs; run++) {
            const order = run % 2 === 0 ? (["scraped", "none"] as const) : (["none", "scraped"] as const);
            for (const variant of order) {
                await flush(target);
                const scraper = variant === "scraped" ? startScraper(urls, SCRAPE_EVERY_MS) : undefined;
                const { summary } = await warmInChild(plan, target.credentials);
                const counted = scraper?.stop();
                if (counted) {
                    scrapes += counted.scrapes;
                    failed += counted.failed;
                }
                if (!summary.ok || summary.keysWritten !== keys) throw new Error(`warm failed: ${JSON.stringify(summary.problems)}`);
                rates[variant].push((summary.keysWritten * 1000) / summary.durationMs);
            }
            console.error(
                `exporter-overhead run ${run + 1}/${runs}: none ${Math.round(rates.none[run])} keys/s, scraped ${Math.round(rates.scraped[run])} keys/s`,
            );
        }
        console.log(
            markdownTable(
                [
                    "runs",
                    "keys/run",
                    "exporters",
                    "warm keys/s, no scrape",
                    "warm keys/s, scraped every 5 s",
                    "scraped / none (paired)",
                    "scrapes (failed)",
                ],
                [
                    [
                        String(runs),
                        keys.toLocaleString("en"),
                        String(urls.length),
                        formatSpread(spread(rates.none), 0),
                        formatSpread(spread(rates.scraped), 0),
                        formatSpread(spread(pairedRatios(rates.scraped, rates.none)), 2),
                        `${scrapes} (${failed})`,
                    ],
                ],
            ),
        );
    } finally {
        rmSync(dir, { recursive: true, force: true });
        await target.destroy();
    }
}
