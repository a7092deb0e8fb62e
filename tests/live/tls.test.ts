// A test stack created with cluster.tls.enabled (issue 17, the servers' side): deployed once through
// the replay deployer, every server's published port must refuse plain text and serve the leaf the
// stack made for that server (chained to the stack's CA output, the one /data/tls holds), and the
// exporters must reach their servers over TLS.
import { expect } from "chai";
import { X509Certificate } from "node:crypto";
import { connect } from "node:net";
import { readPeerCertificate } from "../../ops/verify/tls-expiry";
import { TLS_CONTAINER_FILES } from "../../render/tls-conf";
import { useLiveCluster } from "../support/live/use-live-cluster";

// Ports (DEVELOPMENT.md): nodes 16430-16432, Sentinels 17430-17432, exporters 18161-18183.
const OVERRIDES = {
    cluster: {
        tls: { enabled: true },
        publish: { redisBasePort: 16430, sentinelBasePort: 17430 },
        metrics: { enabled: true, exporterBasePort: 18161 },
    },
};

/** What a server answers a plaintext PING with before it closes the connection: "" when it only closes it. */
function plaintextPing(port: number): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host: "127.0.0.1", port });
        let answer = "";
        const timer = setTimeout(() => {
            socket.destroy();
            reject(new Error(`127.0.0.1:${port} neither answered nor closed a plaintext PING within 5 s`));
        }, 5000);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d) => (answer += d.toString("latin1")));
        socket.on("error", () => undefined);
        socket.on("close", () => {
            clearTimeout(timer);
            resolve(answer);
        });
    });
}

describe("live: a stack created with cluster.tls.enabled", function () {
    this.timeout(600_000);
    const cluster = useLiveCluster(this, { overrides: OVERRIDES, logsOnFailure: true });
    const servers = () => [...cluster.nodeNames, ...cluster.sentinelNames];
    /** The outputs of a TLS stack with metrics that the other suites' outputs type leaves out. */
    const extra = () => cluster.outputs as unknown as { tlsCaCert?: string; metricsEndpoints?: Record<string, string> };

    it("deploys: the CA is an output and the post-deploy verifier passed", () => {
        expect(new X509Certificate(String(extra().tlsCaCert)).ca).to.equal(true);
        expect(cluster.verification?.ok, `verification failed: ${cluster.verification?.failed.join(", ")}`).to.equal(true);
    });

    it("refuses plain text on every server's published port", async () => {
        for (const name of servers()) {
            const answer = await plaintextPing(cluster.outputs.publishedPorts[name]);
            expect(answer, name).to.not.include("PONG");
            expect(answer, name).to.not.match(/^[-+]/);
        }
    });

    it("serves on every published port the server's own leaf, chained to the stack's CA, as /data/tls holds it", async () => {
        const ca = String(extra().tlsCaCert);
        const serials = new Set<string>();
        for (const name of servers()) {
            const seen = await readPeerCertificate({ server: name, host: "127.0.0.1", port: cluster.outputs.publishedPorts[name], ca });
            const installed = new X509Certificate(await cluster.exec(name, ["cat", TLS_CONTAINER_FILES.cert]));
            expect(seen.serialNumber, name).to.equal(installed.serialNumber);
            expect(installed.subject, name).to.include(`CN=${name}`);
            expect(installed.checkIssued(new X509Certificate(ca)), name).to.equal(true);
            serials.add(seen.serialNumber);
        }
        expect(serials.size).to.equal(servers().length);
    });

    it("has every exporter reach its server over TLS: redis_up 1", async () => {
        for (const [name, url] of Object.entries(extra().metricsEndpoints ?? {})) {
            const metrics = await (await fetch(url)).text();
            expect(metrics, name).to.match(/^redis_up 1$/m);
        }
        expect(Object.keys(extra().metricsEndpoints ?? {})).to.have.length(servers().length);
    });
});
