import type { FlatConfig } from "../../../settings/stack-file";
import { resourceKey, runProgramUnderMocks, unwrapSecrets } from "../program-under-mocks";
import { ReplayState } from "./state";

/** What a resource's outputs are after an `up`, from its type, name and the inputs the program gave it. */
export type OutputsOf = (
    type: string,
    name: string,
    inputs: Record<string, unknown>,
) => Promise<Record<string, unknown>> | Record<string, unknown>;

/**
 * The state the replay deployer would hold after an `up` of `config`, without Docker: every
 * custom resource with the inputs the program declared, the options the engine recorded, and the
 * outputs `outputsOf` gives it. For tests of the replay's preview and replacement planning, which
 * start from a deployed state.
 */
export async function replayStateUnderMocks(stack: string, config: FlatConfig, outputsOf: OutputsOf): Promise<ReplayState> {
    const state: ReplayState = { resources: {} };
    const declared = new Map<string, { inputs: Record<string, unknown>; outputs: Record<string, unknown> }>();
    const run = await runProgramUnderMocks(stack, config, {
        async newResource(args) {
            const inputs = unwrapSecrets(args.inputs) as Record<string, unknown>;
            const outputs = { id: `${args.name}-id`, ...(await outputsOf(args.type, args.name, inputs)) };
            if (args.custom) declared.set(resourceKey(args.type, args.name), { inputs, outputs });
            return { id: `${args.name}-id`, state: outputs };
        },
        call: (args) => args.inputs,
    });
    for (const [key, r] of run.registrations) {
        const d = declared.get(key);
        if (!r.custom || !d) continue;
        state.resources[key] = {
            type: r.type,
            name: r.name,
            inputs: d.inputs,
            outputs: d.outputs,
            dependencies: r.dependencies,
            propertyDependencies: r.propertyDependencies,
            deleteBeforeReplace: r.deleteBeforeReplace,
            retainOnDelete: r.retainOnDelete,
            protect: r.protect,
        };
    }
    return state;
}
