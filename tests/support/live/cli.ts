import { spawn } from "node:child_process";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { usersEnvironment } from "../../../contracts/users-env";
import { TLS_ENV } from "../../../contracts/env";
import { LiveCluster, TEST_STACK } from "./live-cluster";

export interface CliRun {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/**
 * Runs an operations CLI (`cli/<script>.ts --stack test ...`) as an operator would,
 * with the passwords (and on a TLS stack the tools' TLS material) in the environment, and fails
 * the test if it prints a password or a private key.
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
            if (/PRIVATE KEY/.test(stdout + stderr)) return reject(new Error(`${script} printed a private key`));
            resolve({ code: code ?? -1, stdout, stderr });
        });
    });
}

/**
 * The logins an operator hands the tools: on a users stack the tools' own (`admin`) in the
 * secret USERS_ENV, as docs/cli.md says; otherwise the two `default` passwords. On a TLS stack,
 * APPSCREENS_TLS from the `tlsToolsEnvironment` output, as docs/tls.md says.
 */
function loginEnvironment(cluster: LiveCluster): Record<string, string | undefined> {
    const { adminUser, adminPassword, redisPassword, sentinelPassword } = cluster.outputs;
    const tools = (cluster.outputs as { tlsToolsEnvironment?: string }).tlsToolsEnvironment;
    const tls = tools ? { [TLS_ENV]: tools } : {};
    if (adminUser && adminPassword) return { ...usersEnvironment({ tools: { user: adminUser, password: adminPassword } }), ...tls };
    return { REDIS_PASSWORD: redisPassword, REDIS_SENTINEL_PASSWORD: sentinelPassword, ...tls };
}
