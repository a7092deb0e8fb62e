import { createHash } from "node:crypto";
import { expect } from "chai";
import { ReplyError } from "ioredis";
import { applyToNode, applyToSentinel } from "../../../../ops/cluster/settings-apply";
import { accessCommands } from "../../../../ops/redis/access-commands";
import { commandFailure, RedisCommandError, replyCode } from "../../../../ops/redis/errors";
import { nodeCommands } from "../../../../ops/redis/node-commands";
import { parseMasterAddress, parseSentinelMaster, parseSentinelPeers, parseSentinelReplicas } from "../../../../ops/redis/replies";
import { CommandSender, Connection } from "../../../../ops/redis/send";
import { SentinelReader, sentinelCommands } from "../../../../ops/redis/sentinel-commands";
import { askSentinel } from "../../../../ops/redis/sentinels";
import { readSentinel } from "../../../../ops/warm/reconcile";

/** A client that records every command it is given and answers from `replies` (an Error rejects). */
class RecordingClient implements CommandSender, Connection {
    readonly sent: string[][] = [];
    constructor(private readonly replies: (command: string[]) => unknown = () => "OK") {}
    async call(command: string, ...args: (string | number)[]): Promise<unknown> {
        const line = [command, ...args.map(String)];
        this.sent.push(line);
        const reply = this.replies(line);
        if (reply instanceof Error) throw reply;
        return reply;
    }
    async connect(): Promise<void> {}
    disconnect(): void {}
}

const masterFields = ["name", "mymaster", "ip", "10.0.0.11", "port", "6379", "runid", "abc", "flags", "master", "num-slaves", "2"];
const replicaFields = (ip: string, flags: string, priority = "100") => [
    "name",
    `${ip}:6379`,
    "ip",
    ip,
    "port",
    "6379",
    "flags",
    flags,
    "slave-priority",
    priority,
    "master-link-status",
    "ok",
    "master-host",
    "10.0.0.11",
];

describe("Sentinel replies as records", () => {
    it("reads SENTINEL MASTER into its address, flags, run id and counts, keeping every field", () => {
        const master = parseSentinelMaster([...masterFields, "num-other-sentinels", "2", "flags-extra", "x"]);
        expect(master).to.include({ ip: "10.0.0.11", port: 6379, address: "10.0.0.11:6379", runId: "abc", replicas: 2, otherSentinels: 2 });
        expect(master.flags).to.deep.equal(["master"]);
        expect(master.fields["flags-extra"]).to.equal("x");
        expect(parseSentinelMaster(["ip", "10.0.0.11", "port", "6379", "runid", ""]).runId).to.equal(undefined);
    });

    it("reads SENTINEL REPLICAS and SENTINELS into one record each", () => {
        const [replica] = parseSentinelReplicas([replicaFields("10.0.0.12", "s_down,slave", "0")]);
        expect(replica).to.include({ address: "10.0.0.12:6379", priority: 0, linkStatus: "ok", masterHost: "10.0.0.11" });
        expect(replica.flags).to.deep.equal(["s_down", "slave"]);
        expect(parseSentinelPeers([["name", "s1", "ip", "10.0.0.21", "port", "26379", "flags", "sentinel"]])[0].address).to.equal(
            "10.0.0.21:26379",
        );
    });

    it("reads GET-MASTER-ADDR-BY-NAME as `address:port`, and nil as no master of that name", () => {
        expect(parseMasterAddress(["10.0.0.11", "6379"])).to.equal("10.0.0.11:6379");
        expect(parseMasterAddress(null)).to.equal(undefined);
    });

    it("turns a reply of another shape into an unexpected-reply failure, not a record with holes", () => {
        for (const read of [
            () => parseSentinelMaster("OK"),
            () => parseSentinelReplicas([["ip", "10.0.0.12"]]),
            () => parseMasterAddress([]),
        ]) {
            expect(read).to.throw(RedisCommandError).with.property("kind", "unexpected-reply");
        }
    });
});

describe("typed commands: what goes to the server", () => {
    it("reads a Sentinel's own setting over RESP2 and RESP3, empty when unset", async () => {
        for (const [reply, want] of [
            [["sentinel-user", "sentinel-peer"], "sentinel-peer"],
            [{ "sentinel-user": "sentinel-peer" }, "sentinel-peer"],
            [["sentinel-user", ""], ""],
            [[], ""],
        ] as const) {
            const client = new RecordingClient(() => reply);
            expect(await sentinelCommands(client).configGet("sentinel-user"), JSON.stringify(reply)).to.equal(want);
            expect(client.sent).to.deep.equal([["SENTINEL", "CONFIG", "GET", "sentinel-user"]]);
        }
    });

    it("sends the Sentinel commands as the tools always did, and parses their replies", async () => {
        const client = new RecordingClient(([, sub]) => {
            if (sub === "GET-MASTER-ADDR-BY-NAME") return ["10.0.0.11", "6379"];
            if (sub === "MASTER") return masterFields;
            if (sub === "REPLICAS") return [replicaFields("10.0.0.12", "slave")];
            if (sub === "SENTINELS") return [];
            if (sub === "CKQUORUM") return "OK 3 usable Sentinels. Quorum and failover authorization can be reached";
            return "OK";
        });
        const s = sentinelCommands(client);
        expect(await s.masterAddress("mymaster")).to.equal("10.0.0.11:6379");
        expect((await s.master("mymaster")).address).to.equal("10.0.0.11:6379");
        expect((await s.replicas("mymaster")).map((r) => r.address)).to.deep.equal(["10.0.0.12:6379"]);
        expect(await s.sentinels("mymaster")).to.deep.equal([]);
        expect(await s.ckquorum("mymaster")).to.match(/^OK 3 usable/);
        await s.set("mymaster", [
            ["quorum", "2"],
            ["down-after-milliseconds", "5000"],
        ]);
        await s.configSet("sentinel-pass", "pw");
        await s.flushConfig();
        await s.failover("mymaster");
        await s.reset("mymaster");
        await s.remove("mymaster");
        expect(client.sent).to.deep.equal([
            ["SENTINEL", "GET-MASTER-ADDR-BY-NAME", "mymaster"],
            ["SENTINEL", "MASTER", "mymaster"],
            ["SENTINEL", "REPLICAS", "mymaster"],
            ["SENTINEL", "SENTINELS", "mymaster"],
            ["SENTINEL", "CKQUORUM", "mymaster"],
            ["SENTINEL", "SET", "mymaster", "quorum", "2", "down-after-milliseconds", "5000"],
            ["SENTINEL", "CONFIG", "SET", "sentinel-pass", "pw"],
            ["SENTINEL", "FLUSHCONFIG"],
            ["SENTINEL", "FAILOVER", "mymaster"],
            ["SENTINEL", "RESET", "mymaster"],
            ["SENTINEL", "REMOVE", "mymaster"],
        ]);
    });

    it("sends the node and access commands as the tools always did", async () => {
        const hash = createHash("sha256").update("pw").digest("hex");
        const client = new RecordingClient(([command, sub]) => {
            if (command === "CONFIG" && sub === "GET") return ["appendonly", "yes", "appenddirname", "appendonlydir"];
            if (command === "ACL" && sub === "GETUSER") return ["flags", ["on"], "passwords", [hash], "commands", "+@all"];
            return "OK";
        });
        const node = nodeCommands(client);
        const access = accessCommands(client);
        expect(await node.configGet("append*")).to.deep.equal({ appendonly: "yes", appenddirname: "appendonlydir" });
        await node.configSet("replica-priority", "0");
        await node.configRewrite();
        await node.killClients("normal");
        await node.killClients("pubsub");
        await node.pauseWrites(60_000);
        await node.unpause();
        await node.detach();
        await node.rewriteAof();
        await access.auth("pw");
        expect(await access.passwordHashes("default")).to.deep.equal([hash]);
        await access.setUser("default", ["on", "resetpass", ">pw"]);
        await access.deleteUser("bench-1");
        expect(client.sent).to.deep.equal([
            ["CONFIG", "GET", "append*"],
            ["CONFIG", "SET", "replica-priority", "0"],
            ["CONFIG", "REWRITE"],
            ["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
            ["CLIENT", "KILL", "TYPE", "pubsub", "SKIPME", "yes"],
            ["CLIENT", "PAUSE", "60000", "WRITE"],
            ["CLIENT", "UNPAUSE"],
            ["REPLICAOF", "NO", "ONE"],
            ["BGREWRITEAOF"],
            ["AUTH", "pw"],
            ["ACL", "GETUSER", "default"],
            ["ACL", "SETUSER", "default", "on", "resetpass", ">pw"],
            ["ACL", "DELUSER", "bench-1"],
        ]);
    });

    it("hands commands started together to the client in the order they were started", async () => {
        const client = new RecordingClient(([, sub]) => (sub === "MASTER" ? masterFields : []));
        const reading = readSentinel(sentinelCommands(client), "s0", "mymaster");
        expect(client.sent).to.deep.equal([
            ["SENTINEL", "MASTER", "mymaster"],
            ["SENTINEL", "REPLICAS", "mymaster"],
        ]);
        expect((await reading).master?.address).to.equal("10.0.0.11:6379");
    });
});

describe("command failures carry a kind", () => {
    it("an error reply is kind `reply` with its code, its message unchanged; anything else is `no-answer`", async () => {
        const refused = new ReplyError("WRONGPASS invalid username-password pair or user is disabled.");
        const client = new RecordingClient(([command]) => (command === "AUTH" ? refused : new Error("Command timed out")));
        const err = await accessCommands(client)
            .auth("secret-pw")
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        // The message is the server's own; the command is named without its argument (a password).
        expect(err).to.be.instanceOf(RedisCommandError).and.include({ kind: "reply", code: "WRONGPASS", command: "AUTH" });
        expect(err).to.have.property("message", refused.message);
        expect(replyCode(err)).to.equal("WRONGPASS");

        const timeout = await nodeCommands(client)
            .configSet("requirepass", "secret-pw")
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        expect(timeout).to.include({ kind: "no-answer", code: "", command: "CONFIG SET" });
        expect(replyCode(timeout)).to.equal("");
    });

    it("reads the code only from a failure the command layer classified, never from an error's wording", () => {
        expect(replyCode(new Error("WRONGPASS looks like a reply"))).to.equal("");
        expect(replyCode("NOAUTH")).to.equal("");
        expect(replyCode(commandFailure("AUTH", new ReplyError("NOAUTH Authentication required.")))).to.equal("NOAUTH");
        expect(replyCode(commandFailure("PING", new Error("connect ECONNREFUSED 127.0.0.1:6379")))).to.equal("");
    });
});

describe("steps over the narrow interfaces (fakes, no ioredis)", () => {
    /** A Sentinel that answers only what these steps ask. */
    const fakeSentinel = (address: string | undefined, fail?: Error): SentinelReader => ({
        masterAddress: async () => {
            if (fail) throw fail;
            return address;
        },
        master: async () => parseSentinelMaster(masterFields),
        replicas: async () => parseSentinelReplicas([replicaFields("10.0.0.12", "slave"), replicaFields("10.0.0.13", "s_down,slave")]),
        sentinels: async () => [],
        ckquorum: async () => "OK",
    });

    it("asks a Sentinel for the master, and keeps its failure as the answer", async () => {
        expect(await askSentinel(fakeSentinel("10.0.0.11:6379"), "s0", "mymaster")).to.deep.equal({
            name: "s0",
            masterAddress: "10.0.0.11:6379",
        });
        expect(await askSentinel(fakeSentinel(undefined), "s1", "mymaster")).to.deep.equal({ name: "s1", error: "does not know mymaster" });
        expect(await askSentinel(fakeSentinel(undefined, new Error("Connection is closed.")), "s2", "mymaster")).to.deep.equal({
            name: "s2",
            error: "Connection is closed.",
        });
    });

    it("reads a Sentinel's master and replicas for the end-of-run check", async () => {
        const reading = await readSentinel(fakeSentinel("10.0.0.11:6379"), "s0", "mymaster");
        expect(reading.master?.address).to.equal("10.0.0.11:6379");
        expect(reading.replicas?.map((r) => r.flags.join(","))).to.deep.equal(["slave", "s_down,slave"]);
    });
});

describe("the settings step's commands, in order", () => {
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const target = { name: "redis-0", host: "127.0.0.1", port: 6379, masterName: "mymaster" };

    it("on a node: reads each setting, sets what differs, rotates nothing it need not, then rewrites the config", async () => {
        const current: Record<string, string> = { maxmemory: "67108864", appendonly: "no", masterauth: "old", requirepass: "new" };
        const client = new RecordingClient(([command, sub, name]) => {
            if (command === "CONFIG" && sub === "GET") return [name, current[name]];
            if (command === "ACL" && sub === "GETUSER") return ["flags", ["on"], "passwords", [sha("new")]];
            return "OK";
        });
        const request = {
            kind: "redis" as const,
            target: { ...target, stack: "dev", kind: "redis" as const },
            directives: { maxmemory: "64mb", appendonly: "yes" },
            deadlineSeconds: 60,
            passwords: { redis: "new", redisPrevious: "old" },
        };
        const result = await applyToNode(nodeCommands(client), accessCommands(client), request);
        expect(result).to.deep.equal({ changed: [{ name: "appendonly", from: "no", to: "yes" }], passwordsChanged: true });
        expect(client.sent).to.deep.equal([
            ["CONFIG", "GET", "maxmemory"],
            ["CONFIG", "GET", "appendonly"],
            ["CONFIG", "SET", "appendonly", "yes"],
            ["CONFIG", "GET", "masterauth"],
            ["CONFIG", "GET", "requirepass"],
            ["ACL", "GETUSER", "default"],
            ["ACL", "SETUSER", "default", "on", "resetpass", ">new", ">old"],
            ["CONFIG", "REWRITE"],
        ]);
    });

    it("on a Sentinel: SENTINEL SET for what differs and the nodes' password, then its own passwords", async () => {
        const client = new RecordingClient(([command, sub]) => {
            if (command === "SENTINEL" && sub === "MASTER")
                return ["ip", "10.0.0.11", "port", "6379", "quorum", "2", "parallel-syncs", "1"];
            if (command === "ACL" && sub === "GETUSER") return ["passwords", [sha("old")]];
            return "OK";
        });
        const request = {
            kind: "sentinel" as const,
            target: { ...target, stack: "dev", name: "sentinel-0", kind: "sentinel" as const },
            directives: { quorum: "2", "parallel-syncs": "2" },
            deadlineSeconds: 60,
            passwords: { redis: "node-pw", sentinel: "s-new" },
        };
        const result = await applyToSentinel(sentinelCommands(client), accessCommands(client), request);
        expect(result).to.deep.equal({ changed: [{ name: "parallel-syncs", from: "1", to: "2" }], passwordsChanged: true });
        expect(client.sent).to.deep.equal([
            ["SENTINEL", "MASTER", "mymaster"],
            ["SENTINEL", "SET", "mymaster", "parallel-syncs", "2"],
            ["SENTINEL", "SET", "mymaster", "auth-pass", "node-pw"],
            ["ACL", "GETUSER", "default"],
            ["ACL", "SETUSER", "default", "on", "resetpass", ">s-new"],
            ["SENTINEL", "CONFIG", "SET", "sentinel-pass", "s-new"],
            ["SENTINEL", "FLUSHCONFIG"],
        ]);
    });

    const users = { user: "admin", password: "A".repeat(32) };

    it("on a users stack's node: sets what differs, checks masteruser, never touches a password", async () => {
        const current: Record<string, string> = { maxmemory: "67108864", masteruser: "replication" };
        const client = new RecordingClient(([command, sub, name]) =>
            command === "CONFIG" && sub === "GET" ? [name, current[name]] : "OK",
        );
        const request = {
            kind: "redis" as const,
            target: { ...target, stack: "dev", kind: "redis" as const },
            directives: { maxmemory: "32mb" },
            deadlineSeconds: 60,
            passwords: { redis: users.password },
            users,
        };
        const result = await applyToNode(nodeCommands(client), accessCommands(client), request);
        expect(result.passwordsChanged).to.equal(false);
        expect(client.sent).to.deep.equal([
            ["CONFIG", "GET", "maxmemory"],
            ["CONFIG", "SET", "maxmemory", "32mb"],
            ["CONFIG", "GET", "masteruser"],
            ["CONFIG", "REWRITE"],
        ]);
    });

    it("on a users stack's node made without users: refuses with kind users-mismatch, naming the setting", async () => {
        const client = new RecordingClient(([command, sub, name]) => (command === "CONFIG" && sub === "GET" ? [name, ""] : "OK"));
        const request = {
            kind: "redis" as const,
            target: { ...target, stack: "dev", kind: "redis" as const },
            directives: {},
            deadlineSeconds: 60,
            passwords: { redis: users.password },
            users,
        };
        const err = await applyToNode(nodeCommands(client), accessCommands(client), request).catch((e: unknown) => e);
        expect(err).to.have.property("kind", "users-mismatch");
        expect(String((err as Error).message)).to.match(/cluster.users.enabled.*docs\/security.md/);
    });

    it("on a users stack's Sentinel: SENTINEL SET for what differs and nothing of auth-pass or passwords", async () => {
        const client = new RecordingClient(([command, sub]) =>
            command === "SENTINEL" && sub === "MASTER" ? ["ip", "10.0.0.11", "port", "6379", "quorum", "2"] : "OK",
        );
        const request = {
            kind: "sentinel" as const,
            target: { ...target, stack: "dev", name: "sentinel-0", kind: "sentinel" as const },
            directives: { quorum: "3" },
            deadlineSeconds: 60,
            passwords: { redis: users.password, sentinel: users.password },
            users,
        };
        const result = await applyToSentinel(sentinelCommands(client), accessCommands(client), request);
        expect(result.passwordsChanged).to.equal(false);
        expect(client.sent).to.deep.equal([
            ["SENTINEL", "MASTER", "mymaster"],
            ["SENTINEL", "SET", "mymaster", "quorum", "3"],
        ]);
    });
});
