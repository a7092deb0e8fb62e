import { expect } from "chai";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import Redis from "ioredis";
import { clearScript, installScript, RestoreTopology, rollbackScript, STAGING_DIR, stageCheckScript } from "../../ops/backup/restore-plan";
import { REDIS_SERVER, requirePrograms } from "../support/require-program";

const RDB = path.join(__dirname, "..", "fixtures", "replica-11-keys.rdb");
// The applets the test image has (scripts/build-test-image.sh): the scripts may use nothing else.
const APPLETS = "sh chroot cat cp mv rm mkdir chmod cut sed head grep sha256sum sleep ls echo test timeout id ps kill env tail wc".split(
    " ",
);

describe("host: restore helper scripts under the test image's shell, loaded by a real redis-server", function () {
    this.timeout(60_000);
    let root: string;
    let bin: string;
    let data: string;
    const sha = createHash("sha256").update(readFileSync(RDB)).digest("hex");
    const t: RestoreTopology = {
        master: "redis-0",
        replicas: ["redis-1"],
        appendonly: true,
        appenddirname: "appendonlydir",
        appendfilename: "appendonly.aof",
        stamp: "20261125000000",
        rdbSha256: sha,
        keepPrevious: false,
    };
    /** Runs a helper script as the helper container would, with /data being a temporary directory. */
    const run = (script: string) =>
        spawnSync("/bin/busybox", ["sh", "-c", script.replace("cd /data", `cd ${data}`)], {
            env: { PATH: bin },
            encoding: "utf8",
        });

    before(function () {
        requirePrograms(this, [REDIS_SERVER, ["/bin/busybox", ["true"], "Debian's busybox-static package"]]);
        root = mkdtempSync(path.join(tmpdir(), "appscreens-restore-scripts-"));
        bin = path.join(root, "bin");
        mkdirSync(bin);
        for (const applet of APPLETS) symlinkSync("/bin/busybox", path.join(bin, applet));
        symlinkSync(
            execFileSync("sh", ["-c", "command -v redis-check-rdb"], { encoding: "utf8" }).trim(),
            path.join(bin, "redis-check-rdb"),
        );
    });

    beforeEach(() => {
        data = path.join(root, `data-${Date.now()}`);
        mkdirSync(path.join(data, "appendonlydir"), { recursive: true });
        writeFileSync(path.join(data, "dump.rdb"), "old rdb");
        writeFileSync(path.join(data, "appendonlydir", "appendonly.aof.7.base.rdb"), "old base");
        mkdirSync(path.join(data, STAGING_DIR));
        cpSync(RDB, path.join(data, STAGING_DIR, "dump.rdb"));
    });

    after(() => {
        if (root) rmSync(root, { recursive: true, force: true });
    });

    it("accepts the staged RDB and refuses one whose bytes changed", () => {
        expect(run(stageCheckScript(t)).status).to.equal(0);
        const staged = path.join(data, STAGING_DIR, "dump.rdb");
        const bytes = readFileSync(staged);
        bytes[bytes.length - 12] ^= 0xff;
        writeFileSync(staged, bytes);
        const result = run(stageCheckScript(t));
        expect(result.status).to.equal(3);
        expect(result.stdout).to.match(/differs from the backup's/);
    });

    it("installs the RDB so that redis-server with appendonly yes loads every key, keeping the old data aside", async () => {
        const result = run(installScript(t));
        expect(result.status, result.stderr).to.equal(0);
        expect(readFileSync(path.join(data, `pre-restore-${t.stamp}`, "dump.rdb"), "utf8")).to.equal("old rdb");
        expect(existsSync(path.join(data, STAGING_DIR))).to.equal(false);
        expect(readdirSync(path.join(data, "appendonlydir")).sort()).to.deep.equal([
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.manifest",
        ]);

        const port = 22450;
        const server = spawn(
            "redis-server",
            ["--port", String(port), "--bind", "127.0.0.1", "--dir", data, "--appendonly", "yes", "--save", ""],
            {
                stdio: "ignore",
            },
        );
        const client = new Redis({ host: "127.0.0.1", port, retryStrategy: (n) => (n > 50 ? null : 100) });
        client.on("error", () => undefined);
        try {
            expect(await client.dbsize()).to.equal(11);
            expect(await client.ttl("metadata:appstore:2")).to.be.greaterThan(0);
            expect(await client.ttl("screenshots:appstore:1")).to.equal(-1);
        } finally {
            client.disconnect();
            server.kill("SIGKILL");
        }
    });

    it("rolls an installed master and a cleared replica back to the data they had", () => {
        expect(run(installScript(t)).status).to.equal(0);
        expect(run(rollbackScript(t)).status).to.equal(0);
        expect(readFileSync(path.join(data, "dump.rdb"), "utf8")).to.equal("old rdb");
        expect(readdirSync(path.join(data, "appendonlydir"))).to.deep.equal(["appendonly.aof.7.base.rdb"]);
        expect(readdirSync(data).filter((f) => f.startsWith("pre-restore") || f === STAGING_DIR)).to.deep.equal([]);

        expect(run(clearScript(t)).status).to.equal(0);
        expect(existsSync(path.join(data, "dump.rdb"))).to.equal(false);
        expect(run(rollbackScript(t)).status).to.equal(0);
        expect(readFileSync(path.join(data, "dump.rdb"), "utf8")).to.equal("old rdb");
    });
});
