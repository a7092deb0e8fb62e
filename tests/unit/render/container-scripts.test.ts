import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
    renderClusterEnv,
    renderHandoverScript,
    renderHealthcheckScript,
    renderRedisStartScript,
    renderSentinelStartScript,
} from "../../../render/container-scripts";
import { settingsFor } from "../../support/settings";

/** The shells the scripts meet: dash (/bin/sh of the official Debian-based image) and busybox (the test image). */
const SHELLS = [
    ["/bin/dash", "-n"],
    ["/bin/busybox", "sh", "-n"],
].filter(([shell]) => existsSync(shell));

describe("container scripts", () => {
    const scripts = {
        "redis start": renderRedisStartScript(),
        "sentinel start": renderSentinelStartScript(),
        handover: renderHandoverScript(),
        "redis healthcheck": renderHealthcheckScript("redis"),
        "sentinel healthcheck": renderHealthcheckScript("sentinel"),
    };

    it("parse in every shell the images have", function () {
        if (SHELLS.length === 0) this.skip();
        for (const [name, script] of Object.entries(scripts)) {
            for (const [shell, ...args] of SHELLS) execFileSync(shell, [...args], { input: script, stdio: ["pipe", "ignore", "pipe"] });
            expect(script.startsWith("#!/bin/sh\n"), name).to.equal(true);
        }
    });

    it("never put a password on a command line: redis-cli reads it from REDISCLI_AUTH", () => {
        for (const [name, script] of Object.entries(scripts)) {
            expect(script, name).to.not.match(/redis-cli[^\n]*\s-a\s/);
            expect(script, name).to.not.match(/AUTH "\$/);
        }
    });

    it("decide a node's role from the Sentinels first, its persisted config next, node 0 only on a first boot", () => {
        const start = scripts["redis start"];
        const sentinels = start.indexOf('master=$(sentinels_master "$SENTINELS")');
        const declared = start.indexOf('master="$APPSCREENS_INITIAL_MASTER"');
        expect(sentinels).to.be.greaterThan(0);
        expect(declared).to.be.greaterThan(sentinels);
        expect(start).to.include('elif [ "$fresh" = yes ]; then');
        expect(start).to.include("refusing to start an empty master over live replicas");
        expect(start).to.include("trap on_term TERM INT");
    });

    it("hand the master role over only after every replica has every write", () => {
        const h = scripts.handover;
        expect(h.indexOf("CLIENT PAUSE")).to.be.lessThan(h.indexOf("master_repl_offset"));
        expect(h.indexOf("master_repl_offset")).to.be.lessThan(h.indexOf("SENTINEL FAILOVER"));
        // No hand-over while a replica is behind: the Sentinels could promote that one.
        expect(h.indexOf("not handing over: a replica is behind or gone")).to.be.within(
            h.indexOf("master_repl_offset"),
            h.indexOf("SENTINEL FAILOVER"),
        );
    });

    it("snapshot the cluster for the scripts, shell-quoted, with the Redis password only where a Sentinel needs it", () => {
        const settings = settingsFor({ sentinels: 5, sentinel: { quorum: 3 } });
        const node = renderClusterEnv({ settings, kind: "redis", redisPassword: "R".repeat(20), sentinelPassword: "S".repeat(20) });
        expect(node).to.include("SENTINELS='172.28.0.40 172.28.0.41 172.28.0.42 172.28.0.43 172.28.0.44'");
        expect(node).to.include(`SENTINEL_PASSWORD='${"S".repeat(20)}'`);
        expect(node).to.not.include("R".repeat(20));
        const sentinel = renderClusterEnv({ settings, kind: "sentinel", redisPassword: "R".repeat(20), sentinelPassword: "S".repeat(20) });
        expect(sentinel).to.include(`REDIS_PASSWORD='${"R".repeat(20)}'`);
        expect(() => renderClusterEnv({ settings, kind: "redis", redisPassword: "x", sentinelPassword: "it's" })).to.throw(/refusing/);
        // dash can source it and sees the values as written.
        if (existsSync("/bin/dash")) {
            const out = execFileSync("/bin/dash", ["-c", 'eval "$0"; echo "$MASTER_NAME|$SENTINELS"', node]).toString().trim();
            expect(out).to.equal("mymaster|172.28.0.40 172.28.0.41 172.28.0.42 172.28.0.43 172.28.0.44");
        }
    });
});
