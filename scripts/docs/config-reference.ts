// docs/configuration.md, generated from the stack config schema (settings/schema.ts): every key
// with its type, default and the `.describe()` text the schema gives it. Pure: schemas in, text out.
import { z } from "zod";
import { clusterSchema, secretsSchema } from "../../settings/schema";
import { code, table } from "./markdown";

/** The parts of a JSON Schema (as `z.toJSONSchema` writes it) the reference reads. */
interface JsonSchema {
    readonly type?: string;
    readonly description?: string;
    readonly default?: unknown;
    readonly enum?: readonly unknown[];
    readonly const?: unknown;
    readonly minimum?: number;
    readonly maximum?: number;
    readonly minLength?: number;
    readonly maxLength?: number;
    readonly maxItems?: number;
    readonly format?: string;
    readonly properties?: Readonly<Record<string, JsonSchema>>;
    readonly required?: readonly string[];
    readonly items?: JsonSchema;
    /** A map's values (`z.record`). */
    readonly additionalProperties?: JsonSchema;
    readonly oneOf?: readonly JsonSchema[];
    /** What leaving an optional key unset means (schema metadata: `.meta({ whenUnset })`). */
    readonly whenUnset?: string;
}

interface Row {
    readonly key: string;
    readonly type: string;
    readonly default: string;
    readonly description?: string;
}

interface Section {
    /** Dotted path below `appscreens-redis:cluster` ("" for the top level). */
    readonly path: string;
    /** For a variant of a source union: `kind: itunes`. */
    readonly variant?: string;
    readonly description?: string;
    readonly rows: Row[];
}

const range = (min: number | undefined, max: number | undefined): string =>
    min === undefined && max === undefined
        ? ""
        : min === undefined
          ? `, at most ${max}`
          : max === undefined
            ? `, at least ${min}`
            : `, ${min}-${max}`;

/** A value as a stack file writes it (YAML flow style): `3600 1` in a list is quoted, a lone string is not. */
function yamlValue(value: unknown, nested = false): string {
    if (Array.isArray(value)) return `[${value.map((v) => yamlValue(v, true)).join(", ")}]`;
    if (value !== null && typeof value === "object")
        return `{${Object.entries(value)
            .map(([k, v]) => `${k}: ${yamlValue(v, true)}`)
            .join(", ")}}`;
    if (typeof value === "string") return nested && /[\s,:{}[\]]/.test(value) ? JSON.stringify(value) : value;
    return String(value);
}

const kindOf = (variant: JsonSchema): string => String(variant.properties?.kind?.const);

function typeOf(node: JsonSchema): string {
    if (node.oneOf) return `object by ${code("kind")}: ${node.oneOf.map((v) => code(kindOf(v))).join(", ")}`;
    if (node.const !== undefined) return code(String(node.const));
    if (node.enum) return `one of ${node.enum.map((v) => code(String(v))).join(", ")}`;
    switch (node.type) {
        case "integer":
        case "number":
            return `${node.type}${range(node.minimum, node.maximum)}`;
        case "boolean":
            return "boolean";
        case "array":
            return `list of ${node.items ? (node.items.properties ? "objects (keys below)" : `${typeOf(node.items)}s`) : "values"}${node.maxItems === undefined ? "" : `, at most ${node.maxItems}`}`;
        case "object":
            if (node.additionalProperties) return `map by name of ${typeOf(node.additionalProperties)}`;
            if (node.properties) return `object {${Object.keys(node.properties).join(", ")}}`;
            return "object";
        case "string":
            if (node.format === "ipv4") return "IPv4 address";
            if (node.minLength !== undefined || node.maxLength !== undefined)
                return `string of ${range(node.minLength, node.maxLength).slice(2)} characters`;
            return "string";
        default:
            throw new Error(`the reference cannot describe a schema of type ${JSON.stringify(node.type)}`);
    }
}

function defaultOf(node: JsonSchema, required: boolean): string {
    if ("default" in node) return code(yamlValue(node.default));
    if (required) return "required";
    return node.whenUnset ?? "unset";
}

/** Walks an object schema depth first: one section per object, one row per key that is not an object. */
function collect(node: JsonSchema, path: string, sections: Section[], variant?: string): void {
    const section: Section = { path, variant, description: node.description, rows: [] };
    sections.push(section);
    const nested: (() => void)[] = [];
    for (const [name, child] of Object.entries(node.properties ?? {})) {
        const key = path ? `${path}.${name}` : name;
        if (child.type === "object" && child.properties) {
            nested.push(() => collect(child, key, sections));
            continue;
        }
        section.rows.push({
            key,
            type: typeOf(child),
            default: defaultOf(child, node.required?.includes(name) ?? false),
            description: child.description,
        });
        if (child.oneOf) for (const v of child.oneOf) nested.push(() => collect(v, key, sections, `kind: ${kindOf(v)}`));
        // A list of objects (`hosts`) gets a section of its own for the keys of each entry.
        if (child.type === "array" && child.items?.type === "object" && child.items.properties) {
            const items = child.items;
            nested.push(() => collect(items, `${key}[]`, sections));
        }
    }
    for (const walk of nested) walk();
}

const jsonSchema = (schema: z.ZodType): JsonSchema => z.toJSONSchema(schema, { io: "input" }) as JsonSchema;

/** Keys (and sections) the schema gives no description: the reference refuses to leave one blank. */
function undescribed(sections: readonly Section[], prefix: string): string[] {
    return sections.flatMap((s) => [
        ...(s.description ? [] : [`${prefix}${s.path || "(top level)"}${s.variant ? ` (${s.variant})` : ""}`]),
        ...s.rows.filter((r) => !r.description).map((r) => `${prefix}${r.key}${s.variant ? ` (${s.variant})` : ""}`),
    ]);
}

const HEADER = `# Configuration reference

<!-- Generated by \`npm run docs\` from the \`.describe()\` texts of settings/schema.ts: edit those, not this file. -->

Each stack is configured in its \`Pulumi.<stack>.yaml\` (see [dev](../Pulumi.dev.yaml),
[test](../Pulumi.test.yaml) and [prod](../Pulumi.prod.yaml)): one structured key,
\`appscreens-redis:cluster\`, plus the secrets. A stack file names only what it changes; every
default below is the seed document's value.

\`\`\`yaml
config:
  appscreens-redis:cluster:
    replicas: 2
    redis:
      maxmemory: 512mb
\`\`\`

Validation runs before any resource is declared: an unknown key, a wrong type, a value out of range
or one that would break a generated config line is rejected with the setting's name and the fix,
and nothing is created. \`npm run render -- --stack <name>\` writes the stack's rendered
\`redis.conf\`/\`sentinel.conf\` files and command lines to \`rendered/<name>/\` (passwords masked), so a
pull request can show the config diff. What a change does to a running cluster (applied live or
replacing containers): [operations](operations.md#what-each-kind-of-change-does).

A stack spread over several Docker hosts (\`hosts\`, \`placement\`, the \`hostTls\` secret): the
[three-hosts example](examples/Pulumi.three-hosts.yaml). Without \`hosts\` every server runs on the
one Docker Engine the provider finds by default.`;

/** The whole of docs/configuration.md, before Prettier aligns its tables. */
export function renderConfigReference(cluster: z.ZodType = clusterSchema, secrets: z.ZodType = secretsSchema): string {
    const clusterSections: Section[] = [];
    collect(jsonSchema(cluster), "", clusterSections);
    const secretSections: Section[] = [];
    collect(jsonSchema(secrets), "", secretSections);
    const missing = [...undescribed(secretSections, "appscreens-redis:"), ...undescribed(clusterSections, "appscreens-redis:cluster.")];
    if (missing.length) throw new Error(`settings/schema.ts gives no .describe() text to: ${missing.join(", ")}`);

    const header = ["key", "type", "default", "description"];
    const rows = (section: Section) => section.rows.map((r) => [code(r.key), r.type, r.default, r.description ?? ""]);
    const [secretsSection] = secretSections;
    const parts = [
        HEADER,
        "## Secrets",
        `${secretsSection.description} For example \`pulumi config set --secret appscreens-redis:redisPassword ...\`.`,
        table(header, rows(secretsSection)),
        "## `appscreens-redis:cluster`",
    ];
    for (const section of clusterSections) {
        const title = section.path ? `${code(section.path)}${section.variant ? ` with ${code(section.variant)}` : ""}` : "Top level";
        parts.push(`### ${title}`, section.description ?? "");
        if (section.rows.length) parts.push(table(header, rows(section)));
    }
    return `${parts.join("\n\n")}\n`;
}
