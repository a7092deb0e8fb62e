// Command-line options of the operations CLIs (warm, verify, drill, failover, backup, restore):
// one spec per CLI gives the parser, the checks of every value and the --help text, so the three
// cannot drift apart. Node's own `util.parseArgs` splits the words; this module checks them.
import { parseArgs } from "node:util";

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
const flagOf = (name: string, spec: OptionSpec): string => `--${name}${spec.type === "flag" ? "" : ` ${spec.value}`}`;
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

function defaultOf(spec: OptionSpec): unknown {
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
