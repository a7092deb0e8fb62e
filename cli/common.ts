import { execFileSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { z } from "zod";
import { PROJECT_DIR, settingsFromStackFile } from "../settings/stack-file";
import { ClientTls, Credentials } from "../ops/redis/connect";
import { buildPostDeployPlan, parsePostDeployPlan, PostDeployPlan } from "../contracts/plan";
import { parseCheckedJson } from "../contracts/checked-json";
import { DOCKER_TLS_ENV, PASSWORD_ENV, PLAN_ENV, USERS_ENV } from "../contracts/env";
import { connectionMaterial, parseTlsEnvironment, TlsClientEnv } from "../contracts/tls-env";
import { parseUsersEnvironment, UsersCredentials } from "../contracts/users-env";
import { parseDockerTls } from "../contracts/docker-hosts";
import { DockerEngines, enginesOf } from "../ops/docker/engines";
import { UsageError } from "./options";
import { ProgressEvent } from "../ops/warm/warmer";

/** The plan from the post-deploy command's environment, or from `Pulumi.<stack>.yaml`. */
export function loadPlan(stack: string | undefined): PostDeployPlan {
    const fromEnv = process.env[PLAN_ENV];
    if (fromEnv && !stack) return parsePostDeployPlan(fromEnv);
    if (!stack)
        throw new UsageError(`name the stack with --stack <name> (or run from the stack's post-deploy command, which sets ${PLAN_ENV})`);
    return buildPostDeployPlan(settingsFromStackFile(stack));
}

/**
 * The Docker Engines of the plan's servers: the local one, or with `hosts` each host's, tcp:// ones
 * with the PEMs in DOCKER_TLS_ENV (set by the post-deploy command; an operator sets it from the
 * `hostTls` secret).
 */
export function loadEngines(plan: PostDeployPlan): DockerEngines {
    return enginesOf(plan, parseDockerTls(process.env[DOCKER_TLS_ENV]));
}

/**
 * The outputs the CLIs need from `pulumi stack output --json --show-secrets` (index.ts exports
 * more): the two `default` passwords, or on a users stack the tools' login.
 */
const passwordOutputsSchema = z.union([
    z.object({ adminUser: z.string(), adminPassword: z.string() }).transform((o): Credentials => ({
        redisUser: o.adminUser,
        redisPassword: o.adminPassword,
        sentinelUser: o.adminUser,
        sentinelPassword: o.adminPassword,
    })),
    z.object({ redisPassword: z.string(), sentinelPassword: z.string() }),
]);

/** A users stack's logins as the tools use them: the tools' on both kinds of server, the warmer's for warming. */
export function credentialsOfUsers(users: UsersCredentials): Credentials {
    const { tools, warmer } = users;
    return {
        redisUser: tools.user,
        redisPassword: tools.password,
        sentinelUser: tools.user,
        sentinelPassword: tools.password,
        ...(warmer
            ? {
                  warmer: {
                      redisUser: warmer.nodes.user,
                      redisPassword: warmer.nodes.password,
                      sentinelUser: warmer.sentinels.user,
                      sentinelPassword: warmer.sentinels.password,
                  },
              }
            : {}),
    };
}

/**
 * The credentials with a TLS stack's material (TLS_ENV): the tools' certificate on every
 * connection, and the warmer's own on the warmer's (its logins on a users stack, else the same
 * passwords). Without TLS_ENV they are returned as they are.
 */
export function credentialsWithTls(credentials: Credentials, env: TlsClientEnv | undefined): Credentials {
    if (!env) return credentials;
    const as = (who: "tools" | "warmer"): ClientTls => ({ ...connectionMaterial(env, who), renewalWindowHours: env.renewalWindowHours });
    const { warmer, ...tools } = credentials;
    const withTools: Credentials = { ...tools, tls: as("tools") };
    // Without a certificate of its own (an operator who set only the tools'), the warmer uses the tools'.
    if (!warmer && !env.warmer) return withTools;
    return { ...withTools, warmer: { ...(warmer ?? tools), tls: env.warmer ? as("warmer") : as("tools") } };
}

/**
 * Logins from the environment (USERS_ENV on a users stack, else the two `default` passwords), else
 * from the deployed stack's outputs through the Pulumi CLI; on a TLS stack with the material in
 * TLS_ENV, which an operator sets from the `tlsToolsEnvironment` output.
 */
export function loadCredentials(stack: string | undefined): Credentials {
    return credentialsWithTls(loadLogins(stack), parseTlsEnvironment(process.env));
}

function loadLogins(stack: string | undefined): Credentials {
    const users = parseUsersEnvironment(process.env);
    if (users) return credentialsOfUsers(users);
    const redisPassword = process.env[PASSWORD_ENV.redis];
    const sentinelPassword = process.env[PASSWORD_ENV.sentinel];
    if (redisPassword && sentinelPassword) return { redisPassword, sentinelPassword };
    if (!stack)
        throw new UsageError(
            `set ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel} (${USERS_ENV} on a stack with cluster.users.enabled), or name a deployed stack with --stack`,
        );
    const cannotRead = `cannot read the outputs of stack ${stack} with \`pulumi stack output\`; set ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel} instead`;
    let text: string;
    try {
        text = execFileSync("pulumi", ["stack", "output", "--json", "--show-secrets", "--stack", stack], {
            cwd: PROJECT_DIR,
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
        });
    } catch {
        throw new UsageError(cannotRead);
    }
    const outputs = parseCheckedJson(passwordOutputsSchema, text, "(the outputs)");
    if (outputs.ok) return outputs.data;
    throw new UsageError(
        outputs.refusal.kind === "not-json"
            ? cannotRead
            : `stack ${stack} has neither redisPassword/sentinelPassword nor adminUser/adminPassword outputs; has it been deployed?`,
    );
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
