// What a stack declares under mocks: every resource with its provider and a digest of its inputs
// and the options the engine is told (dependencies, replacement and deletion behaviour).
// tests/golden/single-host-resources.json holds it for main as of the commit before hosts existed
// (written by `tsx tests/support/resource-snapshot.ts <out.json>` in a checkout of that commit, this
// file copied in), regenerated since only by commits that changed the containers' scripts on
// purpose (their messages say which inputs moved); tests/unit/components/hosts.test.ts holds the
// stacks without `hosts` to it.
import type * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { flattenConfig, PROJECT_DIR, readStackFile } from "../../settings/stack-file";
import { SAMPLE_REPORT } from "./post-deploy-report";
import { Registration, resourceKey, runProgramUnderMocks } from "./program-under-mocks";

/** The stack files whose declarations are held equal to main's. */
export const SNAPSHOT_STACKS = ["dev", "test", "prod"] as const;

const GENERATED = "GeneratedPassw0rdGeneratedPassw0";
const IMAGE_ID = "sha256:1111111111111111111111111111111111111111111111111111111111111111";

export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    /** `type::name` of its provider, or "default". */
    readonly provider: string;
    readonly inputs: unknown;
    readonly options: unknown;
}

/** `urn:pulumi:dev::appscreens-redis::pulumi:providers:docker::host-a::<id>` -> `pulumi:providers:docker::host-a`. */
function providerKey(reference: string | undefined): string {
    if (!reference) return "default";
    const urn = reference.slice(0, reference.lastIndexOf("::"));
    const parts = urn.split("::");
    const type = parts[2]?.split("$").pop() ?? "";
    // Default providers are named default_<version>: the version is not the program's choice.
    return parts[3]?.startsWith("default") ? "default" : resourceKey(type, parts[3] ?? "");
}

/** One resource as the committed snapshot holds it: what identifies it, and a digest of the rest. */
export interface ResourceDigest {
    readonly key: string;
    readonly provider: string;
    /** sha256 of its inputs and options as JSON, the checkout's own directory replaced by `<project>`. */
    readonly sha256: string;
}

export const digestOf = (r: DeclaredResource): ResourceDigest => ({
    key: resourceKey(r.type, r.name),
    provider: r.provider,
    sha256: createHash("sha256")
        .update(JSON.stringify({ inputs: r.inputs, options: r.options }).split(PROJECT_DIR).join("<project>"))
        .digest("hex"),
});

/** Every snapshot stack's resources as digests, by stack. */
export async function snapshot(): Promise<Record<string, ResourceDigest[]>> {
    const out: Record<string, ResourceDigest[]> = {};
    for (const stack of SNAPSHOT_STACKS) out[stack] = (await declaredResources(stack)).map(digestOf);
    return out;
}

/** Runs the program for one stack file and lists what it declares, sorted by type and name. */
export async function declaredResources(stack: string): Promise<DeclaredResource[]> {
    const resources: pulumi.runtime.MockResourceArgs[] = [];
    const run = await runProgramUnderMocks(stack, flattenConfig(readStackFile(stack)), {
        newResource(args) {
            resources.push(args);
            const computed: Record<string, unknown> = {};
            if (args.type === "random:index/randomPassword:RandomPassword") computed.result = GENERATED;
            if (args.type === "docker:index/remoteImage:RemoteImage") computed.imageId = IMAGE_ID;
            if (args.type === "command:local:Command") computed.stdout = JSON.stringify(SAMPLE_REPORT);
            return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
        },
        call: (args) => args.inputs,
    });
    return resources
        .map((r) => ({
            type: r.type,
            name: r.name,
            provider: providerKey(r.provider),
            inputs: r.inputs,
            options: optionsOf(run.registrations.get(resourceKey(r.type, r.name))),
        }))
        .sort((a, b) => resourceKey(a.type, a.name).localeCompare(resourceKey(b.type, b.name)));
}

/**
 * A registration's options as the digests were taken: without its provider key, which the
 * replay learned later and which `provider` above already records (in the form the digests use).
 */
function optionsOf(registration: Registration | undefined): Omit<Registration, "provider"> | undefined {
    if (!registration) return undefined;
    return Object.fromEntries(Object.entries(registration).filter(([k]) => k !== "provider")) as Omit<Registration, "provider">;
}

if (require.main === module) {
    const out = process.argv[2];
    if (!out) throw new Error("usage: tsx tests/support/resource-snapshot.ts <out.json>");
    void snapshot().then((s) => writeFileSync(out, `${JSON.stringify(s, null, 2)}\n`));
}
