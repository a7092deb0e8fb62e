import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { flattenConfig, StackConfigObject } from "../../../settings/stack-file";
import { STACK_SECRET_KEYS } from "../../../settings/validate";
import { ChangeSummary, checkReplaceTargets, Deployer, emptyChangeSummary, UpOptions, UpResult } from "../deployer";
import { Registration, resourceKey, runProgramUnderMocks, unwrapSecrets } from "../program-under-mocks";
import { ContainerInitError, createResource, deleteResource, updateResource } from "./docker-apply";
import { ChangePlan, planChange, replacementDeletesFirst } from "./diff";
import { DOCKER_PROVIDER, EngineRoutes, ProviderEndpoint } from "./engines";
import { deleteBeforeReplace } from "./property-table";
import { loadState, ReplayState, ResourceState, saveState } from "./state";

/** The engine's messages for a protected resource (pkg/resource/deploy/step_generator.go, step.go). */
export const protectedReplaceMessage = (key: string): string =>
    `unable to replace resource "${key}"\nas it is currently marked for protection. To unprotect the resource, ` +
    "remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`";
export const protectedDeleteMessage = (key: string): string =>
    `resource "${key}" cannot be deleted\nbecause it is protected. To unprotect the resource, ` +
    "either remove the `protect` flag from the resource in your Pulumi program and run `pulumi up`";

export class ProtectedResourceError extends Error {
    readonly kind = "protected-resource" as const;
    constructor(
        readonly key: string,
        readonly operation: "replace" | "delete",
    ) {
        super(operation === "replace" ? protectedReplaceMessage(key) : protectedDeleteMessage(key));
        this.name = "ProtectedResourceError";
    }
}

export interface ReplayOptions {
    /**
     * The providers' clock: when a plan runs (the tls provider's renewal window) and a new
     * certificate's not-before. Real time unless a unit test moves it; a live test should not
     * (certificates dated in the future would be refused): it renews with `up`'s `replace`.
     */
    readonly now?: () => Date;
}

/** `up --replace` of a docker provider: what the engine would do to the resources on it is not modelled. */
export class UnmodelledReplaceError extends Error {
    readonly kind = "unmodelled-replace" as const;
    constructor(readonly keys: readonly string[]) {
        super(`the replay deployer does not model replacing a docker provider (${keys.join(", ")})`);
        this.name = "UnmodelledReplaceError";
    }
}

/** Placeholder outputs a preview hands the program for what does not exist yet (the engine's unknowns). */
const previewOutputs = (name: string, inputs: Record<string, unknown>): Record<string, unknown> => ({
    ...inputs,
    id: `${name}-preview-id`,
    result: "preview-placeholder-password",
    imageId: "sha256:preview",
    stdout: "",
    stderr: "",
});

/**
 * A test tool standing in for `pulumi up` where no Pulumi CLI can be installed. It runs index.ts
 * under the SDK's mocks and, as each resource is registered, makes the real Docker object.
 *
 * Pulumi semantics it follows: resources are created in dependency order (the SDK registers a
 * resource only once its dependencies exist) and independent ones concurrently; changes are
 * diffed per property as the engine and the providers do (diff.ts, property-table.ts, read from
 * their source: docs/provider-behaviour.md): `ignoreChanges` keeps old values (on a replacement
 * too), `replaceOnChanges` and the providers' ForceNew properties replace, any other change is an
 * in-place update doing what the provider's update does (nothing for a container's healthcheck,
 * `docker update` for its restart policy, `update` or else `create` again with the new inputs for
 * a local.Command); a replacement is delete-first when the program's `deleteBeforeReplace` says
 * so, or, when it does not say, when the provider does (pulumi-docker: every container) (after
 * deleting what takes its outputs as inputs), create-first otherwise; resources no longer
 * declared are deleted, dependents first; `protect` refuses deletes and replacements with the
 * engine's message; `retainOnDelete` forgets the object instead of deleting it; a program that
 * throws fails the `up` before anything is created or deleted; after a failed resource nothing
 * new starts and the `up` fails once what was under way has finished; `destroy` deletes in reverse
 * dependency order. `preview` makes the same decisions without touching Docker or running
 * commands. A container's `wait` behaves as the provider's: it polls health until `waitTimeout`
 * without noticing an exited container, fails with the provider's message and no logs, and
 * leaves the container in the state with init errors; the next `up` gives it an empty update
 * (accepting it as it is) unless a `replaceOnChanges` path covers "#initerror" (e.g. "*").
 *
 * What it does not do: refresh of drifted objects (nothing is read back, so the provider's
 * read-back forms never show up as a diff here: tests/support/provider-normalise.ts checks the
 * declared values instead), provider-computed outputs other than ids and image ids, a create-first
 * replacement whose new object fails to initialise (the engine keeps the old one pending delete),
 * encryption of secrets in its state file (it is 0600 in a temporary directory and deleted on
 * destroy), and resource types the program does not use.
 *
 * Providers: a resource declared with a `docker.Provider` goes to the engine at that provider's
 * `host` (engines.ts), one without to the machine's engine as always. Each provider is configured
 * as the engine configures it, on its registration (in a preview too) and before a delete of one
 * of its objects: a ping, failing with the provider's message and naming the host. The provider a
 * resource was made with is kept in the state, so updates, deletes and `destroy` reach the same
 * engine. A provider's own changes are recorded as updates; what a changed `host` would do to the
 * resources on it (the engine's providerChanged and the provider's DiffConfig) is not modelled.
 *
 * `up --replace` (`UpOptions.replace`): every key must be in the state, or the run fails before
 * the program starts (ReplaceTargetError), as the engine's checkTargets does; a docker provider
 * cannot be named (not modelled). A named resource the program declares is replaced with the
 * program's inputs whatever changed (diff.ts planChange), delete-first only when the program's
 * `deleteBeforeReplace` says so (replacementDeletesFirst), refused when protected; what takes
 * its new outputs then follows by the ordinary diff. A named resource the program no longer
 * declares is simply deleted, as by the engine. The tls provider's renewal is planned with
 * `ReplayOptions.now`.
 */
export class ReplayDeployer implements Deployer {
    readonly kind = "replay" as const;
    private readonly stateFile: string;
    /** Resources this `up` deleted as dependents of a delete-first replacement: re-creating them is a replace. */
    private readonly removedAsDependents = new Set<string>();

    constructor(
        private readonly stack: string,
        private readonly runId: string,
        stateDir = path.join(tmpdir(), `appscreens-replay-${runId}`),
        private readonly engines = new EngineRoutes(),
        private readonly options: ReplayOptions = {},
    ) {
        this.stateFile = path.join(stateDir, `${stack}.json`);
    }

    async up(config: StackConfigObject, options: UpOptions = {}): Promise<UpResult> {
        this.engines.newRun();
        const state = this.loadState();
        const replace = this.replaceTargets(state, options);
        this.removedAsDependents.clear();
        const changes = emptyChangeSummary();
        try {
            const { outputs, declared } = await this.runProgram(config, (registration, inputs) =>
                this.apply(state, registration, inputs, changes, replace),
            );
            const undeclared = this.reverseOrder(state).filter((k) => !declared.has(k));
            // The engine refuses the whole set of deletes up front if one is protected.
            for (const key of undeclared) if (state.resources[key]?.protect) throw new ProtectedResourceError(key, "delete");
            for (const key of undeclared) {
                await this.remove(state, key);
                changes.deleted.push(key);
            }
            return { outputs, changes };
        } finally {
            saveState(this.stateFile, state);
        }
    }

    /**
     * What `up` would do with this config, decided exactly as `up` decides, without touching
     * Docker or running commands (`pulumi preview`). Resources that would be created or replaced
     * get placeholder outputs, as the engine gives unknowns.
     */
    async preview(config: StackConfigObject, options: UpOptions = {}): Promise<ChangeSummary> {
        this.engines.newRun();
        const state = this.loadState();
        const replace = this.replaceTargets(state, options);
        const changes = emptyChangeSummary();
        this.removedAsDependents.clear();
        const { declared } = await this.runProgram(
            config,
            async (registration, inputs) => {
                if (registration.type === DOCKER_PROVIDER) return this.applyProvider(state, registration, inputs, changes, false);
                const key = resourceKey(registration.type, registration.name);
                const previous = state.resources[key];
                const plan = this.plan(key, registration, previous, inputs, replace);
                this.checkProtect(key, plan, previous, registration);
                this.record(changes, key, plan);
                if (!previous || plan.action === "replace") return previewOutputs(registration.name, plan.inputs);
                return { ...previous.outputs, ...plan.inputs };
                // A dry run, as `pulumi preview` is: the program sees isDryRun() (a hosts stack previews, and only previews).
            },
            true,
        );
        const undeclared = this.reverseOrder(state).filter((k) => !declared.has(k));
        // A preview fails on a protected delete too (DeleteStep.Apply checks before its dry-run branch).
        for (const key of undeclared) if (state.resources[key]?.protect) throw new ProtectedResourceError(key, "delete");
        changes.deleted.push(...undeclared);
        return changes;
    }

    /** Like `pulumi destroy`: `retainOnDelete` volumes stay whatever the options say (live tests sweep them). */
    async destroy(): Promise<void> {
        this.engines.newRun();
        const state = this.loadState();
        try {
            const keys = this.reverseOrder(state);
            for (const key of keys) if (state.resources[key].protect) throw new ProtectedResourceError(key, "delete");
            for (const key of keys) await this.remove(state, key);
        } finally {
            saveState(this.stateFile, state);
        }
        rmSync(path.dirname(this.stateFile), { recursive: true, force: true });
    }

    /** `options.replace` as a set, each key checked against the state before anything runs. */
    private replaceTargets(state: ReplayState, options: UpOptions): ReadonlySet<string> {
        const replace = options.replace ?? [];
        checkReplaceTargets(replace, (key) => key in state.resources);
        const providers = replace.filter((key) => state.resources[key].type === DOCKER_PROVIDER);
        if (providers.length > 0) {
            throw new UnmodelledReplaceError(providers);
        }
        return new Set(replace);
    }

    /** The engine's and provider's decision for one resource, at the providers' clock. */
    private plan(
        key: string,
        registration: Registration,
        previous: ResourceState | undefined,
        inputs: Record<string, unknown>,
        replace: ReadonlySet<string>,
    ): ChangePlan {
        return planChange(registration.type, previous?.inputs, inputs, registration, Boolean(previous?.initErrors?.length), {
            oldOutputs: previous?.outputs,
            now: this.now(),
            replaceTarget: replace.has(key),
        });
    }

    private now(): Date {
        return this.options.now ? this.options.now() : new Date();
    }

    /** The state, with the engines of the providers it recorded known again (a destroy runs no program). */
    private loadState(): ReplayState {
        const state = loadState(this.stateFile);
        for (const [key, entry] of Object.entries(state.resources)) {
            if (entry.type === DOCKER_PROVIDER) this.engines.remember(key, entry.inputs as ProviderEndpoint);
        }
        return state;
    }

    /**
     * A docker provider's registration, in an `up` or a preview: configured (pinged) as the engine
     * does before anything of it is touched, and kept in the state for later runs.
     */
    private async applyProvider(
        state: ReplayState,
        registration: Registration,
        inputs: Record<string, unknown>,
        changes: ChangeSummary,
        save: boolean,
    ): Promise<Record<string, unknown>> {
        const key = resourceKey(registration.type, registration.name);
        await this.engines.configure(key, inputs as ProviderEndpoint);
        const previous = state.resources[key];
        const action = !previous ? "create" : JSON.stringify(previous.inputs) === JSON.stringify(inputs) ? "same" : "update";
        this.record(changes, key, { action, inputs, changes: [], effects: [], unresettable: [] });
        const outputs = { ...inputs, id: previous?.outputs.id ?? `${registration.name}-provider-id` };
        if (save) {
            state.resources[key] = {
                type: registration.type,
                name: registration.name,
                inputs,
                outputs,
                dependencies: registration.dependencies,
                propertyDependencies: registration.propertyDependencies,
                deleteBeforeReplace: false,
                retainOnDelete: false,
                protect: registration.protect,
            };
            saveState(this.stateFile, state);
        }
        return outputs;
    }

    /** Runs index.ts under mocks, handing each custom resource's registration and inputs to `onResource`. */
    private async runProgram(
        config: StackConfigObject,
        onResource: (registration: Registration, inputs: Record<string, unknown>) => Promise<Record<string, unknown>>,
        dryRun = false,
    ): Promise<{ outputs: Record<string, unknown>; declared: Set<string> }> {
        const declared = new Set<string>();
        const registrations = new Map<string, Registration>();
        // A failed resource would otherwise surface only as an unhandled rejection inside the SDK.
        let fail: (err: unknown) => void = () => undefined;
        const failed = new Promise<never>((_, reject) => (fail = reject));
        // As the engine does after a failed step: nothing new starts, what is under way finishes,
        // then the run fails with the first error. Otherwise resources that do not depend on the
        // failed one went on being created after `up` had returned (and raced a following destroy).
        let firstFailure: Error | undefined;
        const underWay = new Set<Promise<unknown>>();
        const mocks: pulumi.runtime.Mocks = {
            newResource: async (args) => {
                const key = resourceKey(args.type, args.name);
                declared.add(key);
                if (!args.custom) return { id: undefined, state: {} };
                const registration = registrations.get(key);
                if (!registration) throw new Error(`no registration recorded for ${key}`);
                if (firstFailure) throw new Error(`${key}: not created: an earlier resource failed`);
                const work = onResource(registration, unwrapSecrets(args.inputs) as Record<string, unknown>);
                underWay.add(work);
                try {
                    const outputs = await work;
                    return { id: String(outputs.id ?? `${args.name}-id`), state: outputs };
                } catch (err) {
                    if (!firstFailure) {
                        // The cause keeps the failure's kind (a provider that cannot reach its engine, ...).
                        const failure = new Error(`${key}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
                        firstFailure = failure;
                        void Promise.allSettled([...underWay]).then(() => fail(failure));
                    }
                    throw err;
                } finally {
                    underWay.delete(work);
                }
            },
            call: (args) => {
                throw new Error(`the replay deployer does not support function calls (${args.token})`);
            },
        };
        const secretKeys = STACK_SECRET_KEYS.filter((k) => k in config);
        const run = await Promise.race([
            runProgramUnderMocks(this.stack, flattenConfig(config, secretKeys), mocks, registrations, dryRun),
            failed,
        ]);
        return { outputs: run.outputs, declared };
    }

    /** The engine refuses to replace a resource that is protected in both its old state and the program. */
    private checkProtect(key: string, plan: ChangePlan, previous: ResourceState | undefined, registration: Registration): void {
        if (plan.action === "replace" && previous?.protect && registration.protect) throw new ProtectedResourceError(key, "replace");
    }

    private record(changes: ChangeSummary, key: string, plan: ChangePlan): void {
        const list = {
            create: this.removedAsDependents.has(key) ? changes.replaced : changes.created,
            same: changes.unchanged,
            update: changes.updated,
            replace: changes.replaced,
        }[plan.action];
        list.push(key);
    }

    private async apply(
        state: ReplayState,
        registration: Registration,
        newInputs: Record<string, unknown>,
        changes: ChangeSummary,
        replace: ReadonlySet<string>,
    ): Promise<Record<string, unknown>> {
        if (registration.type === DOCKER_PROVIDER) return this.applyProvider(state, registration, newInputs, changes, true);
        const key = resourceKey(registration.type, registration.name);
        const previous = state.resources[key];
        const plan = this.plan(key, registration, previous, newInputs, replace);
        this.checkProtect(key, plan, previous, registration);
        const { inputs } = plan;
        // Creates and updates go to the provider the program names now; deletes to the one the object was made with.
        const docker = await this.engines.engineFor(registration.provider);
        const record = (outputs: Record<string, unknown>): ResourceState => ({
            type: registration.type,
            name: registration.name,
            inputs,
            outputs,
            dependencies: registration.dependencies,
            propertyDependencies: registration.propertyDependencies,
            deleteBeforeReplace: deleteBeforeReplace(registration.type, registration),
            retainOnDelete: registration.retainOnDelete,
            protect: registration.protect,
            ...(registration.provider ? { provider: registration.provider } : {}),
        });
        // A created object that failed to initialise stays in the state with its errors, as the
        // engine records a partial create; the next `up` decides what happens to it.
        const create = async (): Promise<Record<string, unknown>> => {
            try {
                return await createResource(docker, registration.type, inputs, this.runId, this.now());
            } catch (err) {
                if (err instanceof ContainerInitError) {
                    state.resources[key] = { ...record(err.outputs), initErrors: [err.message] };
                    saveState(this.stateFile, state);
                }
                throw err;
            }
        };
        // Outputs are computed before the state is touched: other resources are applied concurrently.
        let outputs: Record<string, unknown>;
        if (!previous) {
            outputs = await create();
        } else if (plan.action === "same") {
            outputs = previous.outputs;
        } else if (plan.action === "update") {
            outputs = await updateResource(docker, registration.type, previous, inputs, plan.effects);
        } else if (replacementDeletesFirst(registration.type, registration, plan)) {
            // Like Pulumi, what takes this resource's outputs as inputs goes first (and comes back
            // when the program declares it again); what merely dependsOn it stays.
            await this.remove(state, key, (s) => s.propertyDependencies);
            outputs = await create();
        } else {
            outputs = await create();
            if (!previous.retainOnDelete) await deleteResource(await this.engines.engineFor(previous.provider), previous.type, previous);
        }
        this.record(changes, key, plan);
        state.resources[key] = record(outputs);
        saveState(this.stateFile, state);
        return outputs;
    }

    /**
     * Deletes a resource after everything in the state that depends on it (by `edges`); a
     * `retainOnDelete` resource only leaves the state, and a protected dependent stops it.
     */
    private async remove(
        state: ReplayState,
        key: string,
        edges: (s: ResourceState) => readonly string[] = (s) => s.dependencies,
    ): Promise<void> {
        const entry = state.resources[key];
        if (!entry) return;
        for (const [other, s] of Object.entries(state.resources)) {
            if (edges(s).includes(key)) {
                if (s.protect) throw new ProtectedResourceError(other, "replace");
                await this.remove(state, other, edges);
                this.removedAsDependents.add(other);
            }
        }
        if (!entry.retainOnDelete) await deleteResource(await this.engines.engineFor(entry.provider), entry.type, entry);
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- state is keyed by resource
        delete state.resources[key];
        saveState(this.stateFile, state);
    }

    /** Keys ordered so that dependents come before what they depend on. */
    private reverseOrder(state: ReplayState): string[] {
        const ordered: string[] = [];
        const visit = (key: string, seen: Set<string>) => {
            if (seen.has(key) || !state.resources[key]) return;
            seen.add(key);
            for (const dep of state.resources[key].dependencies) visit(dep, seen);
            ordered.push(key);
        };
        const seen = new Set<string>();
        for (const key of Object.keys(state.resources)) visit(key, seen);
        return ordered.reverse();
    }
}
