import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
    renderClusterEnv,
    renderHandoverScript,
    renderHealthcheckScript,
    renderPromotionGuardScript,
    renderRedisStartScript,
    renderScriptEnv,
    renderSentinelStartScript,
} from "../../../render/container-scripts";
import { MASTER_PLACEHOLDER, renderSentinelConf } from "../../../render/sentinel-conf";
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

    it("have a restarted master wait for a failover only while a majority of the declared Sentinels answer", function () {
        if (!existsSync("/bin/dash")) this.skip();
        const start = scripts["redis start"];
        const majority = start.indexOf('if ! sentinels_majority "$SENTINELS"; then');
        expect(majority, "asked once the Sentinels see the master down").to.be.greaterThan(
            start.indexOf('master_seen_down "$SENTINELS"; then'),
        );
        expect(majority, "and before any wait").to.be.lessThan(start.indexOf("waiting up to ${FAILOVER_WAIT_SECONDS}s for their failover"));
        // The rendered functions, run with a redis-cli that answers PONG only on the ports listed in UP.
        const functions = start.slice(start.indexOf("ask_all() {"), start.indexOf("promotable_replicas() {"));
        const bin = mkdtempSync(path.join(tmpdir(), "appscreens-majority-"));
        writeFileSync(
            path.join(bin, "redis-cli"),
            '#!/bin/sh\nport=\nwhile [ $# -gt 0 ]; do [ "$1" = -p ] && port=$2; shift; done\ncase " $UP " in *" $port "*) echo PONG;; *) exit 1;; esac\n',
            { mode: 0o755 },
        );
        const answers = (up: number[], sentinels: number) =>
            execFileSync("/bin/dash", ["-c", `set -eu\n${functions}\nif sentinels_majority "$S"; then echo yes; else echo no; fi`], {
                env: {
                    PATH: `${bin}:/usr/bin:/bin`,
                    UP: up.join(" "),
                    S: Array.from({ length: sentinels }, (_, i) => `10.0.0.${i + 1}:${26379 + i}`).join(" "),
                    SENTINEL_PASSWORD: "x",
                },
            })
                .toString()
                .trim();
        try {
            expect(answers([26379, 26380, 26381], 3)).to.equal("yes");
            expect(answers([26379, 26380], 3), "two of three").to.equal("yes");
            expect(answers([26379], 3), "one of three: the two-Sentinels-stopped fault").to.equal("no");
            expect(answers([], 3)).to.equal("no");
            expect(answers([26379, 26380], 4), "two of four is no majority").to.equal("no");
            expect(answers([26379, 26380, 26381], 5)).to.equal("yes");
        } finally {
            rmSync(bin, { recursive: true, force: true });
        }
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
        expect(node).to.include("SENTINELS='172.28.0.40:26379 172.28.0.41:26379 172.28.0.42:26379 172.28.0.43:26379 172.28.0.44:26379'");
        expect(node).to.include("NODES='172.28.0.10:6379 172.28.0.11:6379 172.28.0.12:6379'");
        expect(node).to.include(`SENTINEL_PASSWORD='${"S".repeat(20)}'`);
        expect(node).to.not.include("R".repeat(20));
        const sentinel = renderClusterEnv({ settings, kind: "sentinel", redisPassword: "R".repeat(20), sentinelPassword: "S".repeat(20) });
        expect(sentinel).to.include(`REDIS_PASSWORD='${"R".repeat(20)}'`);
        expect(() => renderClusterEnv({ settings, kind: "redis", redisPassword: "x", sentinelPassword: "it's" })).to.throw(/refusing/);
        // dash can source it and sees the values as written.
        if (existsSync("/bin/dash")) {
            const out = execFileSync("/bin/dash", ["-c", 'eval "$0"; echo "$MASTER_NAME|$SENTINELS"', node]).toString().trim();
            expect(out).to.equal("mymaster|172.28.0.40:26379 172.28.0.41:26379 172.28.0.42:26379 172.28.0.43:26379 172.28.0.44:26379");
        }
    });

    it("give every server its own announced address:port and the initial master's as script environment", () => {
        const settings = settingsFor({});
        expect(renderScriptEnv(settings, settings.plan.sentinels[1])).to.deep.equal([
            "APPSCREENS_SELF=172.28.0.41:26379",
            "APPSCREENS_INITIAL_MASTER=172.28.0.10:6379",
        ]);
    });

    it("across hosts, name servers of one kind on one host by their host's address and their own published ports", () => {
        const settings = settingsFor({
            replicas: 3,
            hosts: [
                { name: "host-a", docker: "unix:///run/host-a/docker.sock", address: "10.77.0.11" },
                { name: "host-b", docker: "unix:///run/host-b/docker.sock", address: "10.77.0.12" },
                { name: "host-c", docker: "unix:///run/host-c/docker.sock", address: "10.77.0.13" },
            ],
        });
        // Round-robin: redis-3 shares host-a with redis-0, on the next published port.
        const env = renderClusterEnv({ settings, kind: "redis", redisPassword: "R".repeat(20), sentinelPassword: "S".repeat(20) });
        expect(env).to.include("NODES='10.77.0.11:6379 10.77.0.12:6380 10.77.0.13:6381 10.77.0.11:6382'");
        expect(env).to.include("SENTINELS='10.77.0.11:26379 10.77.0.12:26380 10.77.0.13:26381'");
        expect(renderScriptEnv(settings, settings.plan.nodes[3])).to.deep.equal([
            "APPSCREENS_SELF=10.77.0.11:6382",
            "APPSCREENS_INITIAL_MASTER=10.77.0.11:6379",
        ]);
        // The Sentinel's initial monitor line defaults to the initial master's announced port; the
        // start script replaces the placeholder and that port with the master it finds.
        const moved = settingsFor({ ...settings.cluster, publish: { redisBasePort: 16379 } });
        const conf = renderSentinelConf({
            settings: moved,
            sentinel: moved.plan.sentinels[0],
            redisPassword: "R".repeat(20),
            sentinelPassword: "S".repeat(20),
        });
        expect(conf).to.include(`sentinel monitor mymaster ${MASTER_PLACEHOLDER} 16379 2\n`);
        expect(renderSentinelStartScript()).to.include(`sed "s/${MASTER_PLACEHOLDER} [0-9][0-9]*/\${master%:*} \${master##*:}/"`);
    });

    it("compare servers as address:port pairs, never by address or a fixed port", () => {
        for (const [name, script] of Object.entries(scripts)) {
            if (name.includes("healthcheck")) continue;
            // Remote servers are reached by the pair's halves; only the container's own server by its container port.
            expect(script, name).to.not.match(/-h "\$[a-z]+" -p/);
            expect(script.replace(/with_port "\$(SENTINELS|NODES)" [0-9]+/g, "").replace(/-p 6379 "\$@"/g, ""), name).to.not.match(
                /\b(6379|26379)\b/,
            );
        }
        expect(scripts["redis start"]).to.include('echo "replicaof ${master%:*} ${master##*:}"');
        expect(scripts["sentinel start"]).to.include('grep -vxF "$self"');
    });

    it("read a cluster snapshot written before the pairs (bare addresses) as the single-host pairs it meant", function () {
        if (!existsSync("/bin/dash")) this.skip();
        const prelude = renderRedisStartScript().split("\n").slice(3, 6).join("\n");
        const legacy = "SENTINELS='172.28.0.40 172.28.0.41'; NODES='172.28.0.10 172.28.0.11:6379'";
        const out = execFileSync("/bin/dash", ["-c", `${legacy}\n${prelude}\necho "$SENTINELS|$NODES"`])
            .toString()
            .trim();
        expect(out).to.equal("172.28.0.40:26379 172.28.0.41:26379 |172.28.0.10:6379 172.28.0.11:6379");
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
        const replica = (ip: string, priority: number, port = 6379) =>
            `name ${ip}:${port} ip ${ip} port ${port} runid x flags slave link-pending-commands 0 slave-priority ${priority} slave-repl-offset 10`;
        const run = (lines: string[], self = "172.28.0.11:6379") =>
            execFileSync("/bin/busybox", ["sh", "-c", `self=${self}; want=100; printf '%s\\n' "$@" | awk ${awk!}`, "sh", ...lines])
                .toString()
                .trim();
        expect(run([`${replica("172.28.0.12", 100)} ${replica("172.28.0.11", 100)}`, replica("172.28.0.11", 100)])).to.equal("yes");
        expect(run([`${replica("172.28.0.12", 100)} ${replica("172.28.0.11", 0)}`, replica("172.28.0.11", 100)])).to.equal("no");
        expect(run([replica("172.28.0.12", 100)])).to.equal("no");
        expect(run([])).to.equal("no");
        // Across hosts two replicas share their host's address: only the one with self's port counts.
        const shared = (mine: number, other: number) => `${replica("10.77.0.2", other, 16380)} ${replica("10.77.0.2", mine, 16379)}`;
        expect(run([shared(100, 0)], "10.77.0.2:16379")).to.equal("yes");
        expect(run([shared(0, 100)], "10.77.0.2:16379")).to.equal("no");
    });
});
