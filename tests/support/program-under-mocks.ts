import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as path from "node:path";
import { PROJECT } from "../../settings/validate";
import { FlatConfig, flattenConfig, PROJECT_DIR, StackConfigObject } from "../../settings/stack-file";
import { resourceKey } from "./deployer";

/** What the engine is told about a resource beyond its inputs (MockResourceArgs lacks these). */
export interface Registration {
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** `type::name` of every resource this one waits for (dependsOn and inputs). */
    readonly dependencies: readonly string[];
    /** Those whose outputs flow into this one's inputs (not merely dependsOn). */
    readonly propertyDependencies: readonly string[];
    readonly deleteBeforeReplace: boolean;
    /** Whether the program set `deleteBeforeReplace` at all; if not, the provider's choice applies. */
    readonly deleteBeforeReplaceDefined: boolean;
    /** Property paths whose changes the engine ignores (their old values are kept, even on a replacement). */
    readonly ignoreChanges: readonly string[];
    /** Property paths whose changes replace the resource whatever the provider says. */
    readonly replaceOnChanges: readonly string[];
    /** A delete (or the delete half of a replacement) only forgets the object. */
    readonly retainOnDelete: boolean;
    /** The engine refuses to delete or replace it. */
    readonly protect: boolean;
    /** `type::name` of the provider resource in its options; "" for the default provider. */
    readonly provider: string;
}

// Defined with the change summaries that use it; kept importable from here for the mocks' callers.
export { resourceKey };

/** `urn:pulumi:stack::project::parent$type::name` -> `type::name`. */
export function keyOfUrn(urn: string): string {
    const parts = urn.split("::");
    const types = parts[2].split("$");
    return resourceKey(types[types.length - 1], parts.slice(3).join("::"));
}

interface RegisterOutputsRequest {
    getUrn(): string;
    getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}

interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getPropertydependenciesMap(): { forEach(fn: (deps: { getUrnsList(): string[] }) => void): void };
    getDeletebeforereplace(): boolean;
    getDeletebeforereplacedefined(): boolean;
    getIgnorechangesList(): string[];
    getReplaceonchangesList(): string[];
    getRetainondelete(): boolean | undefined;
    getProtect(): boolean | undefined;
    getProvider(): string;
}

/** A provider reference (`<urn>::<id>`) -> the provider resource's key; "" for none (the default provider). */
export const providerKey = (reference: string): string => (reference ? keyOfUrn(reference.slice(0, reference.lastIndexOf("::"))) : "");

function propertyDependencyKeys(req: RegisterResourceRequest): string[] {
    const keys = new Set<string>();
    req.getPropertydependenciesMap().forEach((deps) => deps.getUrnsList().forEach((urn) => keys.add(keyOfUrn(urn))));
    return [...keys];
}

/** The SDK's mock monitor, recording each registration before the mock creates the resource. */
class RecordingMonitor extends MockMonitor {
    constructor(
        mocks: pulumi.runtime.Mocks,
        private readonly registrations: Map<string, Registration>,
        private readonly stackOutputs: { value: Record<string, unknown> },
    ) {
        super(mocks);
    }

    override async registerResource(req: RegisterResourceRequest, callback: (err: unknown, response: unknown) => void): Promise<void> {
        const registration: Registration = {
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            dependencies: req.getDependenciesList().map(keyOfUrn),
            propertyDependencies: propertyDependencyKeys(req),
            deleteBeforeReplace: req.getDeletebeforereplace(),
            deleteBeforeReplaceDefined: req.getDeletebeforereplacedefined(),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            retainOnDelete: req.getRetainondelete() ?? false,
            protect: req.getProtect() ?? false,
            provider: providerKey(req.getProvider()),
        };
        this.registrations.set(resourceKey(registration.type, registration.name), registration);
        return super.registerResource(req, callback);
    }

    override registerResourceOutputs(req: RegisterOutputsRequest, callback: (err: unknown, response: unknown) => void): void {
        if (req.getUrn().includes("::pulumi:pulumi:Stack::")) this.stackOutputs.value = req.getOutputs()?.toJavaScript() ?? {};
        super.registerResourceOutputs(req, callback);
    }
}

export interface ProgramRun {
    /** The stack outputs, resolved (secrets unwrapped: this is test tooling). */
    readonly outputs: Record<string, unknown>;
    /** The same, with secrets still in the engine's wire form (see isWireSecret). */
    readonly rawOutputs: Record<string, unknown>;
    /** Every registration, in the order the program made them. */
    readonly registrations: ReadonlyMap<string, Registration>;
}

/**
 * Runs index.ts in this process with the engine replaced by `mocks`, the way `pulumi up` would
 * run it (or `pulumi preview`, with `preview`), and waits until every resource has been registered. `mocks.newResource`
 * may look up the resource's Registration, which is recorded before it is called.
 * Pulumi's runtime is global per process: one run at a time.
 */
export async function runProgramUnderMocks(
    stack: string,
    config: FlatConfig,
    mocks: pulumi.runtime.Mocks,
    registrations: Map<string, Registration> = new Map(),
    preview = false,
): Promise<ProgramRun> {
    await pulumi.runtime.setMocks(mocks, PROJECT, stack, preview);
    const stackOutputs = { value: {} as Record<string, unknown> };
    pulumi.runtime.setMockOptions(new RecordingMonitor(mocks, registrations, stackOutputs), PROJECT, stack, preview);
    pulumi.runtime.setAllConfig(config.values, config.secretKeys);
    const programPath = path.join(PROJECT_DIR, "index.ts");
    // Re-evaluate the program (and the modules it reads config in) on every run; the test helpers
    // (tests/support/) stay loaded once.
    for (const key of Object.keys(require.cache)) {
        if (
            key.startsWith(PROJECT_DIR) &&
            !key.includes(`${path.sep}node_modules${path.sep}`) &&
            !key.includes(`${path.sep}tests${path.sep}support${path.sep}`)
        ) {
            // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- the module cache is keyed by path
            delete require.cache[key];
        }
    }
    await pulumi.runtime.runInPulumiStack(async () => require(programPath));
    // Resources that no output awaits are still in flight; the SDK's own shutdown waits the same way.
    await (pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs();
    const rawOutputs = stackOutputs.value;
    return { outputs: unwrapSecrets(rawOutputs) as Record<string, unknown>, rawOutputs, registrations };
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const SIG_KEY = "4dabf18193072939515e22adb298388d";

/** Whether a value as a mock sees it is a secret (the engine's wire form). */
export const isWireSecret = (v: unknown): v is { value: unknown } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;

export function unwrapSecrets(value: unknown): unknown {
    if (isWireSecret(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** What a mock-run program declared: the run, and every resource's arguments in the order the mocks saw them. */
export interface Declared {
    readonly run: ProgramRun;
    readonly resources: pulumi.runtime.MockResourceArgs[];
}

/** The image id every mocked RemoteImage resolves to. */
export const MOCK_IMAGE_ID = `sha256:${"1".repeat(64)}`;

export interface DeclareOptions {
    /** Config keys set as secrets. */
    readonly secretKeys?: string[];
    /** Each RandomPassword's result, by resource name. */
    readonly password: (name: string) => string;
    /** The post-deploy command's stdout (a verification report). */
    readonly stdout: string;
}

/**
 * Runs the program for the dev stack with `config` and mocks that resolve what the engine would
 * compute (generated passwords, the pulled image's id, the commands' stdout), recording what it declares.
 */
export async function declareUnderMocks(config: StackConfigObject, options: DeclareOptions): Promise<Declared> {
    const resources: pulumi.runtime.MockResourceArgs[] = [];
    const run = await runProgramUnderMocks("dev", flattenConfig(config, options.secretKeys ?? []), {
        newResource(args) {
            resources.push(args);
            const computed: Record<string, unknown> = {};
            if (args.type === "random:index/randomPassword:RandomPassword") computed.result = options.password(args.name);
            if (args.type === "docker:index/remoteImage:RemoteImage") computed.imageId = MOCK_IMAGE_ID;
            if (args.type === "command:local:Command") computed.stdout = options.stdout;
            return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
        },
        call: (args) => args.inputs,
    });
    return { run, resources };
}

/** Every string in a value as a mock sees it, however deep, with whether it sits inside a secret. */
export function stringsWithSecrecy(value: unknown, inSecret = false): { text: string; secret: boolean }[] {
    if (isWireSecret(value)) return stringsWithSecrecy(value.value, true);
    if (typeof value === "string") return [{ text: value, secret: inSecret }];
    if (Array.isArray(value)) return value.flatMap((v) => stringsWithSecrecy(v, inSecret));
    if (typeof value === "object" && value !== null) return Object.values(value).flatMap((v) => stringsWithSecrecy(v, inSecret));
    return [];
}
