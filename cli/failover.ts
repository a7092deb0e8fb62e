// npm run failover -- --stack <name> [--method handover|sentinel] [--timeout 60]
import { currentMaster } from "../ops/backup/run-backup";
import { directClient } from "../ops/redis/connect";
import { waitUntil } from "../ops/deadline";
import { FAILOVER_METHODS, plannedFailover } from "../ops/cluster/planned-failover";
import { agreedMaster, askSentinel, nodeAnnouncing } from "../ops/redis/sentinels";
import { sentinelsOf } from "../contracts/plan";
import { loadCredentials, loadPlan, PASSWORDS_NOTE, STACK_OPTION } from "./common";
import { defineCli, runCli } from "./options";

const cli = defineCli({
    command: "npm run failover --",
    summary: `A planned failover (before maintenance of the master's host, or to test clients) that loses no
write a replica confirmed: writes are paused on the master (CLIENT PAUSE WRITE) until every
replica has them, then SENTINEL FAILOVER; the pause ends once no replica follows the old master,
which then refuses writes (min-replicas-to-write) until Sentinel makes it a replica. Writes wait
about a second. Waits until every Sentinel names the new master.`,
    options: {
        stack: STACK_OPTION,
        method: {
            type: "choice",
            value: "<m>",
            choices: FAILOVER_METHODS,
            default: "handover",
            help: 'handover or sentinel (the bare SENTINEL FAILOVER, which can lose writes a replica confirmed; see README "Operations").',
        },
        timeout: { type: "seconds", value: "<s>", default: 60, help: "Bound of each wait." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when the Sentinels agree on a new master, 1 otherwise, 2 on a usage error.`,
});

runCli(cli, async (options) => {
    const timeoutMs = options.timeout * 1000;
    const plan = loadPlan(options.stack);
    const credentials = loadCredentials(options.stack);
    const master = await currentMaster(plan, credentials);
    const sentinels = sentinelsOf(plan).map((s) => ({ name: s.name, client: directClient(s, credentials.sentinelPassword) }));
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
