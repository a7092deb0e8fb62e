import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { ConfigValue, PROJECT, SECRET_KEYS, StackSettings, TLS_SECRET_KEY, validateStackConfig } from "./validate";

export const PROJECT_DIR = path.resolve(__dirname, "..");

/** The Pulumi runtime's flat config map: `project:key` -> string (objects as JSON). */
export interface FlatConfig {
    readonly values: Record<string, string>;
    readonly secretKeys: string[];
}

export type StackConfigObject = Record<string, unknown>;

/** Reads `Pulumi.<stack>.yaml` as the object under `config:`, with the project prefix removed. */
export function readStackFile(stack: string, dir = PROJECT_DIR): StackConfigObject {
    const file = path.join(dir, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) {
        const known = readdirSync(dir)
            .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
            .filter((s): s is string => s !== undefined);
        throw new Error(`no stack file ${file}; the stacks here are ${known.join(", ")}`);
    }
    const doc = parse(readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
    const out: StackConfigObject = {};
    for (const [key, value] of Object.entries(doc?.config ?? {})) {
        out[key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key] = value;
    }
    return out;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge for config overrides in tests: objects merge, anything else replaces. */
export function mergeConfig(base: StackConfigObject, override: StackConfigObject): StackConfigObject {
    const out: StackConfigObject = { ...base };
    for (const [key, value] of Object.entries(override)) {
        out[key] = isPlainObject(value) && isPlainObject(out[key]) ? mergeConfig(out[key] as StackConfigObject, value) : value;
    }
    return out;
}

/** Flattens a config object the way `pulumi` hands it to the program; `secretKeys` are unprefixed. */
export function flattenConfig(config: StackConfigObject, secretKeys: readonly string[] = []): FlatConfig {
    const values: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        values[`${PROJECT}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return { values, secretKeys: secretKeys.map((k) => `${PROJECT}:${k}`) };
}

/** A PEM block that stands in for an encrypted one: the file says the PEM is there, not what it is. */
const PLACEHOLDER_PEM = "-----BEGIN PLACEHOLDER-----\nencrypted in the stack file\n-----END PLACEHOLDER-----\n";

/**
 * The `hostTls` secret as the file has it (`secure:` leaves), with each PEM it holds replaced by
 * a placeholder, so validation sees which hosts have which PEMs.
 */
function placeholderTls(value: unknown): ConfigValue | undefined {
    if (value === undefined) return undefined;
    const hosts = isPlainObject(value) ? value : {};
    const placeholders = Object.fromEntries(
        Object.entries(hosts).map(([host, pems]) => [
            host,
            Object.fromEntries(Object.keys(isPlainObject(pems) ? pems : {}).map((part) => [part, PLACEHOLDER_PEM])),
        ]),
    );
    // `pulumi config set --secret --path` stores each leaf as `{secure: ...}`; a plain string is not secret.
    const leaves = Object.values(hosts).flatMap((pems) => (isPlainObject(pems) ? Object.values(pems) : [pems]));
    return { value: JSON.stringify(placeholders), secret: leaves.every((leaf) => isPlainObject(leaf) && "secure" in leaf) };
}

/**
 * Validated settings of a stack from its file alone, for tools that run outside `pulumi up`.
 * Passwords in the file are encrypted (`secure:`); they count as supplied, their values unused.
 */
export function settingsFromStackFile(stack: string, dir = PROJECT_DIR): StackSettings {
    const config = readStackFile(stack, dir);
    return validateStackConfig({
        stack,
        keys: Object.keys(config),
        cluster: config.cluster,
        secrets: Object.fromEntries(
            SECRET_KEYS.filter((k) => k in config).map((k) => [k, { value: `placeholder-for-${k}`, secret: true }]),
        ),
        ...(config[TLS_SECRET_KEY] === undefined ? {} : { hostTls: placeholderTls(config[TLS_SECRET_KEY]) }),
    });
}
