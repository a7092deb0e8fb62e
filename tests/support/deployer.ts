import { StackConfigObject } from "../../settings/stack-file";

/** A resource's key as change summaries, states and `UpOptions.replace` name it: `type::name`. */
export const resourceKey = (type: string, name: string): string => `${type}::${name}`;

/** What one `up` changed, by resource key (`type::name`). */
export interface ChangeSummary {
    readonly created: string[];
    /** Changed in place (the provider's update), not replaced. */
    readonly updated: string[];
    readonly replaced: string[];
    readonly deleted: string[];
    readonly unchanged: string[];
}

export const emptyChangeSummary = (): ChangeSummary => ({ created: [], updated: [], replaced: [], deleted: [], unchanged: [] });

/** Whether a change summary changes nothing (`pulumi preview --expect-no-changes` passes). */
export const changesNothing = (c: ChangeSummary): boolean =>
    c.created.length === 0 && c.updated.length === 0 && c.replaced.length === 0 && c.deleted.length === 0;

export interface UpResult {
    /** Stack outputs with secrets revealed (test tooling only). */
    readonly outputs: Record<string, unknown>;
    readonly changes: ChangeSummary;
}

export interface UpOptions {
    /**
     * Resource keys (`resourceKey(type, name)`) to replace even if nothing about them changed,
     * as `pulumi up --replace <urn>` does: each must be in the stack's state already.
     */
    readonly replace?: readonly string[];
}

/**
 * `up --replace` named resources the stack's state does not hold: the engine refuses the whole
 * run before the program starts (deployment_executor.go checkTargets), and so do the deployers.
 */
export class ReplaceTargetError extends Error {
    readonly kind = "unknown-replace-target" as const;
    constructor(readonly keys: readonly string[]) {
        super(`cannot replace resources the stack does not hold: ${keys.join(", ")}`);
        this.name = "ReplaceTargetError";
    }
}

/** The keys of `replace` that are not in `known`, refused together as the engine reports them. */
export function checkReplaceTargets(replace: readonly string[], known: (key: string) => boolean): void {
    const unknown = replace.filter((k) => !known(k));
    if (unknown.length > 0) throw new ReplaceTargetError(unknown);
}

/** Deploys the stack for live tests: through the Pulumi CLI where it exists, by replay here. */
export interface Deployer {
    readonly kind: "pulumi" | "replay";
    up(config: StackConfigObject, options?: UpOptions): Promise<UpResult>;
    /** What an `up` with this config (and options) would change, without changing anything (`pulumi preview`). */
    preview(config: StackConfigObject, options?: UpOptions): Promise<ChangeSummary>;
    /**
     * `pulumi destroy`. Test tooling removes the data volumes `retainOnDelete` kept as well,
     * unless `keepVolumes` asks for what an operator's destroy leaves (a later `up` is then a
     * stack re-created on them).
     */
    destroy(options?: DestroyOptions): Promise<void>;
}

export interface DestroyOptions {
    readonly keepVolumes?: boolean;
}
