import { expect } from "chai";
import { flattenConfig } from "../../../config/stack-file";
import { Registration, resourceKey, runProgramUnderMocks } from "../../../testing/program-under-mocks";

describe("registrations recorded under mocks", () => {
    let registrations: ReadonlyMap<string, Registration>;
    before(async () => {
        const run = await runProgramUnderMocks("dev", flattenConfig({}), {
            newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, stdout: "" } }),
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
