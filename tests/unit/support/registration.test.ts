import { expect } from "chai";
import { flattenConfig, readStackFile } from "../../../settings/stack-file";
import { Registration, resourceKey, runProgramUnderMocks, unwrapSecrets } from "../../support/program-under-mocks";
import { checkAppliedContainerInputs } from "../../support/replay/docker-apply";
import { checkKnownInputs, CONTAINER, LOCAL_COMMAND, NETWORK, RANDOM_PASSWORD, VOLUME } from "../../support/replay/property-table";
import { TLS_TYPES, tlsResourceState } from "../../support/replay/tls-model";

describe("registrations recorded under mocks", () => {
    let registrations: ReadonlyMap<string, Registration>;
    before(async () => {
        const run = await runProgramUnderMocks("dev", flattenConfig({}), {
            // Values the providers compute: the program waits on them (a missing one stays unknown).
            newResource: (args) => ({
                id: `${args.name}-id`,
                state: { ...args.inputs, stdout: "", result: "GeneratedPassw0rdGeneratedPassw0", imageId: "sha256:1" },
            }),
            call: (args) => args.inputs,
        });
        registrations = run.registrations;
    });

    it("carries the resource options the engine diffs with", () => {
        const command = registrations.get(resourceKey("command:local:Command", "warm-and-verify"));
        // @pulumi/command's SDK adds this option itself (sdk/nodejs/local/command.ts).
        expect(command?.replaceOnChanges).to.deep.equal(["triggers[*]"]);
        expect(command?.ignoreChanges).to.deep.equal([]);
        const container = registrations.get(resourceKey("docker:index/container:Container", "redis-0"));
        expect(container?.deleteBeforeReplace).to.equal(true);
        for (const r of registrations.values()) {
            expect(typeof r.protect, r.name).to.equal("boolean");
            expect(typeof r.retainOnDelete, r.name).to.equal("boolean");
        }
    });
});

describe("the replay's property table and Docker mapping cover the program", () => {
    for (const stack of ["dev", "test", "prod"]) {
        it(`knows every input of every resource the ${stack} stack declares`, async () => {
            const seen: string[] = [];
            await runProgramUnderMocks(stack, flattenConfig(readStackFile(stack)), {
                newResource: (args) => {
                    if (args.custom) {
                        checkKnownInputs(args.type, unwrapSecrets(args.inputs) as Record<string, unknown>);
                        // And the replay turns every container input into a Docker setting.
                        if (args.type === CONTAINER) checkAppliedContainerInputs(unwrapSecrets(args.inputs) as Record<string, unknown>);
                        seen.push(args.type);
                    }
                    return {
                        id: `${args.name}-id`,
                        state: { ...args.inputs, stdout: "", result: "GeneratedPassw0rdGeneratedPassw0", imageId: "sha256:1" },
                    };
                },
                call: (args) => args.inputs,
            });
            expect(new Set(seen)).to.include.members([CONTAINER, NETWORK, VOLUME, RANDOM_PASSWORD, LOCAL_COMMAND]);
        });
    }

    it("knows every input of the TLS resources, and makes each with the provider's model", async () => {
        const seen: string[] = [];
        await runProgramUnderMocks("dev", flattenConfig({ cluster: { tls: { enabled: true } } }), {
            newResource: async (args) => {
                if (args.custom) {
                    checkKnownInputs(args.type, unwrapSecrets(args.inputs) as Record<string, unknown>);
                    seen.push(args.type);
                }
                const tls = await tlsResourceState(args.type, args.inputs);
                return {
                    id: `${args.name}-id`,
                    state: tls ?? { ...args.inputs, stdout: "", result: "GeneratedPassw0rdGeneratedPassw0", imageId: "sha256:1" },
                };
            },
            call: (args) => args.inputs,
        });
        expect(new Set(seen)).to.include.members(Object.values(TLS_TYPES));
    }).timeout(60_000);
});
