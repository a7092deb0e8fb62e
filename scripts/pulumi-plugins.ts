// The Pulumi resource plugins this project needs, at the exact versions the CLI will ask for,
// and the commands that install them (online, or offline from downloaded tarballs).
//
// The CLI learns which plugins a Node.js program needs from the `"pulumi": {"resource": true,
// "name", "version"}` block of each package in node_modules (pulumi/pulumi
// sdk/nodejs/cmd/pulumi-language-nodejs/main.go, getPackageInfo/getPluginVersion). Those versions
// are pinned by package.json's exact versions and package-lock.json: this script only reads them.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PROJECT_DIR } from "../settings/stack-file";

export interface RequiredPlugin {
    /** npm package that declares it. */
    readonly npmPackage: string;
    readonly name: string;
    readonly version: string;
}

interface PackageJson {
    readonly name: string;
    readonly version: string;
    readonly dependencies?: Record<string, string>;
    readonly pulumi?: { readonly resource?: boolean; readonly name?: string; readonly version?: string };
}

const readPackage = (file: string): PackageJson => JSON.parse(readFileSync(file, "utf8")) as PackageJson;

/** Resource plugins declared by the project's direct dependencies, as the language host reads them. */
export function requiredPlugins(projectDir = PROJECT_DIR): RequiredPlugin[] {
    const project = readPackage(path.join(projectDir, "package.json"));
    return Object.keys(project.dependencies ?? {})
        .sort()
        .flatMap((dep) => {
            const pkg = readPackage(path.join(projectDir, "node_modules", dep, "package.json"));
            if (!pkg.pulumi?.resource) return [];
            const name = pkg.pulumi.name ?? pkg.name.replace(/^@pulumi\//, "");
            return [{ npmPackage: dep, name, version: (pkg.pulumi.version ?? pkg.version).replace(/^v/, "") }];
        });
}

/** The release tarball the CLI downloads for a plugin (github.com/pulumi/pulumi-<name>/releases). */
export const pluginTarball = (p: RequiredPlugin, platform = "linux-amd64"): string =>
    `pulumi-resource-${p.name}-v${p.version}-${platform}.tar.gz`;

/** `pulumi plugin install` arguments for one plugin; with `fromDir`, from its tarball there (offline). */
export function installArgs(p: RequiredPlugin, fromDir?: string): string[] {
    const args = ["plugin", "install", "resource", p.name, p.version, "--exact"];
    return fromDir ? [...args, "--file", path.join(fromDir, pluginTarball(p))] : args;
}

const usage = `Usage: npx tsx scripts/pulumi-plugins.ts [--install] [--from <dir>]

Prints the pinned Pulumi resource plugins and the commands that install them. --install runs
them; --from <dir> installs from tarballs downloaded there beforehand (offline).`;

function main(): void {
    const { values } = parseArgs({ options: { install: { type: "boolean" }, from: { type: "string" }, help: { type: "boolean" } } });
    if (values.help) {
        console.log(usage);
        return;
    }
    for (const plugin of requiredPlugins()) {
        const args = installArgs(plugin, values.from);
        console.log(`pulumi ${args.join(" ")}`);
        if (values.install) execFileSync("pulumi", args, { stdio: "inherit" });
    }
}

if (require.main === module) main();
