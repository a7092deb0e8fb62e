import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";

/** What the replay deployer remembers of one resource between runs. */
export interface ResourceState {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly outputs: Record<string, unknown>;
    readonly dependencies: readonly string[];
    readonly propertyDependencies: readonly string[];
    readonly deleteBeforeReplace: boolean;
    /** As last registered: the engine decides a delete by the old state's options. */
    readonly retainOnDelete: boolean;
    readonly protect: boolean;
    /**
     * The docker provider (`type::name`) whose engine holds the object; absent for the default
     * engine, so a single-host state reads as before providers existed.
     */
    readonly provider?: string;
    /** Set when the object was created but failed to initialise (a container's wait timed out). */
    readonly initErrors?: readonly string[];
}

export interface ReplayState {
    /** Keyed by `type::name`, in creation order. */
    resources: Record<string, ResourceState>;
}

/**
 * Unlike Pulumi's state, this file is not encrypted: it holds generated passwords in the clear.
 * It is test tooling, written 0600 under a temporary directory and deleted on destroy.
 */
export function loadState(file: string): ReplayState {
    return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as ReplayState) : { resources: {} };
}

export function saveState(file: string, state: ReplayState): void {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify(state, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
}
