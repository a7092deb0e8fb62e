import { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, StackConfigObject } from "../config/stack-file";
import { PROJECT, SECRET_KEYS } from "../config/validate";
import { ChangeSummary, Deployer, UpResult } from "./deployer";

/**
 * The live tests' deployer where the Pulumi CLI exists: the Automation API over this project,
 * with a local file backend and a passphrase of the test run's own, so nothing touches a
 * developer's real stacks or Pulumi Cloud.
 */
export class PulumiDeployer implements Deployer {
    readonly kind = "pulumi" as const;
    private readonly stateDir: string;
    private stackRef: Stack | undefined;

    constructor(
        private readonly stack: string,
        runId: string,
    ) {
        this.stateDir = path.join(tmpdir(), `appscreens-pulumi-${runId}`);
    }

    private async select(): Promise<Stack> {
        if (this.stackRef) return this.stackRef;
        mkdirSync(this.stateDir, { recursive: true });
        this.stackRef = await LocalWorkspace.createOrSelectStack(
            { stackName: this.stack, workDir: PROJECT_DIR },
            {
                envVars: {
                    PULUMI_BACKEND_URL: `file://${this.stateDir}`,
                    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "appscreens-live-tests",
                },
                secretsProvider: "passphrase",
            },
        );
        return this.stackRef;
    }

    async up(config: StackConfigObject): Promise<UpResult> {
        const stack = await this.select();
        const flat: Record<string, { value: string; secret: boolean }> = {};
        for (const [key, value] of Object.entries(config)) {
            flat[`${PROJECT}:${key}`] = {
                value: typeof value === "string" ? value : JSON.stringify(value),
                secret: (SECRET_KEYS as readonly string[]).includes(key),
            };
        }
        // Replace the whole config so that keys a test dropped are gone too.
        const current = await stack.getAllConfig();
        const stale = Object.keys(current).filter((k) => !(k in flat));
        if (stale.length) await stack.removeAllConfig(stale);
        // Objects go in as JSON strings: the program reads every value as the string Pulumi hands it.
        for (const [key, v] of Object.entries(flat)) await stack.setConfig(key, v);
        const result = await stack.up({ onOutput: () => undefined });
        const ops = result.summary.resourceChanges ?? {};
        const changes: ChangeSummary = {
            // The Automation API reports counts, not names; names stay empty.
            created: Array.from({ length: ops.create ?? 0 }, () => "created"),
            updated: Array.from({ length: ops.update ?? 0 }, () => "updated"),
            replaced: Array.from({ length: ops.replace ?? 0 }, () => "replaced"),
            deleted: Array.from({ length: ops.delete ?? 0 }, () => "deleted"),
            unchanged: Array.from({ length: ops.same ?? 0 }, () => "same"),
        };
        const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
        return { outputs, changes };
    }

    async destroy(): Promise<void> {
        const stack = await this.select();
        await stack.destroy({ onOutput: () => undefined });
        await stack.workspace.removeStack(this.stack);
        rmSync(this.stateDir, { recursive: true, force: true });
    }
}
