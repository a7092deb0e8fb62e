import { expect } from "chai";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../../settings/stack-file";
import { installArgs, pluginTarball, requiredPlugins } from "../../../scripts/pulumi-plugins";

const dependencies = (JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { dependencies: Record<string, string> })
    .dependencies;

describe("pinned Pulumi plugins", () => {
    it("are docker, random, command and tls at the exact versions of their npm packages", () => {
        const plugins = requiredPlugins();
        expect(plugins.map((p) => `${p.name}@${p.version}`)).to.deep.equal([
            `command@${dependencies["@pulumi/command"]}`,
            `docker@${dependencies["@pulumi/docker"]}`,
            `random@${dependencies["@pulumi/random"]}`,
            `tls@${dependencies["@pulumi/tls"]}`,
        ]);
        // Exact pins only: a range would let npm (and so the CLI) pick another plugin.
        for (const p of plugins) expect(dependencies[p.npmPackage], p.npmPackage).to.match(/^\d+\.\d+\.\d+$/);
    });

    it("install exactly those versions, online or from local tarballs", () => {
        const docker = requiredPlugins().find((p) => p.name === "docker");
        if (!docker) throw new Error("docker plugin missing");
        expect(installArgs(docker)).to.deep.equal(["plugin", "install", "resource", "docker", docker.version, "--exact"]);
        expect(installArgs(docker, "/plugins").slice(-2)).to.deep.equal([
            "--file",
            `/plugins/pulumi-resource-docker-v${docker.version}-linux-amd64.tar.gz`,
        ]);
        expect(pluginTarball(docker)).to.equal(`pulumi-resource-docker-v${docker.version}-linux-amd64.tar.gz`);
    });

    it("are the versions the offline install section of docs/operations.md names", () => {
        const operations = readFileSync(path.join(PROJECT_DIR, "docs", "operations.md"), "utf8");
        for (const p of requiredPlugins()) expect(operations, p.name).to.include(pluginTarball(p));
    });
});
