import { expect } from "chai";
import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { validateWorkflow, WORKFLOW_DIR } from "../../../scripts/validate-workflows";

const SCRIPTS = ["typecheck", "lint", "test:unit", "render"];

const workflow = (steps: string, extra = "") => `on: pull_request
jobs:
  a:
    runs-on: ubuntu-24.04
    steps:
${steps}
${extra}`;

describe("workflow validation", () => {
    it("accepts the project's workflows", async () => {
        const pkg = JSON.parse(readFileSync(path.join(WORKFLOW_DIR, "..", "..", "package.json"), "utf8")) as {
            scripts: Record<string, string>;
        };
        const files = readdirSync(WORKFLOW_DIR).filter((f) => f.endsWith(".yml"));
        expect(files).to.include.members(["pull-request.yml", "main.yml"]);
        for (const f of files) {
            expect(await validateWorkflow(f, readFileSync(path.join(WORKFLOW_DIR, f), "utf8"), Object.keys(pkg.scripts)), f).to.deep.equal(
                [],
            );
        }
    });

    it("accepts a small valid workflow", async () => {
        expect(await validateWorkflow("ok.yml", workflow("      - run: npm run lint"), SCRIPTS)).to.deep.equal([]);
    });

    it("rejects an unknown step key, a job without runs-on, a needs of no job and an unknown npm script", async () => {
        const bad = await validateWorkflow("bad.yml", workflow("      - bogus: 1"), SCRIPTS);
        expect(bad.join("\n")).to.include("Unexpected value 'bogus'");
        const noRunner = await validateWorkflow("no-runner.yml", "on: push\njobs:\n  a:\n    steps:\n      - run: echo\n", SCRIPTS);
        expect(noRunner.join("\n")).to.match(/runs-on/);
        const needs = await validateWorkflow(
            "needs.yml",
            workflow("      - run: echo", "  b:\n    runs-on: ubuntu-24.04\n    needs: [nope]\n    steps:\n      - run: echo\n"),
            SCRIPTS,
        );
        expect(needs.join("\n")).to.match(/nope/);
        const script = await validateWorkflow("script.yml", workflow("      - run: npm run test:everything"), SCRIPTS);
        expect(script).to.deep.equal(['script.yml: "npm run test:everything" names no script in package.json']);
    });
});
