// npm run failover -- --stack <name> [--method handover|sentinel] [--timeout 60]
import { plannedFailover } from "../ops/cluster/planned-failover";
import { loadCredentials, loadPlan } from "./common";
import { FAILOVER_CLI, runCli } from "./options";

runCli(FAILOVER_CLI, async (options) => {
    const { from, to, attempts } = await plannedFailover(loadPlan(options.stack), loadCredentials(options.stack), {
        method: options.method,
        timeoutMs: options.timeout * 1000,
        log: (l) => console.error(l),
    });
    console.log(`master moved: ${from.name} -> ${to.name} (${attempts.length} SENTINEL FAILOVER sent)`);
});
