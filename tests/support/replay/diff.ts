import { formatPropertyPath, LeafChangeKind, leafChanges, parsePropertyPath, pathContains, resetPaths } from "./property-path";
import { certificateReadyForRenewal, checkKnownInputs, deleteBeforeReplace, propertyBehaviour, UpdateEffect } from "./property-table";

/** The resource options that steer a diff, as the program registered them. */
export interface DiffOptions {
    readonly ignoreChanges: readonly string[];
    readonly replaceOnChanges: readonly string[];
}

/** What else a plan reads besides the inputs and options. */
export interface PlanContext {
    /** The old state's outputs: the tls provider's renewal reads the certificate's end time there. */
    readonly oldOutputs?: Record<string, unknown>;
    /** Plan time, the providers' clock (the tls provider's renewal). */
    readonly now?: Date;
    /** Named in `up --replace`. */
    readonly replaceTarget?: boolean;
}

/**
 * The key the engine blames for a targeted replace (step_generator.go diff: a `--replace` target
 * gets DiffSome with ReplaceKeys ["id"] before the provider is asked).
 */
export const REPLACE_TARGET_KEY = "id";

/** The provider attribute whose planned change replaces a certificate due for renewal. */
export const READY_FOR_RENEWAL_KEY = "readyForRenewal";

/** The engine's diff key for a resource's init errors (step_generator.go initErrorSpecialKey). */
export const INIT_ERROR_KEY = "#initerror";

export interface PropertyChange {
    /** The changed leaf, as the engine's detailed diff names it (`uploads[0].content`). */
    readonly path: string;
    /** Its top-level input property, the unit the providers decide on. */
    readonly property: string;
    readonly kind: LeafChangeKind;
    /**
     * Why it replaces: the provider (its schema, or its plan, as for a certificate due for
     * renewal), the `replaceOnChanges` option, or `up --replace`; undefined for an update.
     */
    readonly replacedBy?: "provider" | "replaceOnChanges" | "replaceTarget";
    /** What the provider's update does, for a change that does not replace. */
    readonly effect?: UpdateEffect;
}

export type ChangeAction = "create" | "same" | "update" | "replace";

export interface ChangePlan {
    readonly action: ChangeAction;
    /** The inputs the provider gets: the new ones with ignored paths set back to their old values. */
    readonly inputs: Record<string, unknown>;
    readonly changes: readonly PropertyChange[];
    /** Distinct effects of the in-place changes (empty unless action is "update"). */
    readonly effects: readonly UpdateEffect[];
    /** ignoreChanges paths that could not be kept (added or removed elements); they take the new value. */
    readonly unresettable: readonly string[];
}

/**
 * What the engine and the provider decide for one resource: create, nothing, an in-place
 * update or a replacement. Follows `pulumi/pulumi` pkg/resource/deploy/step_generator.go
 * (`processIgnoreChanges` before the diff, `applyReplaceOnChanges` after it) and the providers'
 * ForceNew/update split in property-table.ts, with the tls provider's renewal plan
 * (`certificateReadyForRenewal`).
 *
 * A `--replace` target is replaced without a diff, as the engine does (step_generator.go `diff`
 * returns a replace blaming "id" before it asks the provider; `generateSteps` checks the
 * program's inputs against no old state): its inputs are the program's, ignoreChanges keep
 * nothing, and neither input changes nor init errors are looked at.
 */
export function planChange(
    type: string,
    oldInputs: Record<string, unknown> | undefined,
    newInputs: Record<string, unknown>,
    options: DiffOptions,
    hasInitErrors = false,
    context: PlanContext = {},
): ChangePlan {
    checkKnownInputs(type, newInputs);
    // Fail on a bad path before anything is decided, as the engine does when it parses them.
    const replacePaths = options.replaceOnChanges.map(parsePropertyPath);
    options.ignoreChanges.forEach(parsePropertyPath);
    if (!oldInputs) return { action: "create", inputs: newInputs, changes: [], effects: [], unresettable: [] };
    if (context.replaceTarget) {
        const change: PropertyChange = {
            path: REPLACE_TARGET_KEY,
            property: REPLACE_TARGET_KEY,
            kind: "update",
            replacedBy: "replaceTarget",
        };
        return { action: "replace", inputs: newInputs, changes: [change], effects: [], unresettable: [] };
    }

    const { inputs, unresettable } = resetPaths(oldInputs, newInputs, options.ignoreChanges);
    const changes: PropertyChange[] = leafChanges(oldInputs, inputs).map(({ path, kind }) => {
        const property = String(path[0]);
        const behaviour = propertyBehaviour(type, property);
        const base = { path: formatPropertyPath(path), property, kind };
        if (behaviour.change === "replace") return { ...base, replacedBy: "provider" as const };
        if (replacePaths.some((p) => pathContains(p, path))) return { ...base, replacedBy: "replaceOnChanges" as const };
        return { ...base, effect: behaviour.effect };
    });
    if (certificateReadyForRenewal(type, context.oldOutputs, inputs, context.now ?? new Date())) {
        changes.push({ path: READY_FOR_RENEWAL_KEY, property: READY_FOR_RENEWAL_KEY, kind: "update", replacedBy: "provider" });
    }
    if (hasInitErrors && replacePaths.some((p) => pathContains(p, [INIT_ERROR_KEY]))) {
        // applyReplaceOnChanges: a replaceOnChanges path that covers "#initerror" (e.g. "*") replaces it.
        changes.push({ path: INIT_ERROR_KEY, property: INIT_ERROR_KEY, kind: "update", replacedBy: "replaceOnChanges" });
    }
    let action: ChangeAction = changes.length === 0 ? "same" : changes.some((c) => c.replacedBy) ? "replace" : "update";
    // continueStepsFromDiff: an unchanged resource with init errors gets an (empty) update, which
    // for a container does nothing and clears the errors: the unhealthy container is accepted.
    if (action === "same" && hasInitErrors) action = "update";
    const effects = action === "update" ? [...new Set(changes.map((c) => c.effect as UpdateEffect))] : [];
    return { action, inputs, changes, effects, unresettable };
}

/**
 * Whether a replacement deletes first. The engine takes the provider's DeleteBeforeReplace from
 * its diff, unless the program set the option; a `--replace` target has no provider diff, so
 * only the program's option counts there (a container without it is created first).
 */
export function replacementDeletesFirst(
    type: string,
    registration: { deleteBeforeReplace: boolean; deleteBeforeReplaceDefined: boolean },
    plan: ChangePlan,
): boolean {
    const targeted = plan.changes.some((c) => c.replacedBy === "replaceTarget");
    if (targeted) return registration.deleteBeforeReplaceDefined && registration.deleteBeforeReplace;
    return deleteBeforeReplace(type, registration);
}

/** One line per change, for error messages and previews. */
export const describeChanges = (changes: readonly PropertyChange[]): string =>
    changes.map((c) => `${c.path} (${c.kind}${c.replacedBy ? `, replaces: ${c.replacedBy}` : `, update: ${c.effect ?? "?"}`})`).join(", ");
