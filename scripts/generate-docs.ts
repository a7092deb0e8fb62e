// npm run docs [-- --check]
// Writes the generated references: docs/configuration.md from the config schema's descriptions
// (settings/schema.ts), docs/cli.md from the CLI specs (cli/options.ts) and docs/acl-users.md
// from the ACL users' table (render/acl-users.ts), formatted as
// Prettier formats them. --check writes nothing and exits 1 naming each stale file; the unit
// tests do the same check, so `npm test` fails on a reference that was not regenerated.
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { renderAclReference } from "./docs/acl-reference";
import { renderCliReference } from "./docs/cli-reference";
import { renderConfigReference } from "./docs/config-reference";
import { formatMarkdown } from "./docs/markdown";

const PROJECT_DIR = path.join(__dirname, "..");

/** Each generated file (relative to the project) and the pure function that writes it. */
export const GENERATED_DOCS: Readonly<Record<string, () => string>> = {
    "docs/configuration.md": () => renderConfigReference(),
    "docs/cli.md": () => renderCliReference(),
    "docs/acl-users.md": () => renderAclReference(),
};

/** Every generated file's expected content, formatted: relative path -> text. */
export async function generatedDocs(): Promise<Record<string, string>> {
    const entries = await Promise.all(
        Object.entries(GENERATED_DOCS).map(async ([file, render]) => [file, await formatMarkdown(render(), path.join(PROJECT_DIR, file))]),
    );
    return Object.fromEntries(entries) as Record<string, string>;
}

const readOrEmpty = (file: string): string => {
    try {
        return readFileSync(file, "utf8");
    } catch {
        return "";
    }
};

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { check: { type: "boolean" }, help: { type: "boolean" } } });
    if (values.help) {
        console.log(
            "Usage: npm run docs [-- --check]\n\nRegenerates docs/configuration.md, docs/cli.md and docs/acl-users.md; --check only reports stale ones.",
        );
        return;
    }
    const stale: string[] = [];
    for (const [file, text] of Object.entries(await generatedDocs())) {
        const target = path.join(PROJECT_DIR, file);
        if (readOrEmpty(target) === text) continue;
        stale.push(file);
        if (!values.check) writeFileSync(target, text);
    }
    if (values.check && stale.length) {
        console.error(`stale: ${stale.join(", ")}; run npm run docs`);
        process.exit(1);
    }
    console.log(stale.length ? `wrote ${stale.join(", ")}` : "generated docs are up to date");
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err instanceof Error ? err.message : err);
        process.exit(1);
    });
}
