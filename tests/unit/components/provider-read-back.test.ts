import { expect } from "chai";
import { flattenConfig, readStackFile } from "../../../settings/stack-file";
import { runProgramUnderMocks, unwrapSecrets } from "../../support/program-under-mocks";
import { normaliseContainerInputs } from "../../support/provider-normalise";

/**
 * Every container input the docker provider reads back must already be declared in its read-back
 * form, or the preview right after an `up` shows an update (issue 9, gap 2).
 */
describe("container inputs in the docker provider's read-back form", () => {
    for (const stack of ["dev", "test", "prod"]) {
        it(`holds for every container of the ${stack} stack`, async () => {
            const containers: { name: string; inputs: Record<string, unknown> }[] = [];
            await runProgramUnderMocks(stack, flattenConfig(readStackFile(stack), []), {
                newResource(args) {
                    if (args.type === "docker:index/container:Container") {
                        containers.push({ name: args.name, inputs: unwrapSecrets(args.inputs) as Record<string, unknown> });
                    }
                    const computed: Record<string, unknown> = {
                        stdout: "",
                        result: "GeneratedPassw0rdGeneratedPassw0",
                        imageId: "sha256:1",
                    };
                    return { id: `${args.name}-id`, state: { ...args.inputs, ...computed } };
                },
                call: (args) => args.inputs,
            });
            expect(containers).to.not.have.length(0);
            for (const c of containers) expect(c.inputs, c.name).to.deep.equal(normaliseContainerInputs(c.inputs));
        });
    }
});
