// A stack created with cluster.tls.enabled, rendered: the servers' initial configs and command
// lines, the container scripts and the exporters' command lines, held to golden files; and the same
// renderers without TLS, byte for byte what they were.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
    renderHandoverScript,
    renderHealthcheckScript,
    renderPromotionGuardScript,
    renderStartScript,
} from "../../../render/container-scripts";
import { bootstrapArgs, DIRECTIVES } from "../../../render/directives";
import { EXPORTER_TLS_FILES, exporterArgs, renderExporterPasswordFile } from "../../../render/exporter";
import { CONTAINER_PATHS } from "../../../render/paths";
import { stackExporters } from "../../../render/prometheus";
import { renderRedisConf } from "../../../render/redis-conf";
import { renderSentinelConf } from "../../../render/sentinel-conf";
import { redisCliTlsArgs, renderTlsDirectives, TLS_CONTAINER_FILES } from "../../../render/tls-conf";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { directiveValue, directiveValues, settingsFor } from "../../support/settings";

const GOLDEN_DIR = path.join(PROJECT_DIR, "tests", "golden", "tls-stack");
const PASSWORD = "RedisPassw0rdRedisPassw0rdRedisP";
const SENTINEL_PASSWORD = "SentinelPassw0rdSentinelPassw0rd";
const cmdline = (args: readonly string[]) => `${args.join(" ")}\n`;

describe("a stack with cluster.tls.enabled, rendered", () => {
    const settings = settingsFor({ tls: { enabled: true } });
    const plain = settingsFor();
    const node = settings.plan.nodes[1];
    const sentinel = settings.plan.sentinels[0];
    const nodeConf = renderRedisConf({ settings, node, password: PASSWORD });
    const sentinelConf = renderSentinelConf({ settings, sentinel, redisPassword: PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    const scripts = {
        "redis-start.sh": renderStartScript("redis", false, true),
        "sentinel-start.sh": renderStartScript("sentinel", false, true),
        "redis-healthcheck.sh": renderHealthcheckScript("redis", false, true),
        "sentinel-healthcheck.sh": renderHealthcheckScript("sentinel", false, true),
        "redis-handover.sh": renderHandoverScript(false, true),
        "redis-promotion-guard.sh": renderPromotionGuardScript(false, true),
        "users-redis-healthcheck.sh": renderHealthcheckScript("redis", true, true),
        "users-redis-handover.sh": renderHandoverScript(true, true),
    };
    const [nodeExporter] = stackExporters(settings);
    const exporterTls = {
        caCert: EXPORTER_TLS_FILES.caCert,
        clientCert: EXPORTER_TLS_FILES.clientCert,
        clientKey: EXPORTER_TLS_FILES.clientKey,
    };

    it("matches the golden files (UPDATE_GOLDEN=1 rewrites them)", () => {
        const files: Record<string, string> = {
            [`${node.name}.conf`]: nodeConf,
            [`${sentinel.name}.conf`]: sentinelConf,
            [`${node.name}.cmdline`]: cmdline(bootstrapArgs(DIRECTIVES.redis, settings, node)),
            [`${sentinel.name}.cmdline`]: cmdline(bootstrapArgs(DIRECTIVES.sentinel, settings, sentinel)),
            "redis-0-exporter.cmdline": cmdline(exporterArgs(nodeExporter, undefined, undefined, { tls: exporterTls })),
            ...scripts,
        };
        if (process.env.UPDATE_GOLDEN === "1") {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            for (const [name, content] of Object.entries(files)) writeFileSync(path.join(GOLDEN_DIR, name), content);
        }
        for (const [name, content] of Object.entries(files))
            expect(content, name).to.equal(readFileSync(path.join(GOLDEN_DIR, name), "utf8"));
    });

    it("listens TLS-only: the configs hold port 0 and tls-port, and the command lines no --port that would override them", () => {
        expect(directiveValue(nodeConf, "port")).to.equal("0");
        expect(directiveValue(nodeConf, "tls-port")).to.equal("6379");
        expect(directiveValue(sentinelConf, "port")).to.equal("0");
        expect(directiveValue(sentinelConf, "tls-port")).to.equal("26379");
        for (const [kind, server] of [
            ["redis", node],
            ["sentinel", sentinel],
        ] as const) {
            const args = bootstrapArgs(DIRECTIVES[kind], settings, server);
            expect(args, kind).to.not.include("--port");
            // Everything else of the command line is what a stack without TLS has.
            const plainArgs = bootstrapArgs(DIRECTIVES[kind], plain, server);
            expect(plainArgs.slice(0, 2), kind).to.deep.equal(["--port", String(server.port)]);
            expect(args, kind).to.deep.equal(plainArgs.slice(2));
        }
    });

    it("carries every TLS directive once, in the one rendering of render/tls-conf.ts, with the paths of render/paths.ts", () => {
        for (const [conf, kind, port] of [
            [nodeConf, "node", 6379],
            [sentinelConf, "sentinel", 26379],
        ] as const) {
            const lines = renderTlsDirectives(kind, port, "yes");
            expect(conf, kind).to.include(lines.join("\n"));
            for (const name of [
                "port",
                "tls-port",
                "tls-cert-file",
                "tls-key-file",
                "tls-ca-cert-file",
                "tls-auth-clients",
                "tls-replication",
            ])
                expect(directiveValues(conf, name), `${kind} ${name}`).to.have.length(1);
            expect(directiveValue(conf, "tls-replication"), kind).to.equal("yes");
            expect(directiveValue(conf, "tls-auth-clients"), kind).to.equal("yes");
            expect(directiveValue(conf, "tls-cert-file"), kind).to.equal(CONTAINER_PATHS.tlsCert);
            expect(directiveValue(conf, "tls-key-file"), kind).to.equal(CONTAINER_PATHS.tlsKey);
            expect(directiveValue(conf, "tls-ca-cert-file"), kind).to.equal(CONTAINER_PATHS.tlsCaCert);
        }
        const optional = settingsFor({ tls: { enabled: true, authClients: "optional" } });
        expect(directiveValue(renderRedisConf({ settings: optional, node, password: PASSWORD }), "tls-auth-clients")).to.equal("optional");
    });

    it("makes every redis-cli of every script speak TLS with the server's own files", () => {
        const tlsCli = `redis-cli --no-auth-warning ${redisCliTlsArgs().join(" ")}`;
        for (const [name, script] of Object.entries(scripts)) {
            const calls = script.split("redis-cli").length - 1;
            expect(calls, name).to.be.greaterThan(0);
            expect(script.split(tlsCli).length - 1, name).to.equal(calls);
        }
        expect(redisCliTlsArgs()).to.deep.equal([
            "--tls",
            "--cacert",
            TLS_CONTAINER_FILES.caCert,
            "--cert",
            TLS_CONTAINER_FILES.cert,
            "--key",
            TLS_CONTAINER_FILES.key,
        ]);
    });

    it("installs the files into /data/tls from the uploads only while the volume lacks one, before any redis-cli", () => {
        for (const kind of ["redis", "sentinel"] as const) {
            const script = renderStartScript(kind, false, true);
            const guard = `if [ ! -s ${CONTAINER_PATHS.tlsCaCert} ] || [ ! -s ${CONTAINER_PATHS.tlsCert} ] || [ ! -s ${CONTAINER_PATHS.tlsKey} ]; then`;
            expect(script, kind).to.include(guard);
            for (const [from, to] of [
                [CONTAINER_PATHS.tlsCaUpload, CONTAINER_PATHS.tlsCaCert],
                [CONTAINER_PATHS.tlsCertUpload, CONTAINER_PATHS.tlsCert],
                [CONTAINER_PATHS.tlsKeyUpload, CONTAINER_PATHS.tlsKey],
            ])
                expect(script, kind).to.include(`cp ${from} ${to}.new`);
            expect(script, kind).to.include(`chown -R redis:redis ${CONTAINER_PATHS.tlsDir}`);
            // The ask functions are defined before; the first call of one comes after the install.
            const firstCall = Math.min(...['sentinels_master "$', "INFO replication"].map((c) => script.indexOf(c)).filter((i) => i >= 0));
            expect(script.indexOf(guard), kind).to.be.lessThan(firstCall);
        }
    });

    it("renders scripts that parse in dash and busybox", function () {
        const shells = [
            ["/bin/dash", "-n"],
            ["/bin/busybox", "sh", "-n"],
        ].filter(([shell]) => existsSync(shell));
        if (shells.length === 0) this.skip();
        for (const script of Object.values(scripts))
            for (const [shell, ...args] of shells) execFileSync(shell, [...args], { input: script, stdio: ["pipe", "ignore", "pipe"] });
    });

    it("points the exporter at rediss:// with the CA and its client certificate, its password file keyed the same", () => {
        const args = exporterArgs(nodeExporter, undefined, undefined, { tls: exporterTls });
        expect(args[0]).to.equal(`--redis.addr=rediss://${settings.plan.nodes[0].address}:6379`);
        expect(args).to.include.members([
            `--tls-ca-cert-file=${EXPORTER_TLS_FILES.caCert}`,
            `--tls-client-cert-file=${EXPORTER_TLS_FILES.clientCert}`,
            `--tls-client-key-file=${EXPORTER_TLS_FILES.clientKey}`,
        ]);
        const file = JSON.parse(renderExporterPasswordFile(nodeExporter, PASSWORD, true)) as Record<string, string>;
        expect(Object.keys(file)).to.deep.equal([args[0].replace("--redis.addr=", "")]);
        // With authClients optional no client certificate is made: the CA alone.
        const caOnly = exporterArgs(nodeExporter, undefined, undefined, { tls: { caCert: EXPORTER_TLS_FILES.caCert } });
        expect(caOnly.filter((a) => a.startsWith("--tls-"))).to.deep.equal([`--tls-ca-cert-file=${EXPORTER_TLS_FILES.caCert}`]);
    });

    it("renders exactly what it always did without TLS: no TLS line in a config, script, command line or exporter", () => {
        const conf = renderRedisConf({ settings: plain, node, password: PASSWORD });
        expect(conf).to.not.match(/tls/);
        expect(
            renderSentinelConf({ settings: plain, sentinel, redisPassword: PASSWORD, sentinelPassword: SENTINEL_PASSWORD }),
        ).to.not.match(/tls/);
        expect(renderStartScript("redis")).to.equal(renderStartScript("redis", false, false));
        for (const script of [
            renderStartScript("redis"),
            renderStartScript("sentinel"),
            renderHealthcheckScript("redis"),
            renderHandoverScript(),
        ])
            expect(script).to.not.match(/tls/i);
        expect(exporterArgs(stackExporters(plain)[0]).join(" ")).to.not.match(/tls|rediss/);
        // The golden files of the plain stack (tests/golden/dev) hold the rest byte for byte.
        const dev = (name: string) => readFileSync(path.join(PROJECT_DIR, "tests", "golden", "dev", name), "utf8");
        expect(renderStartScript("redis")).to.equal(dev("redis-start.sh"));
        expect(renderHealthcheckScript("sentinel")).to.equal(dev("sentinel-healthcheck.sh"));
    });
});
