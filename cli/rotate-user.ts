// npm run rotate-user -- --stack <name> --user <name> --phase add|retire [--dry-run] [--timeout 120]
import { rotationPhase } from "../ops/users/plan";
import { loadPlan } from "./common";
import { ROTATE_USER_CLI, runCli } from "./options";
import { runUsersActions, serversOfPlan } from "./users-run";

runCli(ROTATE_USER_CLI, async (options) => {
    const plan = loadPlan(options.stack);
    const actions = rotationPhase(options.user, options.phase, serversOfPlan(plan));
    // admin only: a rotation happens on a stack already on users, where default is off.
    const results = await runUsersActions(plan, actions, {
        loginOrder: "admin-only",
        timeoutSeconds: options.timeout,
        dryRun: options["dry-run"],
    });
    const changed = results.filter((r) => r.changed).length;
    console.log(
        `${options.user} ${options.phase}: ${options["dry-run"] ? "dry run" : `${changed} of ${results.length} actions changed something`}`,
    );
});
