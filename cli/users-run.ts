// What migrate-users and rotate-user share: the run over the plan's servers, with every password
// from the secret environment (contracts/user-passwords-env.ts) and the old `default` ones.
import { PASSWORD_ENV } from "../contracts/env";
import { PostDeployPlan } from "../contracts/plan";
import { parseUserPasswords } from "../contracts/user-passwords-env";
import { connectionMaterial, parseTlsEnvironment } from "../contracts/tls-env";
import { ActionResult, executeUsersPlan } from "../ops/users/execute";
import { LoginOrder } from "../ops/users/login";
import { describeAction, UsersAction, UsersServer } from "../ops/users/plan";

export const serversOfPlan = (plan: PostDeployPlan): UsersServer[] => plan.servers.map((s) => ({ name: s.name, kind: s.kind }));

/** Prints the actions (dry run) or runs them; every line names servers and users only. */
export async function runUsersActions(
    plan: PostDeployPlan,
    actions: readonly UsersAction[],
    options: { loginOrder: LoginOrder; timeoutSeconds: number; dryRun: boolean },
): Promise<ActionResult[]> {
    if (options.dryRun) {
        for (const a of actions) console.log(describeAction(a));
        return [];
    }
    const { passwords, previous } = parseUserPasswords(process.env);
    const redis = process.env[PASSWORD_ENV.redis];
    const sentinel = process.env[PASSWORD_ENV.sentinel];
    const tlsEnv = parseTlsEnvironment(process.env);
    return executeUsersPlan(
        {
            targets: plan.servers.map((s) => ({ name: s.name, kind: s.kind, endpoint: { host: s.host, port: s.port } })),
            masterName: plan.masterName,
            secrets: { passwords, previous, ...(redis && sentinel ? { defaults: { redis, sentinel } } : {}) },
            loginOrder: options.loginOrder,
            deadlineSeconds: options.timeoutSeconds,
            ...(tlsEnv ? { tls: connectionMaterial(tlsEnv, "tools") } : {}),
            log: (line) => console.error(line),
        },
        actions,
    );
}
