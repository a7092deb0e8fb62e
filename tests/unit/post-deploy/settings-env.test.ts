import { expect } from "chai";
import { REDIS_DIRECTIVES, runtimeDirectives, runtimeValues, SENTINEL_DIRECTIVES } from "../../../config-templates/directives";
import {
    directiveEnvName,
    parseSettingsEnvironment,
    SETTINGS_ENV,
    settingsEnvironment,
    SettingsEnvError,
} from "../../../post-deploy/settings-env";
import { settingsFor } from "../helpers";

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
});
