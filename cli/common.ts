import { execFileSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { PROJECT_DIR, settingsFromStackFile } from "../settings/stack-file";
import { Credentials, directClient, sentinelClient } from "../ops/redis/connect";
import { readSentinel, sentinelView } from "../ops/warm/reconcile";
import { buildPostDeployPlan, parsePostDeployPlan, PostDeployPlan, sentinelAddresses, Vantage } from "../contracts/plan";
import { PASSWORD_ENV, PLAN_ENV } from "../contracts/env";
import { createSources, topNOf } from "../ops/warm/sources";
import { OptionSpec, UsageError } from "./options";
import { DEFAULT_KEY_SAMPLE, ProgressEvent, warm, WarmReport } from "../ops/warm/warmer";

/** `--stack`, as every operations CLI takes it. */
export const STACK_OPTION = {
    type: "string",
    value: "<name>",
    required: true,
    help: "Stack whose Pulumi.<name>.yaml and outputs to use.",
} as const satisfies OptionSpec;

/** `--stack` of the CLIs the post-deploy command also runs, with the plan in its environment instead. */
export const STACK_OR_PLAN_OPTION = {
    type: "string",
    value: "<name>",
    help: `Stack whose Pulumi.<name>.yaml and outputs to use (not needed where ${PLAN_ENV} holds the plan, as in the post-deploy command).`,
} as const satisfies OptionSpec;

/** Where loadCredentials finds the passwords, for --help. */
export const PASSWORDS_NOTE = `Passwords come from ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel}, or from
\`pulumi stack output --show-secrets\` when those are unset. They are never printed.`;

/** The plan from the post-deploy command's environment, or from `Pulumi.<stack>.yaml`. */
export function loadPlan(stack: string | undefined): PostDeployPlan {
    const fromEnv = process.env[PLAN_ENV];
    if (fromEnv && !stack) return parsePostDeployPlan(fromEnv);
    if (!stack)
        throw new UsageError(`name the stack with --stack <name> (or run from the stack's post-deploy command, which sets ${PLAN_ENV})`);
    return buildPostDeployPlan(settingsFromStackFile(stack));
}

/** Passwords from the environment, else from the deployed stack's outputs through the Pulumi CLI. */
export function loadCredentials(stack: string | undefined): Credentials {
    const redisPassword = process.env[PASSWORD_ENV.redis];
    const sentinelPassword = process.env[PASSWORD_ENV.sentinel];
    if (redisPassword && sentinelPassword) return { redisPassword, sentinelPassword };
    if (!stack) throw new UsageError(`set ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel}, or name a deployed stack with --stack`);
    let outputs: Record<string, unknown>;
    try {
        outputs = JSON.parse(
            execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
                cwd: PROJECT_DIR,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            }),
        ) as Record<string, unknown>;
    } catch {
        throw new UsageError(
            `cannot read the outputs of stack ${stack} with \`pulumi stack output\`; set ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel} instead`,
        );
    }
    if (typeof outputs.redisPassword !== "string" || typeof outputs.sentinelPassword !== "string") {
        throw new UsageError(`stack ${stack} has no redisPassword/sentinelPassword outputs; has it been deployed?`);
    }
    return { redisPassword: outputs.redisPassword, sentinelPassword: outputs.sentinelPassword };
}

/** One updating line on a terminal; a plain line per phase change otherwise (CI, Pulumi logs). */
export function progressPrinter(stream: NodeJS.WriteStream): (event: ProgressEvent) => void {
    const last = new Map<string, string>();
    return (event) => {
        const text = `${event.store}: ${event.phase} ${event.done} apps`;
        if (stream.isTTY) {
            stream.write(`\r${text.padEnd(60)}${event.phase === "done" ? "\n" : ""}`);
        } else if (last.get(event.store) !== event.phase || event.phase === "done") {
            last.set(event.store, event.phase);
            stream.write(`${text}\n`);
        }
    };
}

/**
 * Asks V8 to grow the old generation by 10 % between full collections instead of up to several
 * times: the warmer allocates fast and keeps little, and with V8's default growth its peak heap
 * rose with the length of the run (garbage merely not yet collected). Not `--optimize-for-size`,
 * which did the same for the old generation but also shrank the young one to a few MiB as the
 * run went on: 319 scavenges and 41 full collections (1.5 s) in a warm of 100,000 keys against
 * 67 and 15 (0.6 s) with this flag, and a cost per key that grew with the run (bench/RESULTS.md).
 * The young generation's size cannot be raised from here (V8 fixes its maximum at start-up).
 */
export function preferSmallHeap(): void {
    setFlagsFromString("--heap-growing-percent=10");
}

/** Runs the warmer against the plan's cluster through Sentinel. */
export async function runWarm(
    plan: PostDeployPlan,
    credentials: Credentials,
    options: { force: boolean; vantage: Vantage; progress?: (e: ProgressEvent) => void },
): Promise<WarmReport> {
    let client = sentinelClient(plan, credentials, options.vantage);
    const sentinels = sentinelAddresses(plan, options.vantage);
    const target = {
        client: () => client,
        reresolve: async () => {
            client.disconnect();
            client = sentinelClient(plan, credentials, options.vantage);
        },
        sentinelView: async () => {
            const readings = await Promise.all(
                sentinels.map(async (endpoint) => {
                    const sentinel = directClient(endpoint, credentials.sentinelPassword);
                    try {
                        return await readSentinel(sentinel, `${endpoint.host}:${endpoint.port}`, plan.masterName);
                    } finally {
                        sentinel.disconnect();
                    }
                }),
            );
            return sentinelView(readings, sentinels.length);
        },
    };
    try {
        return await warm(target, createSources(plan.warmer, PROJECT_DIR), {
            ttl: plan.cache,
            topN: topNOf(plan.warmer),
            explicitApps: plan.warmer.apps,
            refreshBelowTtlFraction: plan.warmer.refreshBelowTtlFraction,
            force: options.force,
            batchSize: plan.warmer.batchSize,
            batchesInFlight: plan.warmer.batchesInFlight,
            confirmEveryBatches: plan.warmer.confirmEveryBatches,
            waitTimeoutMs: plan.warmer.waitTimeoutMs,
            waitReplicas: plan.expected.replicas,
            descriptionMaxChars: plan.warmer.descriptionMaxChars,
            // The verifier checks at most this many keys: a larger sample would only grow the report.
            keySampleSize: Math.max(plan.verifier.sampleSize, DEFAULT_KEY_SAMPLE),
            progress: options.progress,
        });
    } finally {
        client.disconnect();
    }
}
