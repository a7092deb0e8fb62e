import { stringify } from "yaml";
import { ServerKind, ExporterEndpoint, planExporters } from "../settings/address-plan";
import { StackSettings } from "../settings/validate";

/** How often Prometheus scrapes each exporter, and how long a scrape may take. */
export const SCRAPE_INTERVAL = "15s";
export const SCRAPE_TIMEOUT = "10s";

/** The labels every series of one exporter carries in Prometheus (target labels). */
export interface TargetLabels {
    readonly stack: string;
    readonly kind: ServerKind;
    /** The server's name (`redis-0`, `sentinel-1`), not the scrape address. */
    readonly instance: string;
    /** The server's announced `address:port`: what Sentinels report as `master_address`. */
    readonly server_address: string;
}

/** One scrape job per kind of server and stack: `appscreens-redis-<stack>-redis`, `...-sentinel`. */
export const jobName = (settings: Pick<StackSettings, "namePrefix">, kind: ServerKind): string => `${settings.namePrefix}-${kind}`;

/** The exporters of a stack, or none when metrics are off. */
export const stackExporters = (settings: StackSettings): ExporterEndpoint[] =>
    settings.cluster.metrics.enabled ? planExporters(settings.plan, settings.cluster.metrics.exporterBasePort) : [];

export const targetLabels = (settings: Pick<StackSettings, "stack">, exporter: ExporterEndpoint): TargetLabels => ({
    stack: settings.stack,
    kind: exporter.kind,
    instance: exporter.server.name,
    server_address: `${exporter.server.address}:${exporter.server.port}`,
});

/**
 * Where Prometheus reaches an exporter: its published port on the address its server publishes
 * on (its host's with hosts; 127.0.0.1 when published on every interface of a single host).
 */
export function scrapeAddress(exporter: ExporterEndpoint): string {
    const { publishAddress } = exporter.server;
    return `${publishAddress === "0.0.0.0" ? "127.0.0.1" : publishAddress}:${exporter.hostPort}`;
}

/**
 * The stack's Prometheus scrape config: a complete config file holding one job per kind of
 * server, each exporter a target with the labels the rules select on. No secret: the exporters
 * hold the passwords, Prometheus needs none. Returns undefined when metrics are off.
 */
export function renderScrapeConfig(settings: StackSettings): string | undefined {
    const exporters = stackExporters(settings);
    if (exporters.length === 0) return undefined;
    const jobs = (["redis", "sentinel"] as const).map((kind) => ({
        job_name: jobName(settings, kind),
        scrape_interval: SCRAPE_INTERVAL,
        scrape_timeout: SCRAPE_TIMEOUT,
        metrics_path: "/metrics",
        static_configs: exporters
            .filter((e) => e.kind === kind)
            .map((e) => ({ targets: [scrapeAddress(e)], labels: { ...targetLabels(settings, e) } })),
    }));
    const header = [
        `# Prometheus scrape config of the appscreens-redis stack "${settings.stack}", generated from Pulumi.${settings.stack}.yaml.`,
        "# One redis_exporter per node and Sentinel, on its published port. Merge these jobs into your",
        "# prometheus.yml (or run Prometheus with this file) and load the stack's rules (prometheusRules).",
    ];
    return `${header.join("\n")}\n${stringify({ scrape_configs: jobs }, { lineWidth: 0 })}`;
}
