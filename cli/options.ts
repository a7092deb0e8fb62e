// Command-line options of the operations CLIs (warm, verify, drill, failover, backup, restore, volumes):
// one spec per CLI gives the parser, the checks of every value, the --help text and the generated
// reference (docs/cli.md, `npm run docs`), so none of them can drift apart. The specs are data at
// the end of this module; each cli/<command>.ts runs its own. Node's own `util.parseArgs` splits
// the words; this module checks them.
import { parseArgs } from "node:util";
import { PASSWORD_ENV, PLAN_ENV, TLS_ENV, USER_PASSWORDS_ENV } from "../contracts/env";
import { FAILOVER_METHODS } from "../ops/cluster/planned-failover";
import { DEFAULT_DRILL_OPTIONS } from "../ops/drill/run-drill";
import { DEFAULT_REPORT_DIR } from "../ops/drill/timeline-svg";
import { ACL_USER_NAMES } from "../render/acl-users";
import { ROTATION_PHASES } from "../ops/users/plan";

/** A command line that cannot be run as given: the CLI exits 2 and shows its help. */
export class UsageError extends Error {
    readonly kind = "usage" as const;
    constructor(
        message: string,
        /** The option at fault (`--timeout`), when one is. */
        readonly option?: string,
    ) {
        super(message);
    }
}

interface Described {
    /** One sentence or more for --help; wrapped to the terminal-friendly width by formatHelp. */
    readonly help: string;
}

/**
 * What an option takes. `flag`: present or not. `string`: any text (`required` ones must be
 * given). `seconds`: a number of seconds, positive (or 0 with `allowZero`). `count`: a positive
 * whole number. `choice`: one of `choices`.
 */
export type OptionSpec =
    | (Described & { readonly type: "flag" })
    | (Described & { readonly type: "string"; readonly value: string; readonly required?: boolean })
    | (Described & { readonly type: "seconds"; readonly value: string; readonly default: number; readonly allowZero?: boolean })
    | (Described & { readonly type: "count"; readonly value: string; readonly default?: number })
    | (Described & { readonly type: "choice"; readonly value: string; readonly choices: readonly string[]; readonly default: string });

type ValueOf<S extends OptionSpec> = S extends { readonly type: "flag" }
    ? boolean
    : S extends { readonly type: "string"; readonly required: true }
      ? string
      : S extends { readonly type: "string" }
        ? string | undefined
        : S extends { readonly type: "seconds" }
          ? number
          : S extends { readonly type: "count"; readonly default: number }
            ? number
            : S extends { readonly type: "count" }
              ? number | undefined
              : S extends { readonly type: "choice"; readonly choices: readonly (infer C)[] }
                ? C
                : never;

export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type OptionValues<O extends OptionSpecs> = { readonly [K in keyof O]: ValueOf<O[K]> };

export interface CliSpec<O extends OptionSpecs> {
    /** How an operator runs it, up to the options: `npm run drill --`. */
    readonly command: string;
    /** What it does, shown under the usage line. */
    readonly summary: string;
    readonly options: O;
    /** After the options: where passwords come from, exit statuses. */
    readonly notes?: string;
}

/** Keeps the literal types of a spec (choices, `required: true`) so its values are typed exactly. */
export const defineCli = <const O extends OptionSpecs>(spec: CliSpec<O>): CliSpec<O> => spec;

export type ParsedCommandLine<O extends OptionSpecs> = { readonly help: true } | { readonly help: false; readonly values: OptionValues<O> };

const HELP_OPTION = { type: "flag", help: "Show this help." } as const satisfies OptionSpec;
export const flagOf = (name: string, spec: OptionSpec): string => `--${name}${spec.type === "flag" ? "" : ` ${spec.value}`}`;
const listOf = (names: readonly string[]): string =>
    names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`;

function convert(name: string, spec: OptionSpec, text: string): unknown {
    const flag = `--${name}`;
    switch (spec.type) {
        case "flag":
        case "string":
            return text;
        case "seconds": {
            const seconds = Number(text);
            const ok = text.trim() !== "" && Number.isFinite(seconds) && (spec.allowZero ? seconds >= 0 : seconds > 0);
            if (!ok)
                throw new UsageError(
                    `${flag} takes a ${spec.allowZero ? "" : "positive "}number of seconds, such as ${flag} ${spec.default || 60}; not ${text}`,
                    flag,
                );
            return seconds;
        }
        case "count": {
            const n = Number(text);
            if (!/^[0-9]+$/.test(text) || n < 1)
                throw new UsageError(`${flag} takes a positive whole number, such as ${flag} ${spec.default ?? 10}; not ${text}`, flag);
            return n;
        }
        case "choice":
            if (!spec.choices.includes(text)) throw new UsageError(`${flag} is ${listOf(spec.choices)}, not ${text}`, flag);
            return text;
    }
}

/** The value an option takes when it is not given (what --help and docs/cli.md show as its default). */
export function defaultOf(spec: OptionSpec): unknown {
    switch (spec.type) {
        case "flag":
            return false;
        case "string":
            return undefined;
        default:
            return spec.default;
    }
}

/**
 * Pure: the command line's words (`process.argv.slice(2)`) checked against the spec. `--help`
 * (or `-h`) anywhere wins over every other problem, so an operator can always ask for it.
 */
export function parseCommandLine<O extends OptionSpecs>(spec: CliSpec<O>, args: readonly string[]): ParsedCommandLine<O> {
    // Not strict: unknown options and missing values come back as tokens, so the errors below can
    // name the option and the fix instead of Node's generic ones.
    const types = Object.fromEntries(
        Object.entries(spec.options).map(([name, o]) => [name, { type: o.type === "flag" ? ("boolean" as const) : ("string" as const) }]),
    );
    const { tokens } = parseArgs({ args: [...args], options: types, strict: false, allowPositionals: true, tokens: true });
    if (tokens.some((t) => t.kind === "option" && (t.name === "help" || t.rawName === "-h"))) return { help: true };
    const known = Object.keys(spec.options);
    const given = new Map<string, string>();
    for (const token of tokens) {
        if (token.kind === "option-terminator") continue;
        if (token.kind === "positional")
            throw new UsageError(
                `unexpected argument "${token.value}": every value follows its option (e.g. --stack ${token.value}); see --help`,
            );
        const option = spec.options[token.name] as OptionSpec | undefined;
        if (!option)
            throw new UsageError(
                `unknown option ${token.rawName}; ${spec.command} takes ${listOf([...known, "help"].map((n) => `--${n}`))}`,
                token.rawName,
            );
        const flag = `--${token.name}`;
        if (given.has(token.name)) throw new UsageError(`${flag} is given twice; give it once`, flag);
        if (option.type === "flag") {
            if (token.value !== undefined)
                throw new UsageError(`${flag} takes no value; write ${flag} alone, not ${token.rawName}=${token.value}`, flag);
            given.set(token.name, "");
            continue;
        }
        // parseArgs takes the next word as the value even when it is the next option.
        if (token.value === undefined || (!token.inlineValue && token.value.startsWith("--")))
            throw new UsageError(`${flag} needs a value: ${flagOf(token.name, option)}`, flag);
        given.set(token.name, token.value);
    }
    const values: Record<string, unknown> = {};
    for (const [name, option] of Object.entries(spec.options)) {
        const text = given.get(name);
        if (text === undefined) {
            if (option.type === "string" && option.required)
                throw new UsageError(`${flagOf(name, option)} is required: ${option.help}`, `--${name}`);
            values[name] = defaultOf(option);
        } else {
            values[name] = option.type === "flag" ? true : convert(name, option, text);
        }
    }
    return { help: false, values: values as OptionValues<O> };
}

/** Words of `text` in lines of at most `width` characters (a longer word stands alone). */
function wrap(text: string, width: number): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(/\s+/).filter(Boolean)) {
        if (line && line.length + 1 + word.length > width) {
            lines.push(line);
            line = word;
        } else {
            line = line ? `${line} ${word}` : word;
        }
    }
    return line ? [...lines, line] : lines;
}

const HELP_WIDTH = 100;

/** Pure: --help, from the same spec the parser uses. */
export function formatHelp<O extends OptionSpecs>(spec: CliSpec<O>): string {
    const entries: [string, OptionSpec][] = [...Object.entries(spec.options), ["help", HELP_OPTION]];
    const required = entries.filter(([, o]) => o.type === "string" && o.required).map(([n, o]) => flagOf(n, o));
    const column = Math.max(...entries.map(([n, o]) => flagOf(n, o).length)) + 5;
    const optionLines = entries.flatMap(([name, option]) => {
        const fallback = defaultOf(option);
        const text = option.type === "flag" || fallback === undefined ? option.help : `${option.help} (default ${String(fallback)})`;
        const [first = "", ...rest] = wrap(text, HELP_WIDTH - column);
        return [`  ${flagOf(name, option).padEnd(column - 2)}${first}`, ...rest.map((l) => `${" ".repeat(column)}${l}`)];
    });
    return [
        `Usage: ${[spec.command, ...required, "[options]"].join(" ")}`,
        "",
        spec.summary.trim(),
        "",
        "Options:",
        ...optionLines,
        ...(spec.notes ? ["", spec.notes.trim()] : []),
    ].join("\n");
}

/** Prints a usage error (exit 2, with the help) or a failure (exit 1) without a stack trace. */
export function fail(err: unknown, usage: string): never {
    if (err instanceof UsageError) {
        console.error(`${err.message}\n\n${usage}`);
        process.exit(2);
    }
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
}

/** Parses the process's command line, prints --help or runs `main`, and exits as `fail` says on an error. */
export function runCli<O extends OptionSpecs>(spec: CliSpec<O>, main: (values: OptionValues<O>) => Promise<void>): void {
    const usage = formatHelp(spec);
    let parsed: ParsedCommandLine<O>;
    try {
        parsed = parseCommandLine(spec, process.argv.slice(2));
    } catch (err) {
        fail(err, usage);
    }
    if (parsed.help) {
        console.log(usage);
        return;
    }
    main(parsed.values).catch((err: unknown) => fail(err, usage));
}

// ---------------------------------------------------------------------------------------------
// The specs of the operations CLIs, as data: cli/<command>.ts runs its own with runCli, and
// `npm run docs` writes docs/cli.md from CLI_SPECS (a unit test fails when that file is stale).

/** `--stack`, as every operations CLI takes it. */
export const STACK_OPTION = {
    type: "string",
    value: "<name>",
    required: true,
    help: "Stack whose Pulumi.<name>.yaml and outputs to use.",
} as const satisfies OptionSpec;

/** `--stack` of the CLIs the post-deploy command also runs, with the plan in its environment instead. */
export const STACK_OR_PLAN_OPTION = {
    type: "string",
    value: "<name>",
    help: `Stack whose Pulumi.<name>.yaml and outputs to use (not needed where ${PLAN_ENV} holds the plan, as in the post-deploy command).`,
} as const satisfies OptionSpec;

/** Where loadCredentials (cli/common.ts) finds the passwords, for --help. */
export const PASSWORDS_NOTE = `Passwords come from ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel}, or from
\`pulumi stack output --show-secrets\` when those are unset. On a stack with TLS, set ${TLS_ENV}
from the \`tlsToolsEnvironment\` output. They are never printed.`;

export const WARM_CLI = defineCli({
    command: "npm run warm --",
    summary: `Warms the cache of a deployed stack: the popular apps of both stores (top charts plus
cluster.warmer.apps), their screenshots and metadata, written through Sentinel to the master
with the stack's TTLs (jittered), each batch confirmed by a replica (WAIT).`,
    options: {
        stack: STACK_OR_PLAN_OPTION,
        force: { type: "flag", help: "Rewrite every key, not only those below the refresh threshold." },
        from: {
            type: "choice",
            value: "<vantage>",
            choices: ["host", "network"],
            default: "host",
            help: "host: through the published ports; network: from a container on the stack's network.",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when warmed; 1 when a whole store's source is unreachable or nothing could be
written; 2 on a usage error.`,
});

export const VERIFY_CLI = defineCli({
    command: "npm run verify --",
    summary: `Verifies a deployed stack's live cluster, check by check with expected and actual values:
persistence settings and statuses on every node, one master with every replica linked and
little lag, every Sentinel reachable and agreeing with a quorum, warmed keys on every node with
TTLs in range (a sample of what the master holds).`,
    options: {
        stack: STACK_OR_PLAN_OPTION,
        wait: {
            type: "seconds",
            value: "<seconds>",
            default: 0,
            allowZero: true,
            help: "Retry failing checks this long before reporting (the post-deploy command uses cluster.verifier.settleSeconds).",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when every check passes, 1 when any fails (they are named), 2 on a usage error.`,
});

export const FAILOVER_CLI = defineCli({
    command: "npm run failover --",
    summary: `A planned failover (before maintenance of the master's host, or to test clients) that loses no
write a replica confirmed: writes are paused on the master (CLIENT PAUSE WRITE) until every
replica has them, then SENTINEL FAILOVER; the pause ends once no replica follows the old master,
which then refuses writes (min-replicas-to-write) until Sentinel makes it a replica. Writes wait
about a second. Sent only once the cluster has settled (every Sentinel names the same master, no
failover running, every replica linked); sent again through the same Sentinel on -INPROG,
-NOGOODSLAVE or a failover that gave up; done when every Sentinel names the new master.`,
    options: {
        stack: STACK_OPTION,
        method: {
            type: "choice",
            value: "<m>",
            choices: FAILOVER_METHODS,
            default: "handover",
            help: 'handover or sentinel (the bare SENTINEL FAILOVER, which can lose writes a replica confirmed; see docs/operations.md, "Planned failover").',
        },
        timeout: {
            type: "seconds",
            value: "<s>",
            default: 60,
            help: "Bound of the whole failover: settling, every attempt, the Sentinels naming the new master.",
        },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 when the Sentinels agree on a new master, 1 otherwise (with their view), 2 on a usage error.`,
});

export const DRILL_CLI = defineCli({
    command: "npm run drill --",
    summary: `A failover drill on a deployed stack. It refuses, changing nothing, unless every Sentinel agrees
on the master, the master has an online replica, every Sentinel has its quorum and the cluster
settles within --timeout (no failover running, no replica half-way through one). Then it:
  1. samples warmed keys and their TTLs on the master, starts numbered probe writes through
     Sentinel (each SET followed by WAIT 1) and writes a marker confirmed by a replica;
  2. hands the master role over (SENTINEL FAILOVER, see --method) and measures: Sentinels
     agreeing on the new master, writes confirmed again on it, the longest gap between confirmed
     writes, the old master rejoining as a replica, every Sentinel settled;
  3. reads the marker, every acknowledged probe and the sampled keys back from the new master.
Writes go on during the drill; the master moves to another node, as in a real failover.`,
    options: {
        stack: STACK_OPTION,
        timeout: {
            type: "seconds",
            value: "<s>",
            default: DEFAULT_DRILL_OPTIONS.timeoutMs / 1000,
            help: "Bound of each wait; a step that does not finish in time is named in the report and fails the drill.",
        },
        sample: { type: "count", value: "<n>", help: "Warmed keys checked on the new master (default: cluster.verifier.sampleSize)." },
        method: {
            type: "choice",
            value: "<m>",
            choices: FAILOVER_METHODS,
            default: "handover",
            help: "handover: writes paused on the master until every replica has them, then SENTINEL FAILOVER, as `npm run failover` does. sentinel: the bare SENTINEL FAILOVER, to measure what it loses.",
        },
        json: { type: "flag", help: "Print the report as JSON (default when stdout is not a terminal)." },
        out: {
            type: "string",
            value: "<dir>",
            help: `Where to write the report as JSON and its timeline picture (SVG): <dir>/drill-<stack>-<time>.json and .svg (default: ${DEFAULT_REPORT_DIR}/).`,
        },
    },
    notes: `${PASSWORDS_NOTE}
The picture shows confirmed writes per 100 ms, the outage (the longest time without a confirmed write), when each Sentinel switched and when the old master rejoined, in seconds from the failover command.
Exit status: 0 when every check passes, 1 when any fails or the drill is refused, 2 on a usage error.`,
});

export const BACKUP_CLI = defineCli({
    command: "npm run backup --",
    summary: `Takes a consistent snapshot of a deployed stack from an in-sync replica (the master is never
forked for it): BGSAVE on the replica, wait until it has finished, then copy dump.rdb and the
AOF directory out of the replica's volume through the Docker Engine, with manifest.json:
sha256 and size of every file, Redis version, key count (from the RDB itself), time, stack,
source node. No configuration file is copied and no secret is written; every file is checked
for the passwords before the backup is kept.`,
    options: {
        stack: STACK_OPTION,
        out: { type: "string", value: "<dir>", required: true, help: "New or empty directory for the backup." },
        timeout: { type: "seconds", value: "<s>", default: 300, help: "Bound of each wait (BGSAVE, AOF rewrite)." },
        json: { type: "flag", help: "Print the manifest as JSON (default when stdout is not a terminal)." },
    },
    notes: `Restore with: npm run restore -- --stack <name> --from <dir>
${PASSWORDS_NOTE}
Exit status: 0 done, 1 failed (nothing kept), 2 usage error.`,
});

export const RESTORE_CLI = defineCli({
    command: "npm run restore --",
    summary: `Loads a backup (npm run backup) into a deployed stack so that the master and every replica hold
exactly the backup's data, then verifies. The backup REPLACES the dataset: keys written since
are gone. Before anything is touched it refuses, changing nothing, when:
  - a file is missing or does not match its sha256 (corrupt), or the RDB disagrees with the
    manifest;
  - the backup is of another stack (--allow-other-stack loads it anyway) or from a Redis version
    the stack's servers cannot load (another major version, or newer);
  - the master holds keys and --force is not given;
  - a node is not running or the Sentinels do not agree on the master.
Then (a short outage: writes are refused until the master is back): the RDB is staged in the
master's volume and checked there; replicas, then the master, are stopped; the master's data is
moved to pre-restore-<time>/ and the RDB installed (as the AOF base too, with AOF on); replicas'
data is moved aside; the master starts and loads it, every Sentinel sees it up, the replicas
start empty and full-sync; the cluster is verified; the moved-aside data is deleted. If a step
after the stop fails, every node gets its previous data back and is started again.`,
    options: {
        stack: STACK_OPTION,
        from: { type: "string", value: "<dir>", required: true, help: "The backup directory (with manifest.json)." },
        force: { type: "flag", help: "Replace a dataset that holds keys." },
        "allow-other-stack": { type: "flag", help: "Load a backup taken from another stack." },
        "keep-previous": { type: "flag", help: "Keep pre-restore-<time>/ in every volume (delete it by hand later)." },
        "dry-run": { type: "flag", help: "Run every check and print the steps; change nothing." },
        timeout: { type: "seconds", value: "<s>", default: 300, help: "Bound of each wait." },
        json: { type: "flag", help: "Print the result as JSON (default when stdout is not a terminal)." },
    },
    notes: `${PASSWORDS_NOTE}
Exit status: 0 restored and verified, 1 refused or failed (the message says which and whether
anything changed), 2 usage error.`,
});

export const VOLUMES_CLI = defineCli({
    command: "npm run volumes --",
    summary: `Lists a stack's data volumes on the Docker Engine (every name the stack's servers can have,
at any scale): when each was created and which containers use it. \`destroy\` and scale-downs keep
them (retainOnDelete); a stack deployed again on them starts from their data and needs their
passwords. With --remove, deletes them all with their data, or none: while a container (running or
stopped) uses one of them, it removes nothing and names the containers.`,
    options: {
        stack: { ...STACK_OPTION, help: "Stack whose Pulumi.<name>.yaml names the volumes (it need not be deployed)." },
        remove: { type: "flag", help: "Delete the stack's data volumes, their data gone for good; none while a container uses one." },
        json: { type: "flag", help: "Print JSON (default when stdout is not a terminal)." },
        timeout: { type: "seconds", value: "<s>", default: 60, help: "Bound of the whole run." },
    },
    notes: `No password is read or printed.
Exit status: 0 when done (with --remove: every data volume of the stack removed), 1 when one is in use
or could not be removed (each is named), 2 on a usage error.`,
});

/** Where the migration and rotation CLIs find every user's password, for --help. */
const USER_PASSWORDS_NOTE = `Every user's password comes from ${USER_PASSWORDS_ENV} (JSON: {"passwords": {<user>: <password>, ...},
"previous": {<user>: <old password>}} while rotating; a secret, checked by contracts/user-passwords-env.ts),
the old default passwords (steps 1-3) from ${PASSWORD_ENV.redis} and ${PASSWORD_ENV.sentinel}, and on a TLS
stack the tools' certificate from ${TLS_ENV}. None is ever printed or taken from the command line.`;

export const MIGRATE_USERS_CLI = defineCli({
    command: "npm run migrate-users --",
    summary: `Moves a running stack without users onto the ACL users, one step per run, no container replaced
(docs/security.md, "Moving an existing stack onto users"): 1 creates every user on every server and
persists it (CONFIG REWRITE, SENTINEL FLUSHCONFIG); 2 points replication (masteruser) and the Sentinels
(auth-user, sentinel-user) at their users; 3 is the clients' move (nothing is sent; the warmer and the
app get their users); 4 turns default off everywhere. On a Docker stack, 1b (after 1, before 2)
writes the users variants of the containers' scripts and the admin login into every running server
container; nothing restarts. Each action first reads whether it already happened, so a step run
again changes nothing.`,
    options: {
        stack: STACK_OPTION,
        step: { type: "choice", value: "<n>", choices: ["1", "1b", "2", "3", "4"], default: "1", help: "The step to run." },
        "app-writes": { type: "flag", help: "Create the app user read-write (cluster.users.appWrites), not read-only." },
        "dry-run": { type: "flag", help: "Print the step's actions (servers, users, no password); send nothing." },
        timeout: { type: "seconds", value: "<s>", default: 120, help: "Bound of the whole step." },
    },
    notes: `${USER_PASSWORDS_NOTE}
Exit status: 0 done, 1 stopped (the message names the server and the kind of failure), 2 usage error.`,
});

export const ROTATE_USER_CLI = defineCli({
    command: "npm run rotate-user --",
    summary: `Rotates one ACL user's password with no moment when a client is refused: add accepts the new
password next to the old on every server holding the user (and for replication, sentinel and
sentinel-peer moves the servers' own links to it); then move the user's clients; retire drops the
old one everywhere. Either phase run again changes nothing.`,
    options: {
        stack: STACK_OPTION,
        user: { type: "choice", value: "<name>", choices: ACL_USER_NAMES, default: "app", help: "The user to rotate." },
        phase: { type: "choice", value: "<phase>", choices: ROTATION_PHASES, default: "add", help: "add, then (clients moved) retire." },
        "dry-run": { type: "flag", help: "Print the phase's actions (servers, users, no password); send nothing." },
        timeout: { type: "seconds", value: "<s>", default: 120, help: "Bound of the whole phase." },
    },
    notes: `${USER_PASSWORDS_NOTE} "passwords" holds the new one, "previous" the one being retired.
Exit status: 0 done, 1 stopped (the message names the server and the kind of failure), 2 usage error.`,
});

export const POST_DEPLOY_CLI = defineCli({
    command: "node --import tsx cli/post-deploy.ts",
    summary:
        "Runs from the stack's post-deploy command (the plan and passwords in its environment); by hand, use npm run warm / npm run verify.",
    options: {},
});

/** Every CLI with a command line, in the order docs/cli.md lists them. */
export const CLI_SPECS: readonly CliSpec<OptionSpecs>[] = [
    WARM_CLI,
    VERIFY_CLI,
    FAILOVER_CLI,
    DRILL_CLI,
    BACKUP_CLI,
    RESTORE_CLI,
    VOLUMES_CLI,
    MIGRATE_USERS_CLI,
    ROTATE_USER_CLI,
    POST_DEPLOY_CLI,
];
