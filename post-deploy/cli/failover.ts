// npm run failover -- --stack <name> [--method handover|sentinel] [--timeout 60]
import { parseArgs } from "node:util";
import { currentMaster } from "../backup/run-backup";
import { directClient } from "../connect";
import { waitUntil } from "../deadline";
import { plannedFailover } from "../planned-failover";
import { agreedMaster, askSentinel, nodeAnnouncing } from "../sentinels";
import { fail, loadCredentials, loadPlan, required, secondsOption, UsageError } from "./common";

const usage = `Usage: npm run failover -- --stack <name> [options]

A planned failover (before maintenance of the master's host, or to test clients) that loses no
write a replica confirmed: writes are paused on the master (CLIENT PAUSE WRITE) until every
replica has them, then SENTINEL FAILOVER; the pause ends once no replica follows the old master,
which then refuses writes (min-replicas-to-write) until Sentinel makes it a replica. Writes wait
about a second. Waits until every Sentinel names the new master.

Options:
  --stack <name>   Stack whose Pulumi.<name>.yaml and outputs to use.
  --method <m>     handover (default) or sentinel (the bare SENTINEL FAILOVER, which can lose
                   writes a replica confirmed; see README "Operations").
  --timeout <s>    Bound of each wait (default 60).
  --help           Show this help.
Exit status: 0 when the Sentinels agree on a new master, 1 otherwise, 2 on a usage error.`;

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: { stack: { type: "string" }, method: { type: "string" }, timeout: { type: "string" }, help: { type: "boolean" } },
    });
    if (values.help) {
        console.log(usage);
        return;
    }
    const stack = required(values.stack, "name the stack with --stack <name>");
    const method = values.method ?? "handover";
    if (method !== "handover" && method !== "sentinel") throw new UsageError(`--method is handover or sentinel, not ${method}`);
    const timeoutMs = secondsOption(values.timeout, "--timeout", 60);
    const plan = loadPlan(stack);
    const credentials = loadCredentials(stack);
    const master = await currentMaster(plan, credentials);
    const sentinels = plan.sentinelNodes.map((s) => ({ name: s.name, client: directClient(s, credentials.sentinelPassword) }));
    try {
        await plannedFailover(plan, credentials, master, sentinels[0].client, method, { timeoutMs, log: (l) => console.error(l) });
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
}

main().catch((err: unknown) => fail(err, usage));
