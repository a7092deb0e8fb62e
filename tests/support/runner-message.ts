import * as pulumi from "@pulumi/pulumi";

// Marked @internal (absent from the .d.ts) but shipped; it is exactly what the runner prints with.
const { defaultErrorMessage } = require("@pulumi/pulumi/cmd/run/error") as { defaultErrorMessage(err: unknown): string };

/**
 * The text the Pulumi Node runner logs for an error the program throws, following the branches
 * of `uncaughtHandler` in @pulumi/pulumi cmd/run/run.ts (3.248.0): a RunError prints its message
 * alone; a ResourceError its message (or the stack unless hidden); anything else "Running
 * program '<dir>' failed with an unhandled exception:" and `defaultErrorMessage(err)`, which is
 * `util.inspect(err)` whenever `err.stack` is set.
 */
export function runnerMessage(err: unknown, program = "<project>"): string {
    if (pulumi.RunError.isInstance(err)) return err.message;
    if (pulumi.ResourceError.isInstance(err)) return err.hideStack ? err.message : defaultErrorMessage(err);
    return `Running program '${program}' failed with an unhandled exception:\n${defaultErrorMessage(err)}`;
}
