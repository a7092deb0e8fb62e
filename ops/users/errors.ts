/**
 * Why a migration or rotation step stopped, for the CLI's exit message and the tests (never
 * matched on text):
 * - `unreachable`: a server did not answer;
 * - `refused-logins`: a server accepted none of the logins this step may use;
 * - `user-conflict`: a user is there already but refuses the password given (another rotation?);
 * - `out-of-order`: the step's premise is missing (default off before masteruser moved, the old
 *   password retired while the server does not accept the new one yet);
 * - `missing-password`: the environment lacks a password this step needs;
 * - `command-failed`: a server refused a command;
 * - `deadline`: the step did not finish in time.
 */
export type UsersFailureKind =
    "unreachable" | "refused-logins" | "user-conflict" | "out-of-order" | "missing-password" | "command-failed" | "deadline";

export class UsersStepError extends Error {
    constructor(
        readonly kind: UsersFailureKind,
        message: string,
        /** The server it happened on, when one. */
        readonly server?: string,
    ) {
        super(server ? `${server}: ${message}` : message);
        this.name = "UsersStepError";
    }
}
