/**
 * Why the rig failed, for callers that decide by it (never by the message's wording):
 * - `plan`: the rig's parameters cannot describe a rig (prefix too long, subnet not a /24, ...).
 * - `command`: a system command (`ip`, `mount`, ...) failed or ran past its deadline.
 * - `engine-start`: a host's dockerd did not answer its socket in time.
 * - `sshd-start`: a host's sshd (`sshHosts`) did not greet on its address in time.
 * - `image`: the test image could not be built or copied into a host's engine.
 * - `fault`: a fault could not be injected or lifted (freezer never reached FROZEN, ...).
 * - `teardown`: something the rig made is still there after teardown.
 */
export type RigFailureKind = "plan" | "command" | "engine-start" | "sshd-start" | "image" | "fault" | "teardown";

/** A rig failure; `host` names the rig host it concerns ("" for the rig as a whole). */
export class RigError extends Error {
    constructor(
        readonly kind: RigFailureKind,
        readonly host: string,
        message: string,
        options?: { cause?: unknown },
    ) {
        super(host ? `rig host ${host}: ${message}` : `rig: ${message}`, options);
        this.name = "RigError";
    }
}
