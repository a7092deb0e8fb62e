import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../settings/stack-file";
import { Credentials } from "../ops/redis/connect";
import { postDeployEnvironment, PostDeployPlan } from "../contracts/plan";
import { tlsEnvironment } from "../contracts/tls-env";
import { z } from "zod";
import { warmSummarySchema } from "../contracts/report";
import { WarmSummary } from "../ops/warm/summary";
import { warmCli } from "./side-by-side";

/** What bench/peak-memory.ts writes into BENCH_MEMORY_FILE in the child. */
const memorySchema = z.strictObject({ peakRssBytes: z.number(), peakHeapBytes: z.number() });

export interface ChildRun {
    readonly summary: WarmSummary;
    readonly peakRssBytes: number;
    readonly peakHeapBytes: number;
}

/**
 * Node's flags for the child: BENCH_NODE_FLAGS, and for another checkout BENCH_BASELINE_NODE_FLAGS
 * when set (the same code under two sets of flags, e.g. a young generation size, side by side).
 */
function nodeFlags(projectDir: string): string {
    const flags = process.env.BENCH_NODE_FLAGS ?? "";
    return projectDir === PROJECT_DIR ? flags : (process.env.BENCH_BASELINE_NODE_FLAGS ?? flags);
}

/**
 * TLS_ENV for the child from credentials as cli/common.ts credentialsWithTls builds them: the CA,
 * the tools' certificate (the credentials' own) and the warmer's (`credentials.warmer`'s) when each
 * has one. Empty without TLS: the child connects in plain text, as before.
 */
export function tlsEnvironmentOf(credentials: Credentials): Record<string, string> {
    const { tls } = credentials;
    if (!tls) return {};
    const pair = (m: { cert?: string; key?: string } | undefined) => (m?.cert && m.key ? { cert: m.cert, key: m.key } : undefined);
    const tools = pair(tls);
    const warmer = pair(credentials.warmer?.tls);
    return tlsEnvironment({
        ca: tls.ca,
        ...(tools ? { tools } : {}),
        ...(warmer ? { warmer } : {}),
        renewalWindowHours: tls.renewalWindowHours,
    });
}

/**
 * Runs `npm run warm`'s CLI (cli/warm.ts --force --json) in a child process, the way
 * the post-deploy command does (plan, passwords and on a TLS stack its certificates in its
 * environment), and reads back its report and its peak memory. `projectDir` is the checkout whose CLI runs (another one for a
 * before/after comparison, bench/side-by-side.ts).
 */
export async function warmInChild(
    plan: PostDeployPlan,
    credentials: Credentials,
    projectDir = PROJECT_DIR,
    /** More for the child: node flags (a preload) and environment (where the preload writes). */
    extra: { nodeFlags?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
): Promise<ChildRun> {
    const dir = mkdtempSync(path.join(tmpdir(), "appscreens-bench-mem-"));
    const memoryFile = path.join(dir, "memory.json");
    try {
        const stdout = await new Promise<string>((resolve, reject) => {
            const child = spawn(
                process.execPath,
                [
                    ...nodeFlags(projectDir).split(" ").filter(Boolean),
                    ...(extra.nodeFlags ?? []),
                    "--import",
                    "tsx",
                    "--import",
                    "./bench/peak-memory.ts",
                    warmCli(projectDir),
                    "--force",
                    "--json",
                ],
                {
                    cwd: projectDir,
                    env: {
                        ...process.env,
                        ...postDeployEnvironment(plan, credentials),
                        ...tlsEnvironmentOf(credentials),
                        BENCH_MEMORY_FILE: memoryFile,
                        ...extra.env,
                    },
                    stdio: ["ignore", "pipe", "pipe"],
                },
            );
            let out = "";
            let err = "";
            child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
            child.stderr.on("data", (c: Buffer) => (err += c.toString("utf8")));
            child.on("error", reject);
            child.on("close", (code) =>
                code === 0 ? resolve(out) : reject(new Error(`warm exited ${code}: ${err.slice(-2000)}\n${out.slice(-2000)}`)),
            );
        });
        const memory = memorySchema.parse(JSON.parse(readFileSync(memoryFile, "utf8")));
        // The CLI's --json output is the warm summary of the post-deploy report's schema: checked, not assumed.
        return { summary: warmSummarySchema.parse(JSON.parse(stdout)), ...memory };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
