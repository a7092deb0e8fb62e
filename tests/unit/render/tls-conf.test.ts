import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
    renderTlsDirectives,
    stagedTlsFile,
    TLS_CONTAINER_FILES,
    tlsFullReloadArgs,
    tlsReloadArgs,
    tlsRenewalCommand,
    tlsTrustInstallCommand,
    tlsTrustLoadedCommand,
    tlsTrustPendingFile,
} from "../../../render/tls-conf";
import { CONTAINER_PATHS } from "../../../render/paths";
import { PROJECT_DIR } from "../../../settings/stack-file";

const GOLDEN_DIR = path.join(PROJECT_DIR, "tests", "golden", "tls-conf");

/** The directives as name -> value, comments left out. */
const directives = (lines: readonly string[]): Record<string, string> =>
    Object.fromEntries(
        lines
            .filter((l) => !l.startsWith("#"))
            .map((l) => {
                const [name, ...rest] = l.split(" ");
                return [name, rest.join(" ")];
            }),
    );

describe("render/tls-conf", () => {
    it("matches the golden directives of a node and a Sentinel (UPDATE_GOLDEN=1 rewrites them)", () => {
        const files: Record<string, string> = {
            "node.conf": `${renderTlsDirectives("node", 6379, "yes").join("\n")}\n`,
            "node-optional.conf": `${renderTlsDirectives("node", 6379, "optional").join("\n")}\n`,
            "sentinel.conf": `${renderTlsDirectives("sentinel", 26379, "yes").join("\n")}\n`,
        };
        if (process.env.UPDATE_GOLDEN === "1") {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            for (const [name, content] of Object.entries(files)) writeFileSync(path.join(GOLDEN_DIR, name), content);
        }
        for (const [name, content] of Object.entries(files))
            expect(content, name).to.equal(readFileSync(path.join(GOLDEN_DIR, name), "utf8"));
    });

    it("listens TLS-only on the server's own port and speaks TLS on the links it opens, on nodes and Sentinels alike", () => {
        for (const [kind, port] of [
            ["node", 6379],
            ["sentinel", 26379],
        ] as const) {
            const d = directives(renderTlsDirectives(kind, port, "yes"));
            expect(d.port, kind).to.equal("0");
            expect(d["tls-port"], kind).to.equal(String(port));
            expect(d["tls-replication"], kind).to.equal("yes");
            expect(d["tls-auth-clients"], kind).to.equal("yes");
            // Redis Cluster's bus is not used: no tls-cluster; one leaf serves both sides: no tls-client-cert-file.
            expect(d, kind).to.not.have.any.keys("tls-cluster", "tls-client-cert-file", "tls-client-key-file");
        }
    });

    it("takes tls-auth-clients from cluster.tls.authClients", () => {
        expect(directives(renderTlsDirectives("node", 6379, "optional"))["tls-auth-clients"]).to.equal("optional");
        expect(directives(renderTlsDirectives("sentinel", 26379, "optional"))["tls-auth-clients"]).to.equal("optional");
    });

    it("reads the files at fixed container paths on the data volume, or at the paths it is given", () => {
        const d = directives(renderTlsDirectives("node", 6379, "yes"));
        expect([d["tls-cert-file"], d["tls-key-file"], d["tls-ca-cert-file"]]).to.deep.equal([
            TLS_CONTAINER_FILES.cert,
            TLS_CONTAINER_FILES.key,
            TLS_CONTAINER_FILES.caCert,
        ]);
        for (const file of Object.values(TLS_CONTAINER_FILES)) expect(file.startsWith(`${CONTAINER_PATHS.dataDir}/`), file).to.equal(true);
        const moved = { caCert: "/tmp/x/ca.pem", cert: "/tmp/x/s.pem", key: "/tmp/x/s-key.pem" };
        expect(directives(renderTlsDirectives("node", 1, "yes", moved))["tls-key-file"]).to.equal("/tmp/x/s-key.pem");
        expect(tlsReloadArgs(moved)).to.deep.equal(["tls-cert-file", "/tmp/x/s.pem", "tls-key-file", "/tmp/x/s-key.pem"]);
    });

    it("refuses a port Redis would not listen on", () => {
        for (const port of [0, -1, 65536, 1.5]) expect(() => renderTlsDirectives("node", port, "yes"), String(port)).to.throw(RangeError);
    });

    it("renames a renewal's staged key, then its certificate, over the files the server reads, as the redis user's, with paths only", () => {
        const [shell, flag, script] = tlsRenewalCommand();
        expect([shell, flag]).to.deep.equal(["/bin/sh", "-c"]);
        const f = TLS_CONTAINER_FILES;
        expect(script.split(" && ")).to.deep.equal([
            `chown redis:redis ${stagedTlsFile(f.key)} ${stagedTlsFile(f.cert)}`,
            `chmod 400 ${stagedTlsFile(f.key)} ${stagedTlsFile(f.cert)}`,
            `mv -f ${f.key}.new ${f.key}`,
            `mv -f ${f.cert}.new ${f.cert}`,
        ]);
        // Staged beside the file it replaces: a rename within one directory is atomic.
        expect(path.dirname(stagedTlsFile(f.cert))).to.equal(path.dirname(f.cert));
    });

    it("installs a CA rotation's bundle marked pending before it is in place, and reloads it with the leaf in one CONFIG SET", () => {
        const f = TLS_CONTAINER_FILES;
        const [shell, flag, script] = tlsTrustInstallCommand();
        expect([shell, flag]).to.deep.equal(["/bin/sh", "-c"]);
        // The mark comes first: a step that fails after the rename still leaves the next one a reason to reload.
        expect(script.split(" && ")).to.deep.equal([
            `chown redis:redis ${f.caCert}.new`,
            `chmod 400 ${f.caCert}.new`,
            `: > ${f.caCert}.pending`,
            `mv -f ${f.caCert}.new ${f.caCert}`,
        ]);
        expect(tlsTrustPendingFile()).to.equal(`${f.caCert}.pending`);
        expect(tlsTrustLoadedCommand()).to.deep.equal(["rm", "-f", `${f.caCert}.pending`]);
        expect(tlsFullReloadArgs()).to.deep.equal([...tlsReloadArgs(), "tls-ca-cert-file", f.caCert]);
    });
});
