import { StackConfigObject } from "../../settings/stack-file";

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

/** Deploys the stack for live tests: through the Pulumi CLI where it exists, by replay here. */
export interface Deployer {
    readonly kind: "pulumi" | "replay";
    up(config: StackConfigObject): Promise<UpResult>;
    /** What an `up` with this config would change, without changing anything (`pulumi preview`). */
    preview(config: StackConfigObject): Promise<ChangeSummary>;
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
