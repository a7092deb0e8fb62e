import { expect } from "chai";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import {
    AclPasswords,
    AclUsersError,
    DEFAULT_USER_LINE,
    linkUsers,
    NODE_ROLES,
    passwordHash,
    renderAclUsers,
    renderNodeLinks,
    renderSentinelLinks,
    renderUserLine,
    rolesFor,
    SENTINEL_ROLES,
} from "../../../render/acl-users";
import { SET_BATCH_LUA } from "../../../ops/warm/writer";
import { WARMER_BARRIER_CHANNEL } from "../../../settings/cache-keys";
import { screenshotsKey, metadataKey } from "../../../ops/warm/keys";
import { PROJECT_DIR } from "../../../settings/stack-file";

const GOLDEN_DIR = path.join(PROJECT_DIR, "tests", "golden", "acl-users");

const PASSWORDS: AclPasswords = {
    admin: "Ad8mN2vR5tY7uI9oP1aS",
    replication: "Re8mN2vR5tY7uI9oP1aS",
    sentinel: "Se8mN2vR5tY7uI9oP1aS",
    warmer: "Wa8mN2vR5tY7uI9oP1aS",
    app: "Ap8mN2vR5tY7uI9oP1aS",
    exporter: "Ex8mN2vR5tY7uI9oP1aS",
    "sentinel-peer": "Sp8mN2vR5tY7uI9oP1aS",
    discovery: "Di8mN2vR5tY7uI9oP1aS",
};

/** The rules of one rendered user line, after `user <name> on #<hash>`. */
function rulesOf(lines: readonly string[], name: string): string[] {
    const line = lines.find((l) => l.startsWith(`user ${name} `));
    if (!line) throw new Error(`no user ${name} in ${lines.join("\n")}`);
    return line.split(" ").slice(2);
}

/** Whether `+cmd` (or `+cmd|sub`) is granted by the rules, ignoring categories (explicit grants only). */
const grants = (rules: readonly string[], command: string) => rules.includes(`+${command}`);

/** The documented minimal sets (security/acl.md "ACL rules for Sentinel and Replicas"; sentinel.md). */
const DOCS_REPLICA = ["psync", "replconf", "ping"];
const DOCS_SENTINEL = [
    "multi",
    "slaveof",
    "ping",
    "exec",
    "subscribe",
    "config|rewrite",
    "role",
    "publish",
    "info",
    "client|setname",
    "client|kill",
    "script|kill",
];

describe("ACL users (render/acl-users.ts)", () => {
    const node = renderAclUsers("node", PASSWORDS);
    const sentinel = renderAclUsers("sentinel", PASSWORDS);

    it("renders every node and Sentinel user, default first and off", () => {
        expect(node.map((l) => l.split(" ")[1])).to.deep.equal([
            "default",
            "admin",
            "replication",
            "sentinel",
            "warmer",
            "app",
            "exporter",
        ]);
        expect(sentinel.map((l) => l.split(" ")[1])).to.deep.equal(["default", "admin", "sentinel-peer", "discovery", "exporter"]);
        expect(node[0]).to.equal(DEFAULT_USER_LINE);
        expect(sentinel[0]).to.equal(DEFAULT_USER_LINE);
        expect(rulesOf(node, "default")).to.include("off").and.not.include("on");
    });

    it("renders the replication user exactly as the docs' replica user, as a hash", () => {
        expect(rulesOf(node, "replication")).to.deep.equal([
            "on",
            passwordHash(PASSWORDS.replication),
            "resetkeys",
            "resetchannels",
            "-@all",
            "+psync",
            "+replconf",
            "+ping",
        ]);
        expect(passwordHash("x")).to.equal("#2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
    });

    it("gives every user a link directive names, with at least the documented minimal commands", () => {
        const links = linkUsers();
        expect(links).to.deep.equal({ masteruser: "replication", authUser: "sentinel", sentinelUser: "sentinel-peer" });
        for (const c of DOCS_REPLICA) expect(grants(rulesOf(node, links.masteruser), c), c).to.equal(true);
        for (const c of DOCS_SENTINEL) expect(grants(rulesOf(node, links.authUser), c), c).to.equal(true);
        // The docs require a superuser for Sentinel-to-Sentinel links.
        expect(rulesOf(sentinel, links.sentinelUser)).to.include.members(["~*", "&*", "+@all"]);
    });

    it("narrows the sentinel user's Pub/Sub to the hello channel, not allchannels", () => {
        const rules = rulesOf(node, "sentinel");
        expect(rules).to.include("&__sentinel__:hello");
        expect(rules).to.not.include("allchannels");
        expect(rules.filter((r) => r.startsWith("&"))).to.have.length(1);
        expect(rules.filter((r) => r.startsWith("~"))).to.have.length(0);
    });

    it("renders the links' directives from the same table, passwords only where Redis must send them", () => {
        expect(renderNodeLinks(PASSWORDS)).to.deep.equal(["masteruser replication", `masterauth "${PASSWORDS.replication}"`]);
        expect(renderSentinelLinks("mymaster", PASSWORDS)).to.deep.equal([
            "sentinel auth-user mymaster sentinel",
            `sentinel auth-pass mymaster "${PASSWORDS.sentinel}"`,
            "sentinel sentinel-user sentinel-peer",
            `sentinel sentinel-pass "${PASSWORDS["sentinel-peer"]}"`,
        ]);
    });

    it("holds no plaintext password in the user lines, only each password's SHA-256", () => {
        const text = [...node, ...sentinel, ...renderAclUsers("node", PASSWORDS, { appWrites: true })].join("\n");
        for (const [name, password] of Object.entries(PASSWORDS)) {
            expect(text, name).to.not.include(password);
            expect(text, name).to.include(passwordHash(password));
        }
        expect(() => renderUserLine("app", NODE_ROLES.app, ""))
            .to.throw(AclUsersError)
            .with.property("kind", "acl-users");
        expect(() => renderNodeLinks({ ...PASSWORDS, replication: 'a"b' })).to.throw(AclUsersError);
    });

    it("gives the app read-only cache keys and no SCAN, KEYS, FLUSHALL or CONFIG; read-write only when asked", () => {
        const ro = rulesOf(node, "app");
        expect(ro.filter((r) => r.includes("~"))).to.deep.equal(["%R~screenshots:*", "%R~metadata:*"]);
        expect(ro).to.include.members(["+@read", "-@dangerous", "-scan", "-randomkey"]);
        // KEYS, FLUSHALL, FLUSHDB, CONFIG, DEBUG, SHUTDOWN are @dangerous; -@dangerous comes after every category granted.
        expect(ro.indexOf("-@dangerous")).to.be.greaterThan(ro.indexOf("+@read"));
        for (const c of ["scan", "keys", "flushall", "flushdb", "config", "config|get", "debug", "shutdown", "@write", "@all"])
            expect(grants(ro, c), c).to.equal(false);

        const rw = rulesOf(renderAclUsers("node", PASSWORDS, { appWrites: true }), "app");
        expect(rw.filter((r) => r.includes("~"))).to.deep.equal(["~screenshots:*", "~metadata:*"]);
        expect(rw).to.include.members(["+@write", "-@dangerous", "-scan"]);
        expect(rw.indexOf("-@dangerous")).to.be.greaterThan(rw.indexOf("+@write"));
        expect(rolesFor("node").app.readOnlyKeys).to.equal(true);
    });

    it("gives the exporters no CONFIG GET (it returns masterauth in clear)", () => {
        for (const rules of [rulesOf(node, "exporter"), rulesOf(sentinel, "exporter")]) {
            expect(rules.filter((r) => r.startsWith("+") && (r.startsWith("+config") || r.startsWith("+@")))).to.deep.equal([]);
            expect(rules.filter((r) => r.startsWith("~") || r.startsWith("&"))).to.deep.equal([]);
        }
    });

    it("scopes the warmer to its keys, its barrier channel and what its batch script calls", () => {
        const rules = rulesOf(node, "warmer");
        for (const key of [screenshotsKey("playstore", "com.whatsapp"), metadataKey("appstore", "1")]) {
            expect(
                rules.some((r) => r.startsWith("~") && key.startsWith(r.slice(1).replace(/\*$/, ""))),
                key,
            ).to.equal(true);
        }
        expect(rules).to.include(`&${WARMER_BARRIER_CHANNEL}`);
        const scriptCalls = [...SET_BATCH_LUA.matchAll(/redis\.call\('(\w+)'/g)].map((m) => m[1].toLowerCase());
        expect(scriptCalls).to.not.be.empty;
        for (const c of [...scriptCalls, "evalsha", "eval", "wait", "publish"]) expect(grants(rules, c), c).to.equal(true);
    });

    it("gives Sentinel clients the docs' profile plus +switch-master for ioredis's failoverDetector", () => {
        const rules = rulesOf(sentinel, "discovery");
        expect(rules.filter((r) => r.startsWith("&"))).to.deep.equal(["&+switch-master"]);
        for (const c of ["sentinel|get-master-addr-by-name", "sentinel|sentinels", "sentinel|replicas", "subscribe", "hello", "ping"]) {
            expect(grants(rules, c), c).to.equal(true);
        }
        expect(grants(rules, "sentinel|failover")).to.equal(false);
        expect(grants(rules, "sentinel|set")).to.equal(false);
    });

    it("matches the golden user lines for fixed test passwords (UPDATE_GOLDEN=1 rewrites them)", () => {
        const files: Record<string, string> = {
            "node.acl": `${node.join("\n")}\n`,
            "node-app-writes.acl": `${renderAclUsers("node", PASSWORDS, { appWrites: true }).join("\n")}\n`,
            "sentinel.acl": `${sentinel.join("\n")}\n`,
        };
        if (process.env.UPDATE_GOLDEN === "1") {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            for (const [name, content] of Object.entries(files)) writeFileSync(path.join(GOLDEN_DIR, name), content);
        }
        for (const [name, content] of Object.entries(files))
            expect(content, name).to.equal(readFileSync(path.join(GOLDEN_DIR, name), "utf8"));
    });

    it("renders deterministically: the same passwords give the same bytes", () => {
        expect(renderAclUsers("node", PASSWORDS).join("\n")).to.equal(node.join("\n"));
        expect(Object.keys(SENTINEL_ROLES)).to.deep.equal(["admin", "sentinel-peer", "discovery", "exporter"]);
        expect(rulesOf(node, "exporter")).to.deep.equal([
            "on",
            passwordHash(PASSWORDS.exporter),
            "resetkeys",
            "resetchannels",
            "-@all",
            "+client|setname",
            "+info",
            "+slowlog|get",
            "+slowlog|len",
            "+latency|latest",
        ]);
    });
});
