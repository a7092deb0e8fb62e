// npm run migrate-users -- --stack <name> --step 1|1b|2|3|4 [--app-writes] [--dry-run] [--timeout 120]
import { parseUserPasswords } from "../contracts/user-passwords-env";
import { connectionMaterial, parseTlsEnvironment } from "../contracts/tls-env";
import { CLIENT_USERS } from "../render/acl-users";
import { settingsFromStackFile } from "../settings/stack-file";
import { installUsersScripts } from "../ops/users/container-scripts";
import { LoginOrder } from "../ops/users/login";
import { MigrationStep, migrationStep, STEP_TITLES } from "../ops/users/plan";
import { loadEngines, loadPlan } from "./common";
import { MIGRATE_USERS_CLI, runCli, UsageError } from "./options";
import { runUsersActions, serversOfPlan } from "./users-run";

// Step 1 logs in as `default` first (admin does not exist yet), later steps as admin first, and
// step 4 as admin only: default goes off over a login that still works after it.
const LOGIN_ORDER: Record<MigrationStep, LoginOrder> = { 1: "default-first", 2: "admin-first", 3: "admin-first", 4: "admin-only" };

runCli(MIGRATE_USERS_CLI, async (options) => {
    if (options.step === "1b") return scriptsStep(options);
    const step = Number(options.step) as MigrationStep;
    const plan = loadPlan(options.stack);
    const actions = migrationStep(step, serversOfPlan(plan), { appWrites: options["app-writes"] });
    const results = await runUsersActions(plan, actions, {
        loginOrder: LOGIN_ORDER[step],
        timeoutSeconds: options.timeout,
        dryRun: options["dry-run"],
    });
    const changed = results.filter((r) => r.changed).length;
    console.log(
        `step ${step} (${STEP_TITLES[step]}): ${options["dry-run"] ? "dry run" : `${changed} of ${results.length} actions changed something`}`,
    );
});

/** Step 1b: the users scripts into the running containers (ops/users/container-scripts.ts). */
async function scriptsStep(options: { stack?: string; timeout: number; "dry-run": boolean }): Promise<void> {
    if (!options.stack) throw new UsageError("step 1b renders the scripts from the stack's settings: name it with --stack <name>");
    const settings = settingsFromStackFile(options.stack);
    const plan = loadPlan(options.stack);
    if (options["dry-run"]) {
        for (const s of plan.servers) console.log(`${s.name}: write the users scripts and the admin snapshot into its container`);
        return;
    }
    const tlsEnv = parseTlsEnvironment(process.env);
    const done = await installUsersScripts({
        settings,
        servers: plan.servers.map((s) => ({ name: s.name, kind: s.kind, endpoint: { host: s.host, port: s.port } })),
        adminPassword: parseUserPasswords(process.env).passwords[CLIENT_USERS.tools],
        engines: loadEngines(plan),
        deadlineSeconds: options.timeout,
        ...(tlsEnv ? { tls: connectionMaterial(tlsEnv, "tools") } : {}),
        log: (line) => console.error(line),
    });
    console.log(`step 1b (the users scripts into the running containers): ${done.length} containers updated, none restarted`);
}
