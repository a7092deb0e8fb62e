// npm run migrate-users -- --stack <name> --step 1|2|3|4 [--app-writes] [--dry-run] [--timeout 120]
import { LoginOrder } from "../ops/users/login";
import { MigrationStep, migrationStep, STEP_TITLES } from "../ops/users/plan";
import { loadPlan } from "./common";
import { MIGRATE_USERS_CLI, runCli } from "./options";
import { runUsersActions, serversOfPlan } from "./users-run";

// Step 1 logs in as `default` first (admin does not exist yet), later steps as admin first, and
// step 4 as admin only: default goes off over a login that still works after it.
const LOGIN_ORDER: Record<MigrationStep, LoginOrder> = { 1: "default-first", 2: "admin-first", 3: "admin-first", 4: "admin-only" };

runCli(MIGRATE_USERS_CLI, async (options) => {
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
