import { expect } from "chai";
import { REDIS_DIRECTIVES, runtimeDirectives, runtimeValues, SENTINEL_DIRECTIVES } from "../../../render/directives";
import { directiveEnvName, parseSettingsEnvironment, settingsEnvironment, SettingsEnvError } from "../../../contracts/settings-env";
import { SETTINGS_ENV } from "../../../contracts/env";
import { settingsFor } from "../../support/settings";

describe("the settings step's environment", () => {
    const settings = settingsFor();
    const node = settings.plan.nodes[0];
    const target = {
        kind: "redis" as const,
        name: node.name,
        stack: "dev",
        host: "127.0.0.1",
        port: node.hostPort,
        masterName: "mymaster",
    };

    it("names each directive with a shell-safe variable (dash drops names with '-')", () => {
        expect(directiveEnvName("maxmemory-policy")).to.equal("APPSCREENS_SET_MAXMEMORY_POLICY");
        for (const d of runtimeDirectives([...REDIS_DIRECTIVES, ...SENTINEL_DIRECTIVES]))
            expect(directiveEnvName(d.name)).to.match(/^[A-Z_][A-Z0-9_]*$/);
    });

    it("reads back exactly what the program wrote", () => {
        const directives = runtimeValues(REDIS_DIRECTIVES, settings, node);
        const env = { ...settingsEnvironment(target, directives, 90), [SETTINGS_ENV.redisPassword]: "NewPassword0123456789" };
        const request = parseSettingsEnvironment(env);
        expect(request.target).to.deep.equal(target);
        expect(request.directives).to.deep.equal(directives);
        expect(request.deadlineSeconds).to.equal(90);
        expect(request.passwords).to.deep.equal({
            redis: "NewPassword0123456789",
            redisPrevious: undefined,
            sentinel: undefined,
            sentinelPrevious: undefined,
        });
    });

    it("rejects a missing directive, target or password with a kind", () => {
        const directives = runtimeValues(REDIS_DIRECTIVES, settings, node);
        const env: Record<string, string> = {
            ...settingsEnvironment(target, directives, 90),
            [SETTINGS_ENV.redisPassword]: "x".repeat(20),
        };
        const without = (key: string) => Object.fromEntries(Object.entries(env).filter(([k]) => k !== key));
        for (const key of [directiveEnvName("maxmemory"), SETTINGS_ENV.server, SETTINGS_ENV.redisPassword]) {
            expect(() => parseSettingsEnvironment(without(key)), key).to.throw(SettingsEnvError);
        }
        const sentinelTarget = { ...target, kind: "sentinel" as const };
        const sentinelEnv = {
            ...settingsEnvironment(sentinelTarget, runtimeValues(SENTINEL_DIRECTIVES, settings, settings.plan.sentinels[0]), 90),
        };
        expect(() => parseSettingsEnvironment({ ...sentinelEnv, [SETTINGS_ENV.redisPassword]: "x".repeat(20) })).to.throw(
            /sentinel password/,
        );
    });

    it("reads a Sentinel's request by its kind: its own password and the nodes' (auth-pass) are both there", () => {
        const sentinel = settings.plan.sentinels[1];
        const sentinelTarget = { ...target, kind: "sentinel" as const, name: sentinel.name, port: sentinel.hostPort };
        const directives = runtimeValues(SENTINEL_DIRECTIVES, settings, sentinel);
        const request = parseSettingsEnvironment({
            ...settingsEnvironment(sentinelTarget, directives, 30),
            [SETTINGS_ENV.redisPassword]: "NodesPassword0123456789",
            [SETTINGS_ENV.sentinelPassword]: "SentinelPassword012345",
        });
        if (request.kind !== "sentinel") expect.fail(`read a ${request.kind} request for a Sentinel`);
        expect(request.target).to.deep.equal(sentinelTarget);
        expect(request.directives).to.deep.equal(directives);
        // Typed as present for a Sentinel: no cast needed to use them.
        const present: string[] = [request.passwords.redis, request.passwords.sentinel];
        expect(present).to.deep.equal(["NodesPassword0123456789", "SentinelPassword012345"]);
    });

    it("refuses a target that is not JSON or names no known kind", () => {
        const env = {
            ...settingsEnvironment(target, runtimeValues(REDIS_DIRECTIVES, settings, node), 90),
            [SETTINGS_ENV.redisPassword]: "x".repeat(20),
        };
        expect(() => parseSettingsEnvironment({ ...env, [SETTINGS_ENV.server]: "{not json" })).to.throw(SettingsEnvError, /not JSON/);
        const replica = JSON.stringify({ ...target, kind: "replica" });
        expect(() => parseSettingsEnvironment({ ...env, [SETTINGS_ENV.server]: replica })).to.throw(SettingsEnvError, /malformed/);
    });
});
