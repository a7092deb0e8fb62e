/**
 * How a deploy step's CLI (a `local.Command` of the stack) reports a failure on stderr: the step,
 * its kind in brackets, then the message for the operator. One format, so that what runs the
 * deploy (a wrapper, a test) reads the kind back from the engine's output instead of matching the
 * wording: the kind crosses the process boundary, the rest is for people.
 */
export const formatStepFailure = (step: string, kind: string | undefined, message: string): string =>
    `${step} failed${kind ? ` [${kind}]` : ""}: ${message}`;

/** The kinds of every step failure in a deploy's output (the engine prints each step's stderr). */
export const stepFailureKinds = (text: string): string[] => [...text.matchAll(/\bfailed \[([a-z][a-z-]*)\]: /g)].map((m) => m[1]);
