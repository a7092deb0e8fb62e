import { cpSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { PROJECT_DIR, StackConfigObject } from "../../settings/stack-file";
import { PROJECT, STACK_SECRET_KEYS } from "../../settings/validate";

/** One key in the format of `pulumi config --json`, which `pulumi config set-all --json` reads back. */
export interface ConfigJsonValue {
    /** The value as text (objects as JSON), as `pulumi config --json` prints it. */
    readonly value: string;
    /** Present for structured values: the CLI then stores the object itself, with its types. */
    readonly objectValue?: unknown;
    readonly secret: boolean;
}

/**
 * The stack config as `pulumi config set-all --json` takes it (Automation API `setAllConfigJson`).
 * Structured values go in as objects, so the CLI stores them as `pulumi config set --path` would
 * (pkg/cmd/pulumi/config/config.go sets an `objectValue` with path=true), keeping every type:
 * empty lists, numbers, booleans and strings that look like numbers survive, and a later change
 * of one key does not replace the stored map with a JSON string.
 */
export function buildConfigJson(config: StackConfigObject): Record<string, ConfigJsonValue> {
    const out: Record<string, ConfigJsonValue> = {};
    for (const [key, value] of Object.entries(config)) {
        const secret = (STACK_SECRET_KEYS as readonly string[]).includes(key);
        out[`${PROJECT}:${key}`] =
            typeof value === "object" && value !== null
                ? { value: JSON.stringify(value), objectValue: value, secret }
                : { value: String(value), secret };
    }
    return out;
}

/** Names of the checkout that the copy leaves out: stack files, state, dependencies, VCS. */
const NOT_COPIED = [/^Pulumi\..+\.ya?ml$/, /^node_modules$/, /^\.git$/, /^\.pulumi-state$/, /^rendered$/];

/**
 * A throw-away copy of the project for the Automation API to use as its workspace: the program,
 * Pulumi.yaml and the files the program reads, with `node_modules` linked to the checkout's. The
 * CLI writes `Pulumi.<stack>.yaml` there (and `removeStack` deletes it there), never in the
 * checkout. The caller removes it with `removeWorkDir`.
 */
export function prepareWorkDir(projectDir = PROJECT_DIR, parent = tmpdir()): string {
    const workDir = mkdtempSync(path.join(parent, "appscreens-pulumi-project-"));
    cpSync(projectDir, workDir, {
        recursive: true,
        filter: (src) => {
            const rel = path.relative(projectDir, src);
            // Only top-level names are filtered: what is inside an excluded folder is never reached.
            const topLevel = rel !== "" && !rel.includes(path.sep);
            return !(topLevel && NOT_COPIED.some((p) => p.test(rel)));
        },
    });
    symlinkSync(path.join(projectDir, "node_modules"), path.join(workDir, "node_modules"), "dir");
    return workDir;
}

export function removeWorkDir(workDir: string): void {
    rmSync(workDir, { recursive: true, force: true });
}
