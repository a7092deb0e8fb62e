// A stack created with cluster.users.enabled, rendered: the servers' configs, the container
// scripts and environment, the exporters' command lines, and the checks that refuse bad config.
import { expect } from "chai";
import { ACL_USER_NAMES, AclPasswords, CLIENT_USERS, linkUsers, NODE_ROLES, SENTINEL_ROLES } from "../../../render/acl-users";
import { renderRedisConf } from "../../../render/redis-conf";
import { renderSentinelConf } from "../../../render/sentinel-conf";
import {
    renderClusterEnv,
    renderHandoverScript,
    renderHealthcheckScript,
    renderPromotionGuardScript,
    renderStartScript,
} from "../../../render/container-scripts";
import { exporterArgs } from "../../../render/exporter";
import { stackExporters } from "../../../render/prometheus";
import { usersProblems, validateStackConfig } from "../../../settings/validate";
import { parseUsersEnvironment, usersCredentials, usersEnvironment, UsersEnvError } from "../../../contracts/users-env";
import { USERS_ENV } from "../../../contracts/env";
import { parseSettingsEnvironment, settingsEnvironment } from "../../../contracts/settings-env";
import { DIRECTIVES, runtimeValues } from "../../../render/directives";
import { judgeDataVolumes, usersCheckRefusal } from "../../../ops/cluster/kept-volumes";
import { directiveValue, directiveValues, settingsFor } from "../../support/settings";

/** A distinct password per user: letters and digits, as generated. */
const PASSWORDS = Object.fromEntries(ACL_USER_NAMES.map((u, i) => [u, `Pw${i}x${u.replace(/-/g, "")}`.padEnd(32, "Q")])) as AclPasswords;
const users = { passwords: PASSWORDS, options: {} };

/** Which passwords appear in clear in `text`. */
const plaintext = (text: string) => ACL_USER_NAMES.filter((u) => text.includes(PASSWORDS[u]));

describe("a stack with cluster.users.enabled, rendered", () => {
    const settings = settingsFor({ users: { enabled: true } });
    const node = renderRedisConf({ settings, node: settings.plan.nodes[1], password: "", users });
    const sentinel = renderSentinelConf({ settings, sentinel: settings.plan.sentinels[0], redisPassword: "", sentinelPassword: "", users });

    it("renders the users inline, default off, and no requirepass", () => {
        for (const conf of [node, sentinel]) {
            expect(directiveValues(conf, "user")[0]).to.match(/^default off /);
            expect(directiveValues(conf, "requirepass")).to.deep.equal([]);
        }
        expect(directiveValues(node, "user").map((l) => l.split(" ")[0])).to.deep.equal(["default", ...Object.keys(NODE_ROLES)]);
        expect(directiveValues(sentinel, "user").map((l) => l.split(" ")[0])).to.deep.equal(["default", ...Object.keys(SENTINEL_ROLES)]);
    });

    it("holds no plaintext password except masterauth, auth-pass and sentinel-pass, each the user its link names", () => {
        const { masteruser, authUser, sentinelUser } = linkUsers();
        expect(plaintext(node)).to.deep.equal([masteruser]);
        expect(directiveValue(node, "masterauth")).to.equal(`"${PASSWORDS[masteruser]}"`);
        expect(plaintext(sentinel).sort()).to.deep.equal([authUser, sentinelUser].sort());
        const name = settings.cluster.sentinel.masterName;
        expect(directiveValue(sentinel, "sentinel auth-pass")).to.equal(`${name} "${PASSWORDS[authUser]}"`);
        expect(directiveValue(sentinel, "sentinel sentinel-pass")).to.equal(`"${PASSWORDS[sentinelUser]}"`);
    });

    it("names, in every link directive, a user the server it logs in to has", () => {
        const usersOf = (conf: string) => directiveValues(conf, "user").map((l) => l.split(" ")[0]);
        const name = settings.cluster.sentinel.masterName;
        expect(usersOf(node)).to.include(directiveValue(node, "masteruser"));
        expect(usersOf(node)).to.include(directiveValue(sentinel, "sentinel auth-user")?.replace(`${name} `, ""));
        expect(usersOf(sentinel)).to.include(directiveValue(sentinel, "sentinel sentinel-user"));
        // Sentinel reads auth-user only for a master it already monitors.
        const lines = sentinel.split("\n");
        expect(lines.findIndex((l) => l.startsWith("sentinel auth-user"))).to.be.greaterThan(
            lines.findIndex((l) => l.startsWith("sentinel monitor")),
        );
    });

    it("renders the app read-write only with appWrites", () => {
        const rw = renderRedisConf({
            settings,
            node: settings.plan.nodes[0],
            password: "",
            users: { passwords: PASSWORDS, options: { appWrites: true } },
        });
        expect(directiveValues(node, "user").find((l) => l.startsWith("app ")))
            .to.include("%R~")
            .and.not.include("+@write");
        expect(directiveValues(rw, "user").find((l) => l.startsWith("app "))).to.include("+@write");
    });

    it("leaves the configs of a stack without users exactly as before", () => {
        const off = settingsFor();
        const conf = renderRedisConf({ settings: off, node: off.plan.nodes[0], password: "Zq8mN2vR5tY7uI9oP1aS" });
        expect(directiveValues(conf, "user")).to.deep.equal([]);
        expect(directiveValue(conf, "requirepass")).to.equal('"Zq8mN2vR5tY7uI9oP1aS"');
    });
});

describe("the container scripts of a users stack", () => {
    const settings = settingsFor({ users: { enabled: true } });
    const scripts = {
        "redis start": renderStartScript("redis", true),
        "sentinel start": renderStartScript("sentinel", true),
        "redis health": renderHealthcheckScript("redis", true),
        "sentinel health": renderHealthcheckScript("sentinel", true),
        handover: renderHandoverScript(true),
        "promotion guard": renderPromotionGuardScript(true),
    };

    it("log in as the tools' user on every redis-cli, the password only through REDISCLI_AUTH", () => {
        for (const [name, script] of Object.entries(scripts)) {
            const calls = script.split("\n").filter((l) => l.includes("redis-cli"));
            expect(calls.length, name).to.be.greaterThan(0);
            for (const line of calls) {
                expect(line, name).to.include('redis-cli --no-auth-warning --user "$AUTH_USER"');
                expect(line, name).to.match(/REDISCLI_AUTH="\$/);
                expect(line, name).to.not.match(/ -a /);
            }
        }
    });

    it("never read masterauth (the replication user's) as their own password", () => {
        for (const [name, script] of Object.entries(scripts)) expect(script, name).to.not.match(/masterauth|sentinel-pass/);
    });

    it("take the tools' user and password from the cluster snapshot, for nodes too", () => {
        const env = renderClusterEnv({
            settings,
            kind: "redis",
            redisPassword: PASSWORDS.admin,
            sentinelPassword: PASSWORDS.admin,
            toolsUser: CLIENT_USERS.tools,
        });
        expect(env).to.include(`AUTH_USER='${CLIENT_USERS.tools}'`);
        expect(env).to.include(`REDIS_PASSWORD='${PASSWORDS.admin}'`);
        expect(plaintext(env)).to.deep.equal(["admin"]);
    });

    it("are unchanged for a stack without users", () => {
        for (const script of [renderStartScript("redis"), renderHealthcheckScript("redis"), renderHandoverScript()])
            expect(script).to.not.include("--user");
    });
});

describe("the exporters of a users stack", () => {
    it("log in as exporter with CONFIG GET off; a stack without users keeps its command line", () => {
        const [exporter] = stackExporters(settingsFor({ users: { enabled: true } }));
        const args = exporterArgs(exporter, undefined, undefined, { user: CLIENT_USERS.exporter });
        expect(args).to.include("--redis.user=exporter").and.include("--config-command=-");
        expect(args.join(" ")).to.not.include(PASSWORDS.exporter);
        expect(exporterArgs(exporter).join(" ")).to.not.include("--redis.user");
    });
});

describe("cluster.users validation", () => {
    it("refuses the default user's password keys with users on, naming the key and the fix", () => {
        const problems = usersProblems(settingsFor({ users: { enabled: true } }).cluster, ["redisPassword", "hostTls"]);
        expect(problems).to.have.length(1);
        expect(problems[0]).to.match(/appscreens-redis:redisPassword: unused with cluster.users.enabled.*pulumi config rm/);
    });

    it("refuses appWrites without users", () => {
        expect(() => validateStackConfig({ stack: "dev", keys: [], cluster: { users: { appWrites: true } }, secrets: {} })).to.throw(
            /cluster.users.appWrites: needs cluster.users.enabled/,
        );
    });
});

describe("the logins' contract (contracts/users-env.ts)", () => {
    it("carries the tools' and the warmer's logins and reads them back checked", () => {
        const creds = usersCredentials(PASSWORDS, true);
        expect(creds.tools.user).to.equal("admin");
        expect(creds.warmer?.nodes.user).to.equal("warmer");
        expect(creds.warmer?.sentinels.user).to.equal("discovery");
        expect(parseUsersEnvironment(usersEnvironment(creds))).to.deep.equal(creds);
        expect(parseUsersEnvironment({})).to.equal(undefined);
    });

    it("gives a settings step the tools' login as the password it logs in with", () => {
        const settings = settingsFor({ users: { enabled: true } });
        const target = {
            kind: "sentinel" as const,
            name: "sentinel-0",
            stack: "dev",
            host: "127.0.0.1",
            port: 26379,
            masterName: "mymaster",
        };
        const env = {
            ...settingsEnvironment(target, runtimeValues(DIRECTIVES.sentinel, settings, settings.plan.sentinels[0]), 60),
            ...usersEnvironment(usersCredentials(PASSWORDS, false)),
        };
        const request = parseSettingsEnvironment(env);
        expect(request.users).to.deep.equal({ user: "admin", password: PASSWORDS.admin });
        expect(request.passwords).to.deep.include({ redis: PASSWORDS.admin, sentinel: PASSWORDS.admin });
    });

    it("refuses a malformed value without echoing it", () => {
        const bad = { [USERS_ENV]: JSON.stringify({ tools: { user: "root", password: "has space in it long enough" } }) };
        expect(() => parseUsersEnvironment(bad))
            .to.throw(UsersEnvError)
            .with.property("message")
            .that.does.not.include("space");
        expect(() => parseUsersEnvironment({ [USERS_ENV]: "{" })).to.throw(/not JSON/);
    });
});

describe("the users check (turning users on for a deployed stack)", () => {
    const request = {
        volumes: [{ server: "redis-0", kind: "redis" as const, name: "v0" }],
        generated: { redis: true, sentinel: true },
        previous: { redis: false, sentinel: false },
    };
    it("passes a stack with no volume yet", () => {
        expect(usersCheckRefusal("dev", judgeDataVolumes(request, []))).to.equal(undefined);
    });
    it("refuses volumes in use or kept, naming cluster.users.enabled and the docs", () => {
        for (const usedBy of [["c1"], []]) {
            const refusal = usersCheckRefusal("dev", judgeDataVolumes(request, [{ name: "v0", usedBy, createdAt: "x" } as never]));
            expect(refusal?.kind).to.equal("users-on-existing-stack");
            expect(refusal?.message).to.match(/cluster.users.enabled.*v0.*docs\/security.md/);
        }
    });
});
