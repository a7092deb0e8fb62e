import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR, readStackFile } from "../../../settings/stack-file";
import { buildConfigJson, prepareWorkDir, removeWorkDir } from "../../support/pulumi-workspace";

const stackFiles = () => readdirSync(PROJECT_DIR).filter((f) => /^Pulumi\..+\.yaml$/.test(f));
const fingerprint = () =>
    Object.fromEntries(
        stackFiles().map((f) => [
            f,
            createHash("sha256")
                .update(readFileSync(path.join(PROJECT_DIR, f)))
                .digest("hex"),
        ]),
    );

describe("the Automation API deployer's workspace", () => {
    describe("config", () => {
        it("passes the cluster map as an object, keeping every type (set-all --json objectValue)", () => {
            const cluster = {
                replicas: 2,
                redis: { save: [], appendonly: true, maxmemory: "64mb" },
                image: { name: "img:1", pull: false },
            };
            const built = buildConfigJson({ cluster, redisPassword: "p".repeat(20) });
            expect(built["appscreens-redis:cluster"]).to.deep.equal({
                value: JSON.stringify(cluster),
                objectValue: cluster,
                secret: false,
            });
            expect(built["appscreens-redis:redisPassword"]).to.deep.equal({ value: "p".repeat(20), secret: true });
        });

        it("builds the test stack's file into the same structure it holds", () => {
            const config = readStackFile("test");
            const built = buildConfigJson(config);
            expect(built["appscreens-redis:cluster"].objectValue).to.deep.equal(config.cluster);
            expect(JSON.parse(built["appscreens-redis:cluster"].value)).to.deep.equal(config.cluster);
        });
    });

    describe("the project copy", () => {
        let before: Record<string, string>;
        let workDir: string;
        beforeEach(() => {
            before = fingerprint();
            workDir = prepareWorkDir();
        });
        afterEach(() => removeWorkDir(workDir));

        it("lives outside the checkout and holds the program but none of its stack files", () => {
            expect(path.relative(PROJECT_DIR, workDir).startsWith("..")).to.equal(true);
            expect(existsSync(path.join(workDir, "Pulumi.yaml"))).to.equal(true);
            expect(existsSync(path.join(workDir, "index.ts"))).to.equal(true);
            expect(existsSync(path.join(workDir, "ops", "warm", "fixtures", "app-snapshot.json"))).to.equal(true);
            expect(readdirSync(workDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f))).to.deep.equal([]);
            expect(existsSync(path.join(workDir, ".git"))).to.equal(false);
            expect(lstatSync(path.join(workDir, "node_modules")).isSymbolicLink()).to.equal(true);
            expect(realpathSync(path.join(workDir, "node_modules"))).to.equal(realpathSync(path.join(PROJECT_DIR, "node_modules")));
        });

        it("takes the stack file the CLI writes and deletes, leaving the checkout's untouched", () => {
            // What `pulumi config set-all` and `removeStack` do to the workspace's stack file.
            writeFileSync(path.join(workDir, "Pulumi.test.yaml"), 'config:\n  appscreens-redis:cluster: "{\\"replicas\\":2}"\n');
            removeWorkDir(workDir);
            expect(existsSync(workDir)).to.equal(false);
            expect(fingerprint()).to.deep.equal(before);
            expect(stackFiles()).to.include("Pulumi.test.yaml");
        });
    });
});
