import Docker from "dockerode";
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { flattenConfig, StackConfigObject } from "../../config/stack-file";
import { SECRET_KEYS } from "../../config/validate";
import { ChangeSummary, Deployer, UpResult } from "../deployer";
import { Registration, resourceKey, runProgramUnderMocks, unwrapSecrets } from "../program-under-mocks";
import { createResource, deleteResource, updateResource, updatesInPlace } from "./docker-apply";
import { applyIgnoreChanges } from "./ignore-changes";
import { loadState, ReplayState, ResourceState, saveState } from "./state";

const hashInputs = (inputs: unknown): string => createHash("sha256").update(JSON.stringify(inputs)).digest("hex");

/**
 * A test tool standing in for `pulumi up` where no Pulumi CLI can be installed. It runs index.ts
 * under the SDK's mocks and, as each resource is registered, makes the real Docker object.
 *
 * Pulumi semantics it follows: resources are created in dependency order (the SDK registers a
 * resource only once its dependencies exist) and independent ones concurrently; a resource whose
 * resolved inputs are unchanged is left alone; a changed one is replaced (every input forces
 * replacement, as almost every `docker.Container` input does), delete-first when
 * `deleteBeforeReplace` is set (after deleting what takes its outputs as inputs), create-first
 * otherwise;
 * resources no longer declared are deleted, dependents first; a program that throws fails the
 * `up` before anything is created or deleted; `destroy` deletes in reverse dependency order.
 *
 * What it does not do: previews, diffs of individual properties (in-place updates), refresh of
 * drifted objects, provider-computed outputs other than ids and image ids, encryption of secrets
 * in its state file (it is 0600 in a temporary directory and deleted on destroy), and resource
 * types the program does not use.
 */
export class ReplayDeployer implements Deployer {
    readonly kind = "replay" as const;
    private readonly docker = new Docker();
    private readonly stateFile: string;
    /** Resources this `up` deleted as dependents of a delete-first replacement: re-creating them is a replace. */
    private readonly removedAsDependents = new Set<string>();

    constructor(
        private readonly stack: string,
        private readonly runId: string,
        stateDir = path.join(tmpdir(), `appscreens-replay-${runId}`),
    ) {
        this.stateFile = path.join(stateDir, `${stack}.json`);
    }

    async up(config: StackConfigObject): Promise<UpResult> {
        const state = loadState(this.stateFile);
        this.removedAsDependents.clear();
        const changes: ChangeSummary = { created: [], updated: [], replaced: [], deleted: [], unchanged: [] };
        const declared = new Set<string>();
        const registrations = new Map<string, Registration>();
        // A failed resource would otherwise surface only as an unhandled rejection inside the SDK.
        let fail: (err: unknown) => void = () => undefined;
        const failed = new Promise<never>((_, reject) => (fail = reject));
        const mocks: pulumi.runtime.Mocks = {
            newResource: async (args) => {
                const key = resourceKey(args.type, args.name);
                declared.add(key);
                if (!args.custom) return { id: undefined, state: {} };
                const registration = registrations.get(key);
                if (!registration) throw new Error(`no registration recorded for ${key}`);
                try {
                    const outputs = await this.apply(state, registration, unwrapSecrets(args.inputs) as Record<string, unknown>, changes);
                    return { id: String(outputs.id ?? `${args.name}-id`), state: outputs };
                } catch (err) {
                    fail(new Error(`${key}: ${err instanceof Error ? err.message : String(err)}`));
                    throw err;
                }
            },
            call: (args) => {
                throw new Error(`the replay deployer does not support function calls (${args.token})`);
            },
        };
        const secretKeys = SECRET_KEYS.filter((k) => k in config);
        try {
            const run = await Promise.race([
                runProgramUnderMocks(this.stack, flattenConfig(config, secretKeys), mocks, registrations),
                failed,
            ]);
            for (const key of this.reverseOrder(state).filter((k) => !declared.has(k))) {
                await this.remove(state, key);
                changes.deleted.push(key);
            }
            return { outputs: run.outputs, changes };
        } finally {
            saveState(this.stateFile, state);
        }
    }

    async destroy(): Promise<void> {
        const state = loadState(this.stateFile);
        try {
            for (const key of this.reverseOrder(state)) await this.remove(state, key);
        } finally {
            saveState(this.stateFile, state);
        }
        rmSync(path.dirname(this.stateFile), { recursive: true, force: true });
    }

    private async apply(
        state: ReplayState,
        registration: Registration,
        inputs: Record<string, unknown>,
        changes: ChangeSummary,
    ): Promise<Record<string, unknown>> {
        const key = resourceKey(registration.type, registration.name);
        const previous = state.resources[key];
        inputs = applyIgnoreChanges(inputs, previous?.inputs, registration.ignoreChanges);
        const inputsHash = hashInputs(inputs);
        if (previous && previous.inputsHash === inputsHash) {
            changes.unchanged.push(key);
            return previous.outputs;
        }
        const record = (outputs: Record<string, unknown>): ResourceState => ({
            type: registration.type,
            name: registration.name,
            inputsHash,
            inputs,
            outputs,
            dependencies: registration.dependencies,
            propertyDependencies: registration.propertyDependencies,
            deleteBeforeReplace: registration.deleteBeforeReplace,
        });
        // Outputs are computed before the state is touched: other resources are applied concurrently.
        let outputs: Record<string, unknown>;
        if (!previous) {
            outputs = await createResource(this.docker, registration.type, inputs, this.runId);
            (this.removedAsDependents.has(key) ? changes.replaced : changes.created).push(key);
        } else if (updatesInPlace(registration.type, previous.inputs, inputs)) {
            outputs = await updateResource(registration.type, inputs);
            changes.updated.push(key);
        } else if (registration.deleteBeforeReplace) {
            // Like Pulumi, what takes this resource's outputs as inputs goes first (and comes back
            // when the program declares it again); what merely dependsOn it stays.
            await this.remove(state, key, (s) => s.propertyDependencies);
            outputs = await createResource(this.docker, registration.type, inputs, this.runId);
            changes.replaced.push(key);
        } else {
            outputs = await createResource(this.docker, registration.type, inputs, this.runId);
            await deleteResource(this.docker, previous.type, previous);
            changes.replaced.push(key);
        }
        state.resources[key] = record(outputs);
        saveState(this.stateFile, state);
        return outputs;
    }

    /** Deletes a resource after everything in the state that depends on it (by `edges`). */
    private async remove(
        state: ReplayState,
        key: string,
        edges: (s: ResourceState) => readonly string[] = (s) => s.dependencies,
    ): Promise<void> {
        const entry = state.resources[key];
        if (!entry) return;
        for (const [other, s] of Object.entries(state.resources)) {
            if (edges(s).includes(key)) {
                await this.remove(state, other, edges);
                this.removedAsDependents.add(other);
            }
        }
        await deleteResource(this.docker, entry.type, entry);
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
