// npm run failover -- --stack <name> [--method handover|sentinel] [--timeout 60]
import { currentMaster } from "../ops/backup/run-backup";
import { directSentinel } from "../ops/redis/connect";
import { waitUntil } from "../ops/deadline";
import { plannedFailover } from "../ops/cluster/planned-failover";
import { agreedMaster, askSentinel, nodeAnnouncing } from "../ops/redis/sentinels";
import { sentinelsOf } from "../contracts/plan";
import { loadCredentials, loadPlan } from "./common";
import { FAILOVER_CLI, runCli } from "./options";

runCli(FAILOVER_CLI, async (options) => {
    const timeoutMs = options.timeout * 1000;
    const plan = loadPlan(options.stack);
    const credentials = loadCredentials(options.stack);
    const master = await currentMaster(plan, credentials);
    const sentinels = sentinelsOf(plan).map((s) => ({ name: s.name, client: directSentinel(s, credentials.sentinelPassword) }));
    try {
        await plannedFailover(plan, credentials, master, sentinels[0].client, options.method, { timeoutMs, log: (l) => console.error(l) });
        const address = await waitUntil(
            "every Sentinel naming a new master",
            async () => {
                const answers = await Promise.all(sentinels.map((s) => askSentinel(s.client, s.name, plan.masterName)));
                const agreed = agreedMaster(answers, sentinels.length);
                return agreed && agreed !== master.announced ? agreed : undefined;
            },
            timeoutMs,
        );
        console.log(`master moved: ${master.name} -> ${nodeAnnouncing(plan, address)?.name ?? address}`);
    } finally {
        for (const s of sentinels) s.client.disconnect();
    }
});
