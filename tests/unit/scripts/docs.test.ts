import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import * as cliOptions from "../../../cli/options";
import { CLI_SPECS, CliSpec, defineCli, OptionSpecs } from "../../../cli/options";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { clusterSchema, secretsSchema } from "../../../settings/schema";
import { SECRET_KEYS, STACK_SECRET_KEYS } from "../../../settings/validate";
import { renderCliReference } from "../../../scripts/docs/cli-reference";
import { renderConfigReference } from "../../../scripts/docs/config-reference";
import { findBrokenLinks, linkTargets, ProjectFiles } from "../../../scripts/docs/links";
import { anchorsOf, helpTextAsMarkdown, prose, slug } from "../../../scripts/docs/markdown";
import { GENERATED_DOCS, generatedDocs } from "../../../scripts/generate-docs";

const read = (file: string) => readFileSync(path.join(PROJECT_DIR, file), "utf8");

/** README.md, DEVELOPMENT.md and every Markdown file of docs/. */
const docFiles = (): string[] => [
    "README.md",
    "DEVELOPMENT.md",
    ...readdirSync(path.join(PROJECT_DIR, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => `docs/${f}`),
];

const project: ProjectFiles = {
    exists: (file) => existsSync(path.join(PROJECT_DIR, file)),
    read,
};

describe("docs", () => {
    describe("generated references", () => {
        it("are committed exactly as `npm run docs` writes them now (run it after changing a description or an option)", async function () {
            this.timeout(60_000);
            const expected = await generatedDocs();
            expect(Object.keys(expected)).to.deep.equal(["docs/configuration.md", "docs/cli.md", "docs/acl-users.md"]);
            for (const [file, text] of Object.entries(expected)) {
                const committed = existsSync(path.join(PROJECT_DIR, file)) ? read(file) : "";
                if (committed === text) continue;
                const [was, now] = [committed.split("\n"), text.split("\n")];
                const line = now.findIndex((l, i) => l !== was[i]);
                expect.fail(
                    `${file} is stale: run npm run docs and commit it (line ${line + 1} would be ${JSON.stringify(now[line])}, is ${JSON.stringify(was[line])})`,
                );
            }
        });

        it("list every key of the config schema with its type and default", () => {
            const text = GENERATED_DOCS["docs/configuration.md"]();
            for (const key of [
                "replicas",
                "redis.maxmemory",
                "sentinel.quorum",
                "warmer.limits.playstore.concurrency",
                "drill.afterDeploy",
            ])
                expect(text).to.include(`| \`${key}\``);
            for (const key of SECRET_KEYS) expect(text).to.include(`| \`${key}\``);
            expect(text).to.match(/\| `redis\.maxclients` \| integer, 1-100000 \| `10000` \|/);
            expect(text).to.match(/\| `warmer\.playstore\.baseUrl` \| string \| required \|/);
            expect(text).to.match(/\| `redisPassword` \| string of 16-512 characters \| generated/);
        });

        it("list every option of every command with its default", () => {
            const text = GENERATED_DOCS["docs/cli.md"]();
            for (const spec of CLI_SPECS) {
                expect(text).to.include(`## \`${spec.command.replace(/ --$/, "")}\``);
                for (const name of Object.keys(spec.options)) expect(text, `--${name}`).to.include(`\`--${name}`);
            }
            expect(text).to.match(/\| `--timeout <s>` \| seconds \(more than 0\) \| `300` \|/);
            expect(text).to.match(/\| `--out <dir>` \| text \| required \|/);
        });

        it("cover every command of cli/ that parses a command line", () => {
            const exported = new Set(CLI_SPECS);
            const options = cliOptions as Record<string, unknown>;
            for (const file of readdirSync(path.join(PROJECT_DIR, "cli")).filter((f) => f.endsWith(".ts"))) {
                const source = read(`cli/${file}`);
                const run = /runCli\((\w+),/.exec(source);
                if (!run) continue;
                expect(exported.has(options[run[1]] as CliSpec<OptionSpecs>), `cli/${file} runs ${run[1]}, which CLI_SPECS lacks`).to.equal(
                    true,
                );
            }
        });

        it("document the secrets validation knows, and only those", () => {
            expect(Object.keys(secretsSchema.shape)).to.have.members([...STACK_SECRET_KEYS]);
        });

        it("refuse a schema key without a description", () => {
            const schema = z.strictObject({ described: z.int().default(1).describe("Described."), bare: z.boolean().default(true) });
            expect(() => renderConfigReference(schema.describe("Top."), secretsSchema)).to.throw(
                /no \.describe\(\) text to: appscreens-redis:cluster\.bare$/,
            );
            expect(() => renderConfigReference(clusterSchema, secretsSchema)).to.not.throw();
        });

        it("render a command's summary, options and notes as Markdown", () => {
            const cli = defineCli({
                command: "npm run example --",
                summary: `Does a thing. Before it starts it checks:
  - one
    thing;
  - another.
Then it writes <dir>/out.`,
                options: {
                    out: { type: "string", value: "<dir>", required: true, help: "Where to <write>." },
                    mode: { type: "choice", value: "<m>", choices: ["a", "b"], default: "a", help: "A | B." },
                },
                notes: "Uses MY_ENV_VAR.\nExit status: 0 done.",
            });
            const text = renderCliReference([cli]);
            expect(text).to.include("Does a thing. Before it starts it checks:\n\n- one thing;\n- another.\n\nThen it writes `<dir>/out`.");
            expect(text).to.include("| `--out <dir>` | text | required | Where to `<write>`. |");
            expect(text).to.include("| `--mode <m>` | one of `a`, `b` | `a` | A \\| B. |");
            expect(text).to.include("Uses `MY_ENV_VAR`.\n\nExit status: 0 done.");
            expect(text).to.include("npm run example -- --out <dir> [options]");
        });
    });

    describe("links", () => {
        it("every relative link and anchor in README.md, DEVELOPMENT.md and docs/ resolves", () => {
            const files = docFiles();
            expect(files).to.include.members(["docs/configuration.md", "docs/cli.md", "docs/operations.md"]);
            expect(findBrokenLinks(files, project)).to.deep.equal([]);
        });

        it("finds a missing file, a missing anchor and a link out of the project, and skips code and URLs", () => {
            const fake: Record<string, string> = {
                "docs/a.md": [
                    "# A",
                    "[ok](b.md#two-words) [self](#a) [url](https://example.com/x.md) [dir](../docs)",
                    "[gone](missing.md) [bad anchor](b.md#nope) [out](../../etc/passwd)",
                    "`[in code](missing.md)`",
                    "```",
                    "[in a block](missing.md)",
                    "```",
                    "[ref]: b.md#nope",
                ].join("\n"),
                "docs/b.md": "## Two `words`\n",
            };
            const files: ProjectFiles = { exists: (f) => f in fake || f === "docs", read: (f) => fake[f] };
            expect(findBrokenLinks(["docs/a.md"], files).map((b) => `${b.line} ${b.target}: ${b.reason}`)).to.deep.equal([
                "3 missing.md: docs/missing.md does not exist",
                "3 b.md#nope: docs/b.md has no heading with the anchor #nope",
                "3 ../../etc/passwd: points outside the project",
                "8 b.md#nope: docs/b.md has no heading with the anchor #nope",
            ]);
        });

        it("reads link targets and anchors as GitHub does", () => {
            expect(linkTargets('see [a](x.md "title") and ![img](y.png)')).to.deep.equal(["x.md", "y.png"]);
            expect(slug("`npm run warm`")).to.equal("npm-run-warm");
            expect(slug("`warmer.appstore` with `kind: itunes`")).to.equal("warmerappstore-with-kind-itunes");
            expect(slug("Failover, drill, backup and restore")).to.equal("failover-drill-backup-and-restore");
            expect([...anchorsOf('# Same\n## Same\n<a id="here"></a>\n```\n# not a heading\n```\n')]).to.deep.equal([
                "same",
                "same-1",
                "here",
            ]);
        });
    });

    it("keeps terminal help readable as Markdown", () => {
        expect(prose("Keep pre-restore-<time>/ (or <dir>).")).to.equal("Keep `pre-restore-<time>/` (or `<dir>`).");
        expect(prose("`already <code>` and REDIS_PASSWORD")).to.equal("`already <code>` and `REDIS_PASSWORD`");
        expect(helpTextAsMarkdown("It:\n  1. does\n     this;\n  2. that.\nDone.")).to.equal("It:\n\n1. does this;\n2. that.\n\nDone.");
    });
});
