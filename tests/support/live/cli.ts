import { spawn } from "node:child_process";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { usersEnvironment } from "../../../contracts/users-env";
import { LiveCluster, TEST_STACK } from "./live-cluster";

export interface CliRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs an operations CLI (`cli/<script>.ts --stack test ...`) as an operator would,
 * with the passwords in the environment, and fails the test if it prints either of them.
 */
export function runOpsCli(script: string, cluster: LiveCluster, args: string[], timeoutMs = 240_000): Promise<CliRun> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["--import", "tsx", `cli/${script}.ts`, "--stack", TEST_STACK, ...args], {
            cwd: PROJECT_DIR,
            env: { ...process.env, ...loginEnvironment(cluster) },
        });
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            const { redisPassword, sentinelPassword, adminPassword } = cluster.outputs;
            for (const secret of [redisPassword, sentinelPassword, adminPassword]) {
                if (secret && (stdout.includes(secret) || stderr.includes(secret)))
                    return reject(new Error(`${script} printed a password`));
            }
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/**
 * The logins an operator hands the tools: on a users stack the tools' own (`admin`) in the
 * secret USERS_ENV, as docs/cli.md says; otherwise the two `default` passwords.
 */
function loginEnvironment(cluster: LiveCluster): Record<string, string | undefined> {
    const { adminUser, adminPassword, redisPassword, sentinelPassword } = cluster.outputs;
    if (adminUser && adminPassword) return usersEnvironment({ tools: { user: adminUser, password: adminPassword } });
    return { REDIS_PASSWORD: redisPassword, REDIS_SENTINEL_PASSWORD: sentinelPassword };
}
