import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { inspect } from "node:util";
import type { StackConfigRunError } from "../../../settings/load";
import { flattenConfig } from "../../../settings/stack-file";
import { StackConfigError } from "../../../settings/validate";
import { runProgramUnderMocks } from "../../support/program-under-mocks";
import { runnerMessage } from "../../support/runner-message";

const HEADLINE = 'The config of stack "dev" is invalid; nothing was created. Fix these settings';

/** Runs index.ts with a config and returns what it threw. */
async function programError(cluster: unknown): Promise<unknown> {
    return runProgramUnderMocks("dev", flattenConfig({ cluster }), {
        newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
        call: (args) => args.inputs,
    }).then(
        () => undefined,
        (err: unknown) => err,
    );
}

describe("what `pulumi up` prints for a bad stack config", () => {
    it("is the headline and every problem, nothing else", async () => {
        const err = await programError({ replicas: 99, bogus: 1 });
        // The program's modules are loaded afresh for each run, so the class is matched by kind.
        expect(err).to.have.property("kind", "stack-config");
        expect(pulumi.RunError.isInstance(err)).to.equal(true);
        const printed = runnerMessage(err);
        const lines = printed.split("\n");
        expect(lines[0]).to.equal(`${HEADLINE} (see docs/configuration.md):`);
        expect(printed).to.match(/^ {2}- appscreens-redis:cluster\.replicas: must be at most 16/m);
        expect(printed).to.match(/^ {2}- appscreens-redis:cluster\.bogus: unknown key/m);
        expect(lines.slice(1).every((l) => l.startsWith("  - ") || l.startsWith("    "))).to.equal(true);
        expect(printed).to.not.match(/\n\s+at /);
        expect((err as StackConfigRunError).kind).to.equal("stack-config");
        expect((err as StackConfigRunError).problems).to.have.length(2);
    });

    it("keeps the message in the stack of the validation error itself", () => {
        const err = new StackConfigError("dev", ["appscreens-redis:cluster.replicas: too many"]);
        expect(err.stack?.startsWith(`StackConfigError: ${HEADLINE}`)).to.equal(true);
        // What the runner prints for an error that is not a RunError.
        const printed = runnerMessage(err);
        expect(printed).to.include(HEADLINE);
        expect(printed).to.include("  - appscreens-redis:cluster.replicas: too many");
    });

    it("would lose the headline if an error's stack were overwritten (the bug this guards)", () => {
        const shadowed = Object.assign(new Error(`${HEADLINE}\n  - x`), { stack: "dev", problems: ["x"] });
        expect(inspect(shadowed)).to.not.include(HEADLINE);
    });
});
