import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import {
    renderClusterEnv,
    renderHandoverScript,
    renderHealthcheckScript,
    renderPromotionGuardScript,
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
        "promotion guard": renderPromotionGuardScript(),
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

    it("have a restarted master the Sentinels already see down wait for their failover while they can promote a replica", () => {
        const start = scripts["redis start"];
        const check = start.indexOf('master_seen_down "$SENTINELS"; then');
        expect(check, "the check runs on the Sentinels' answer").to.be.greaterThan(
            start.indexOf('master=$(sentinels_master "$SENTINELS")'),
        );
        expect(check, "and before the role is decided").to.be.lessThan(start.indexOf('source="the Sentinels"'));
        expect(start).to.match(
            /while \[ "\$waited" -lt "\$FAILOVER_WAIT_SECONDS" \] && \[ "\$master" = "\$self" \] && \[ "\$\(promotable_replicas "\$SENTINELS"\)" -gt 0 \]/,
        );
        expect(start).to.match(/flags \[\^ \]\*\(s_down\|o_down\|failover_in_progress\)/);
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

    it("hold a restarted replica unpromotable until it is in sync and the Sentinels have seen it, and unhealthy meanwhile", () => {
        const start = scripts["redis start"];
        const guard = scripts["promotion guard"];
        // Only a replica is held, and only when its wanted priority is not 0 already.
        expect(start).to.match(/if grep -qE '\^\(replicaof\|slaveof\) ' "\$live" && \[ "\$want" -gt 0 \]; then/);
        expect(start).to.include('redis-server "$live" --replica-priority 0 "$@" &');
        expect(start).to.include('sh /usr/local/etc/appscreens-promotion-guard.sh "$child" "$want" &');
        // The wanted priority survives a restart in the guard file, not in the config a rewrite may have zeroed.
        expect(start.indexOf('want=$(cat "$guard")')).to.be.lessThan(start.indexOf("--replica-priority 0"));
        expect(guard.indexOf("master_link_status:up")).to.be.lessThan(guard.indexOf("CONFIG SET replica-priority"));
        expect(guard.indexOf("CONFIG REWRITE")).to.be.lessThan(guard.indexOf("SENTINEL replicas"));
        expect(guard.indexOf("SENTINEL replicas")).to.be.lessThan(guard.indexOf("rm -f /data/appscreens-promotion-guard"));
        expect(scripts["redis healthcheck"]).to.include("[ ! -f /data/appscreens-promotion-guard ]");
    });

    it("read whether every answering Sentinel sees the replica's priority, from SENTINEL replicas as redis-cli --raw prints it", function () {
        if (!existsSync("/bin/busybox")) this.skip();
        const guard = scripts["promotion guard"];
        const awk = /\| awk (-v self="\$self" -v want="\$want" '[^']*')/.exec(guard)?.[1];
        expect(awk, "the guard's awk program").to.be.a("string");
        const replica = (ip: string, priority: number) =>
            `name ${ip}:6379 ip ${ip} port 6379 runid x flags slave link-pending-commands 0 slave-priority ${priority} slave-repl-offset 10`;
        const run = (lines: string[]) =>
            execFileSync("/bin/busybox", ["sh", "-c", `self=172.28.0.11; want=100; printf '%s\\n' "$@" | awk ${awk!}`, "sh", ...lines])
                .toString()
                .trim();
        expect(run([`${replica("172.28.0.12", 100)} ${replica("172.28.0.11", 100)}`, replica("172.28.0.11", 100)])).to.equal("yes");
        expect(run([`${replica("172.28.0.12", 100)} ${replica("172.28.0.11", 0)}`, replica("172.28.0.11", 100)])).to.equal("no");
        expect(run([replica("172.28.0.12", 100)])).to.equal("no");
        expect(run([])).to.equal("no");
    });
});
