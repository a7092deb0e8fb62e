// Validates .github/workflows/*.yml with GitHub's own workflow parser (@actions/workflow-parser,
// from actions/languageservices: the schema and checks behind GitHub's editor support), since no
// runner exists here. Also checks that every `npm run <script>` a workflow uses exists.
// Run by `npm run lint`, so `npm test` checks the workflows before the live suite.
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../settings/stack-file";

export const WORKFLOW_DIR = path.join(PROJECT_DIR, ".github", "workflows");

/** Problems in one workflow file: schema errors, conversion errors, unknown npm scripts. */
export async function validateWorkflow(name: string, content: string, npmScripts: readonly string[]): Promise<string[]> {
    // ESM-only package: loaded with import(), which the CommonJS build keeps as a dynamic import.
    const { NoOperationTraceWriter, convertWorkflowTemplate, parseWorkflow } = await import("@actions/workflow-parser");
    const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
    const problems = parsed.context.errors.getErrors().map((e) => e.message);
    if (problems.length === 0 && parsed.value) {
        const template = await convertWorkflowTemplate(parsed.context, parsed.value);
        problems.push(...(template.errors ?? []).map((e) => `${name}: ${e.Message}`));
    }
    for (const match of content.matchAll(/npm run ([\w:-]+)/g)) {
        if (!npmScripts.includes(match[1])) problems.push(`${name}: "npm run ${match[1]}" names no script in package.json`);
    }
    return problems;
}

async function main(): Promise<void> {
    const pkg = JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> };
    const files = readdirSync(WORKFLOW_DIR).filter((f) => /\.ya?ml$/.test(f));
    if (files.length === 0) throw new Error(`no workflow files in ${WORKFLOW_DIR}`);
    let failed = false;
    for (const file of files) {
        const problems = await validateWorkflow(file, readFileSync(path.join(WORKFLOW_DIR, file), "utf8"), Object.keys(pkg.scripts));
        for (const p of problems) console.error(`  ${p}`);
        failed ||= problems.length > 0;
    }
    if (failed) {
        console.error("validate-workflows: fix the problems above");
        process.exit(1);
    }
    console.log(`validate-workflows: ${files.join(", ")} valid`);
}

if (require.main === module) {
    main().catch((err: unknown) => {
        console.error(err);
        process.exit(1);
    });
}
