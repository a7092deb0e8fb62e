import { expect } from "chai";
import { linkUsers, NODE_ROLES, SENTINEL_ROLES } from "../../../../render/acl-users";
import { loginNamed, MIGRATION_STEPS, migrationStep, rotationPhase, UsersAction, UsersServer } from "../../../../ops/users/plan";

const SERVERS: UsersServer[] = [
    { name: "redis-0", kind: "redis" },
    { name: "redis-1", kind: "redis" },
    { name: "sentinel-0", kind: "sentinel" },
    { name: "sentinel-1", kind: "sentinel" },
    { name: "sentinel-2", kind: "sentinel" },
];
const all = (): UsersAction[] => MIGRATION_STEPS.flatMap((s) => migrationStep(s, SERVERS));

describe("users migration plan (ops/users/plan.ts)", () => {
    it("step 1 creates every node user on every node and every Sentinel user on every Sentinel, then persists each server", () => {
        const step = migrationStep(1, SERVERS);
        for (const s of SERVERS) {
            const mine = step.filter((a) => a.server === s.name);
            const roles = Object.keys(s.kind === "redis" ? NODE_ROLES : SENTINEL_ROLES);
            expect(mine.map((a) => ("user" in a ? a.user : a.op))).to.deep.equal([...roles, "persist"]);
        }
    });

    it("every user a server is told to log in as exists on every server that holds it before that", () => {
        const actions = all();
        const named = actions.map((a, i) => [i, loginNamed(a)] as const).filter(([, u]) => u !== undefined);
        expect(named.map(([, u]) => u)).to.include.members(Object.values(linkUsers()));
        for (const [i, user] of named) {
            const holders = SERVERS.filter((s) => user! in (s.kind === "redis" ? NODE_ROLES : SENTINEL_ROLES));
            for (const s of holders) {
                const created = actions.findIndex((a) => a.op === "create-user" && a.server === s.name && a.user === user);
                const persisted = actions.findIndex((a, j) => j > created && a.op === "persist" && a.server === s.name);
                expect(created, `${user} on ${s.name}`).to.be.within(0, i - 1);
                expect(persisted, `${user} persisted on ${s.name}`).to.be.within(0, i - 1);
            }
        }
    });

    it("step 2 points masteruser on every node and auth-user and sentinel-user on every Sentinel, then persists every server", () => {
        const step = migrationStep(2, SERVERS);
        const { masteruser, authUser, sentinelUser } = linkUsers();
        expect(step.filter((a) => a.op === "replication-login").map((a) => [a.server, loginNamed(a)])).to.deep.equal([
            ["redis-0", masteruser],
            ["redis-1", masteruser],
        ]);
        expect(step.filter((a) => a.op === "sentinel-auth").map((a) => loginNamed(a))).to.deep.equal([authUser, authUser, authUser]);
        expect(step.filter((a) => a.op === "sentinel-peer-login").map((a) => loginNamed(a))).to.deep.equal([
            sentinelUser,
            sentinelUser,
            sentinelUser,
        ]);
        expect(step.slice(-SERVERS.length)).to.deep.equal(SERVERS.map((s) => ({ op: "persist", server: s.name })));
    });

    it("step 3 sends nothing to the servers; step 4 turns default off on every server, each persisted right after", () => {
        expect(migrationStep(3, SERVERS)).to.deep.equal([]);
        expect(migrationStep(4, SERVERS)).to.deep.equal(
            SERVERS.flatMap((s) => [
                { op: "default-off", server: s.name },
                { op: "persist", server: s.name },
            ]),
        );
        const actions = all();
        const firstOff = actions.findIndex((a) => a.op === "default-off");
        expect(actions.slice(firstOff).some((a) => a.op !== "default-off" && a.op !== "persist")).to.equal(false);
    });

    it("rotating a link user adds the new password everywhere before any link names it, and retires it only in the second phase", () => {
        const add = rotationPhase("replication", "add", SERVERS);
        expect(add.map((a) => `${a.server} ${a.op}`)).to.deep.equal([
            "redis-0 add-password",
            "redis-1 add-password",
            "redis-0 replication-login",
            "redis-1 replication-login",
            "redis-0 persist",
            "redis-1 persist",
        ]);
        expect(rotationPhase("replication", "retire", SERVERS).map((a) => `${a.server} ${a.op}`)).to.deep.equal([
            "redis-0 retire-password",
            "redis-1 retire-password",
            "redis-0 persist",
            "redis-1 persist",
        ]);
        const peer = rotationPhase("sentinel-peer", "add", SERVERS);
        const lastAdd = peer.map((a) => a.op).lastIndexOf("add-password");
        const firstLink = peer.findIndex((a) => a.op === "sentinel-peer-login");
        expect(lastAdd).to.be.lessThan(firstLink);
    });

    it("rotating a user only clients log in as touches only the servers that hold it; admin and exporter live on both kinds", () => {
        expect(rotationPhase("app", "add", SERVERS).map((a) => `${a.server} ${a.op}`)).to.deep.equal([
            "redis-0 add-password",
            "redis-1 add-password",
            "redis-0 persist",
            "redis-1 persist",
        ]);
        expect(new Set(rotationPhase("exporter", "retire", SERVERS).map((a) => a.server))).to.deep.equal(
            new Set(SERVERS.map((s) => s.name)),
        );
        expect(() => rotationPhase("nobody", "add", SERVERS))
            .to.throw()
            .with.property("kind", "unknown-user");
    });
});
