// The program under mocks for a stack created with cluster.users.enabled: one secret password per
// user, the servers' files and steps on the users, the exporters as `exporter`, and the outputs.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { flattenConfig, StackConfigObject } from "../../../settings/stack-file";
import {
    Declared,
    declareUnderMocks,
    isWireSecret,
    runProgramUnderMocks,
    stringsWithSecrecy,
    unwrapSecrets,
} from "../../support/program-under-mocks";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";
import { ACL_USER_NAMES } from "../../../render/acl-users";
import { USER_PASSWORDS_ENV, USERS_ENV } from "../../../contracts/env";
import { parseUserPasswords } from "../../../contracts/user-passwords-env";

const CONTAINER = "docker:index/container:Container";
const PASSWORD = "random:index/randomPassword:RandomPassword";
/** Each RandomPassword's result: distinct per resource, letters and digits as generated. */
const generated = (name: string) => `G${createHash("sha256").update(name).digest("hex").slice(0, 31)}`;

const declare = (config: StackConfigObject): Promise<Declared> =>
    declareUnderMocks(config, { password: generated, stdout: JSON.stringify(SAMPLE_REPORT) });

const strings = stringsWithSecrecy;

describe("the program with cluster.users.enabled (under mocks)", () => {
    let d: Declared;
    const passwordOf = (user: string) => generated(`user-password-${user}`);
    before(async () => {
        d = await declare({ cluster: { users: { enabled: true } } });
    });

    it("generates one password per user and none for default", () => {
        const names = d.resources.filter((r) => r.type === PASSWORD).map((r) => r.name);
        expect(names.sort()).to.deep.equal(ACL_USER_NAMES.map((u) => `user-password-${u}`).sort());
    });

    it("puts a password in clear nowhere: every input that holds one is a secret", () => {
        const all = ACL_USER_NAMES.map(passwordOf);
        for (const r of d.resources) {
            for (const s of strings(r.inputs)) {
                const held = all.filter((p) => s.text.includes(p));
                if (held.length) expect(s.secret, `${r.type} ${r.name} holds a password in clear`).to.equal(true);
            }
        }
    });

    it("renders the users into the servers' initial configs and the admin login into their snapshot", () => {
        const node = d.resources.find((r) => r.type === CONTAINER && r.name === "redis-0");
        const uploads = strings(node?.inputs.uploads);
        const conf = uploads.find((s) => s.text.includes("masteruser"));
        expect(conf?.secret).to.equal(true);
        expect(conf?.text).to.include("user default off").and.include("masteruser replication").and.not.include("requirepass");
        expect(uploads.find((s) => s.text.includes("AUTH_USER='admin'"))?.secret).to.equal(true);
        expect(uploads.some((s) => s.text.includes('--user "$AUTH_USER"'))).to.equal(true);
    });

    it("hands the settings steps and the post-deploy command the logins as a secret, and no default password", () => {
        const commands = d.resources.filter(
            (r) => r.type === "command:local:Command" && r.name !== "data-volume-check" && r.name !== "users-check",
        );
        expect(commands.length).to.be.greaterThan(0);
        for (const c of commands) {
            const env = JSON.stringify(c.inputs.environment ?? {});
            expect(env, c.name).to.include(USERS_ENV).and.not.include("REDIS_PASSWORD");
        }
    });

    it("declares the users check, a volume check that refuses any existing volume", () => {
        const check = d.resources.find((r) => r.name === "users-check");
        expect(check?.inputs.create).to.include("check-volumes");
        expect(JSON.parse(String(strings(check?.inputs.environment)[0].text)).users).to.equal(true);
    });

    it("runs each exporter as exporter with CONFIG GET off", () => {
        const exporter = d.resources.find((r) => r.type === CONTAINER && r.name === "redis-0-exporter");
        expect(exporter?.inputs.command).to.include("--redis.user=exporter").and.include("--config-command=-");
    });

    it("outputs the app's and discovery's logins (passwords secret) and an ioredis example with them", () => {
        const { outputs, rawOutputs } = d.run;
        expect(outputs.appUser).to.equal("app");
        expect(outputs.appPassword).to.equal(passwordOf("app"));
        expect(outputs.discoveryUser).to.equal("discovery");
        expect(outputs.discoveryPassword).to.equal(passwordOf("discovery"));
        expect(outputs.redisPassword).to.equal(undefined);
        expect(String(outputs.ioredisExample)).to.include('username: "app"').and.include('sentinelUsername: "discovery"');
        for (const key of ["appPassword", "discoveryPassword", "adminPassword"]) expect(isWireSecret(rawOutputs[key]), key).to.equal(true);
        for (const key of ["appUser", "discoveryUser"]) expect(isWireSecret(rawOutputs[key]), key).to.equal(false);
    });

    it("refuses redisPassword with users on before declaring anything", async () => {
        let error: unknown;
        try {
            await runProgramUnderMocks(
                "dev",
                flattenConfig({ cluster: { users: { enabled: true } }, redisPassword: "Zq8mN2vR5tY7uI9oP1aS" }, ["redisPassword"]),
                {
                    newResource: (args) => ({ id: args.name, state: args.inputs }),
                    call: (args) => args.inputs,
                },
            );
        } catch (err) {
            error = err;
        }
        expect(String(error)).to.match(/redisPassword: unused with cluster.users.enabled/);
    });
});

describe("the program moving a deployed stack onto the users (under mocks)", () => {
    const passwordOf = (user: string) => generated(`user-password-${user}`);
    /** Everything declared but the resources named in `except`, by type and name. */
    const byKey = (d: Declared, except: (r: Declared["resources"][number]) => boolean = () => false) =>
        Object.fromEntries(d.resources.filter((r) => !except(r)).map((r) => [`${r.type}::${r.name}`, r.inputs]));
    let plain: Declared;
    let prepared: Declared;
    let users: Declared;
    let migrated: Declared;
    before(async () => {
        plain = await declare({});
        prepared = await declare({ cluster: { users: { migration: "prepare" } } });
        users = await declare({ cluster: { users: { enabled: true, appWrites: true } } });
        migrated = await declare({ cluster: { users: { enabled: true, appWrites: true, migrated: true } } });
    });

    it("prepare declares the users' passwords under a users stack's names, and nothing else differs", () => {
        const isUserPassword = (r: Declared["resources"][number]) => r.type === PASSWORD && r.name.startsWith("user-password-");
        expect(
            prepared.resources
                .filter(isUserPassword)
                .map((r) => r.name)
                .sort(),
        ).to.deep.equal(
            users.resources
                .filter(isUserPassword)
                .map((r) => r.name)
                .sort(),
        );
        expect(byKey(prepared, isUserPassword)).to.deep.equal(byKey(plain));
        expect(plain.run.outputs.migrationUserPasswords).to.equal(undefined);
    });

    it("prepare outputs APPSCREENS_USER_PASSWORDS as a secret, with every user's generated password", () => {
        const raw = prepared.run.rawOutputs.migrationUserPasswords;
        expect(isWireSecret(raw)).to.equal(true);
        const parsed = parseUserPasswords({ [USER_PASSWORDS_ENV]: String(prepared.run.outputs.migrationUserPasswords) });
        expect(parsed.passwords).to.deep.equal(Object.fromEntries(ACL_USER_NAMES.map((u) => [u, passwordOf(u)])));
        expect(prepared.run.outputs.redisPassword).to.be.a("string");
        expect(prepared.run.outputs.appUser).to.equal(undefined);
    });

    it("migrated declares no users check, and the same containers as a users stack", () => {
        expect(migrated.resources.some((r) => r.name === "users-check")).to.equal(false);
        expect(users.resources.some((r) => r.name === "users-check")).to.equal(true);
        const containers = (d: Declared) => byKey(d, (r) => r.type !== CONTAINER);
        expect(containers(migrated)).to.deep.equal(containers(users));
        expect(isWireSecret(migrated.run.rawOutputs.migrationUserPasswords)).to.equal(true);
    });

    it("migrated servers differ from the stack before the move only where their changes are ignored: no replacement", () => {
        const servers = plain.resources.filter((r) => r.type === CONTAINER && !r.name.endsWith("-exporter"));
        expect(servers).to.have.length(6);
        for (const before of servers) {
            const after = migrated.resources.find((r) => r.type === CONTAINER && r.name === before.name);
            const ignored = migrated.run.registrations.get(`${CONTAINER}::${before.name}`)?.ignoreChanges ?? [];
            // Secrecy aside: the engine diffs values.
            const withoutIgnored = (wire: Record<string, unknown>) => {
                const inputs = unwrapSecrets(wire) as Record<string, unknown>;
                const uploads = (inputs.uploads as Record<string, unknown>[]).map((u, i) =>
                    ignored.includes(`uploads[${i}].content`) ? { ...u, content: "(ignored)" } : u,
                );
                return { ...inputs, uploads };
            };
            expect(withoutIgnored(after?.inputs ?? {}), before.name).to.deep.equal(withoutIgnored(before.inputs));
            expect(unwrapSecrets(after?.inputs.uploads), before.name).to.not.deep.equal(unwrapSecrets(before.inputs.uploads));
        }
    });

    it("migrated servers ignore changes of their script uploads too; a users stack's do not", () => {
        const ignored = (d: Declared, name: string) => d.run.registrations.get(`${CONTAINER}::${name}`)?.ignoreChanges ?? [];
        expect(ignored(migrated, "redis-0")).to.deep.equal([
            "uploads[0].content",
            "uploads[1].content",
            "uploads[2].content",
            "uploads[3].content",
            "uploads[4].content",
            "uploads[5].content",
        ]);
        expect(ignored(migrated, "sentinel-0")).to.deep.equal([
            "uploads[0].content",
            "uploads[1].content",
            "uploads[2].content",
            "uploads[3].content",
        ]);
        expect(ignored(users, "redis-0")).to.deep.equal(["uploads[0].content", "uploads[1].content"]);
        expect(ignored(migrated, "redis-0-exporter")).to.not.include("uploads[2].content");
    });
});
