import { EngineEvent, LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import Docker from "dockerode";
import { mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { StackConfigObject } from "../../settings/stack-file";
import { ChangeSummary, checkReplaceTargets, Deployer, DestroyOptions, emptyChangeSummary, UpOptions, UpResult } from "./deployer";
import { keyOfUrn } from "./program-under-mocks";
import { buildConfigJson, prepareWorkDir, removeWorkDir } from "./pulumi-workspace";

/** The part of a resource in an exported deployment (apitype.ResourceV3) this deployer reads. */
interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly retainOnDelete?: boolean;
    readonly outputs?: Record<string, unknown>;
}

/**
 * The URNs `pulumi up --replace` takes for resource keys, looked up among the URNs of the
 * stack's state (a key says nothing of the parents a URN spells out). A key the state does not
 * hold is refused (ReplaceTargetError) as the engine would refuse its URN.
 */
export function urnsForKeys(stateUrns: readonly string[], keys: readonly string[]): string[] {
    const byKey = new Map(stateUrns.map((urn) => [keyOfUrn(urn), urn]));
    checkReplaceTargets(keys, (key) => byKey.has(key));
    return keys.map((key) => byKey.get(key) as string);
}

/** Engine step ops (pkg/resource/deploy/step.go) -> the change summary's lists. */
const OP_LIST: Record<string, keyof ChangeSummary | undefined> = {
    create: "created",
    update: "updated",
    replace: "replaced",
    delete: "deleted",
    same: "unchanged",
};

/** Collects `type::name` per operation from the engine's resource pre-events. */
function summaryCollector(): { onEvent: (e: EngineEvent) => void; summary: ChangeSummary } {
    const summary = emptyChangeSummary();
    const onEvent = (e: EngineEvent) => {
        const meta = e.resourcePreEvent?.metadata;
        if (!meta || meta.type === "pulumi:pulumi:Stack" || meta.type.startsWith("pulumi:providers:")) return;
        const list = OP_LIST[meta.op];
        if (list) summary[list].push(keyOfUrn(meta.urn));
    };
    return { onEvent, summary };
}

/**
 * The live tests' deployer where the Pulumi CLI exists: the Automation API over a throw-away
 * copy of this project (tests/support/pulumi-workspace.ts), with a local file backend and a passphrase
 * of the test run's own, so nothing touches the checkout's stack files, a developer's real stacks
 * or Pulumi Cloud.
 */
export class PulumiDeployer implements Deployer {
    readonly kind = "pulumi" as const;
    private readonly stateDir: string;
    private workDir: string | undefined;
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
        this.workDir = prepareWorkDir();
        this.stackRef = await LocalWorkspace.createOrSelectStack(
            { stackName: this.stack, workDir: this.workDir },
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

    /** Replaces the stack's whole config (keys a test dropped are gone too), keeping its structure. */
    private async configure(config: StackConfigObject): Promise<Stack> {
        const stack = await this.select();
        const wanted = buildConfigJson(config);
        const stale = Object.keys(await stack.getAllConfig()).filter((k) => !(k in wanted));
        if (stale.length) await stack.removeAllConfig(stale);
        await stack.setAllConfigJson(JSON.stringify(wanted));
        return stack;
    }

    /** The URNs for `options.replace`, from the stack's state; none without a replace. */
    private async replaceUrns(stack: Stack, options: UpOptions): Promise<string[]> {
        if (!options.replace?.length) return [];
        const deployment = await stack.exportStack();
        const resources = (deployment.deployment as { resources?: StateResource[] } | undefined)?.resources ?? [];
        return urnsForKeys(
            resources.map((r) => r.urn),
            options.replace,
        );
    }

    async up(config: StackConfigObject, options: UpOptions = {}): Promise<UpResult> {
        const stack = await this.configure(config);
        const replace = await this.replaceUrns(stack, options);
        const { onEvent, summary } = summaryCollector();
        const result = await stack.up({ onOutput: () => undefined, onEvent, ...(replace.length ? { replace } : {}) });
        const outputs = Object.fromEntries(Object.entries(result.outputs).map(([k, v]) => [k, v.value]));
        return { outputs, changes: summary };
    }

    async preview(config: StackConfigObject, options: UpOptions = {}): Promise<ChangeSummary> {
        const stack = await this.configure(config);
        const replace = await this.replaceUrns(stack, options);
        const { onEvent, summary } = summaryCollector();
        await stack.preview({ onOutput: () => undefined, onEvent, ...(replace.length ? { replace } : {}) });
        return summary;
    }

    /**
     * Destroys the stack, then removes the data volumes `retainOnDelete` kept (test tooling leaves
     * no trace, and the next suite must not adopt this one's data): exactly the volumes in this
     * stack's state, read before the destroy. With `keepVolumes` they stay, as after an operator's
     * destroy. Either way the stack and its state are gone: a later `up` creates them anew.
     */
    async destroy(options: DestroyOptions = {}): Promise<void> {
        const stack = await this.select();
        try {
            const deployment = await stack.exportStack();
            const resources = ((deployment.deployment as { resources?: StateResource[] } | undefined)?.resources ?? []).filter(
                (r) => r.type === "docker:index/volume:Volume" && r.retainOnDelete,
            );
            await stack.destroy({ onOutput: () => undefined });
            const docker = new Docker();
            for (const r of options.keepVolumes ? [] : resources) {
                const name = r.outputs?.name;
                if (typeof name === "string") {
                    await docker
                        .getVolume(name)
                        .remove()
                        .catch((err: { statusCode?: number }) => {
                            if (err.statusCode !== 404) throw err;
                        });
                }
            }
            await stack.workspace.removeStack(this.stack);
        } finally {
            rmSync(this.stateDir, { recursive: true, force: true });
            if (this.workDir) removeWorkDir(this.workDir);
            this.workDir = undefined;
            this.stackRef = undefined;
        }
    }
}
