import { expect } from "chai";
import { defineCli, formatHelp, OptionValues, parseCommandLine, UsageError } from "../../../cli/options";

const cli = defineCli({
    command: "npm run example --",
    summary: "Does an example thing.",
    options: {
        stack: { type: "string", value: "<name>", required: true, help: "Stack to use." },
        note: { type: "string", value: "<text>", help: "Free text." },
        timeout: { type: "seconds", value: "<s>", default: 60, help: "Bound of each wait." },
        wait: { type: "seconds", value: "<s>", default: 0, allowZero: true, help: "Retry this long." },
        sample: { type: "count", value: "<n>", help: "Keys to check." },
        method: { type: "choice", value: "<m>", choices: ["handover", "sentinel"], default: "handover", help: "How to fail over." },
        "dry-run": { type: "flag", help: "Change nothing." },
    },
    notes: "Exit status: 0 done, 2 usage error.",
});

const parse = (...args: string[]): OptionValues<typeof cli.options> => {
    const parsed = parseCommandLine(cli, args);
    if (parsed.help) return expect.fail("asked for help");
    return parsed.values;
};

/** The usage error a command line gets, or a failed test if it is accepted. */
function refusal(...args: string[]): UsageError {
    try {
        parseCommandLine(cli, args);
    } catch (err) {
        expect(err).to.be.instanceOf(UsageError);
        expect((err as UsageError).kind).to.equal("usage");
        return err as UsageError;
    }
    return expect.fail(`accepted ${args.join(" ")}`);
}

describe("CLI options (cli/options.ts)", () => {
    it("gives every option its typed value, with defaults for those not given", () => {
        const values = parse("--stack", "dev");
        expect(values).to.deep.equal({
            stack: "dev",
            note: undefined,
            timeout: 60,
            wait: 0,
            sample: undefined,
            method: "handover",
            "dry-run": false,
        });
        // Type-level: a choice is its union, a required string is a string.
        const method: "handover" | "sentinel" = values.method;
        const stack: string = values.stack;
        expect([method, stack]).to.deep.equal(["handover", "dev"]);
    });

    it("reads values given as --name value and --name=value", () => {
        expect(
            parse("--stack=prod", "--timeout", "2.5", "--wait=0", "--sample", "50", "--method", "sentinel", "--dry-run", "--note", "-x"),
        ).to.deep.equal({ stack: "prod", note: "-x", timeout: 2.5, wait: 0, sample: 50, method: "sentinel", "dry-run": true });
    });

    it("answers --help (or -h) wherever it stands, even on a command line that is otherwise wrong", () => {
        expect(parseCommandLine(cli, ["--help"])).to.deep.equal({ help: true });
        expect(parseCommandLine(cli, ["--stack", "dev", "--bogus", "-h"])).to.deep.equal({ help: true });
    });

    it("names an unknown option and lists the ones there are", () => {
        const err = refusal("--stack", "dev", "--timout", "5");
        expect(err.option).to.equal("--timout");
        expect(err.message).to.equal(
            "unknown option --timout; npm run example -- takes --stack, --note, --timeout, --wait, --sample, --method, --dry-run or --help",
        );
    });

    it("names a missing required option with its value and what it is for", () => {
        const err = refusal("--timeout", "5");
        expect(err.option).to.equal("--stack");
        expect(err.message).to.equal("--stack <name> is required: Stack to use.");
    });

    it("refuses an option without its value, including when the next word is another option", () => {
        expect(refusal("--stack").message).to.equal("--stack needs a value: --stack <name>");
        expect(refusal("--stack", "--dry-run").message).to.equal("--stack needs a value: --stack <name>");
        expect(refusal("--stack", "dev", "--timeout").option).to.equal("--timeout");
    });

    it("refuses bad values, saying what the option takes", () => {
        for (const bad of ["0", "-1", "soon", ""]) {
            expect(refusal("--stack", "dev", `--timeout=${bad}`).message).to.equal(
                `--timeout takes a positive number of seconds, such as --timeout 60; not ${bad}`,
            );
        }
        expect(refusal("--stack", "dev", "--wait=-1").message).to.equal("--wait takes a number of seconds, such as --wait 60; not -1");
        for (const bad of ["0", "2.5", "ten"]) {
            expect(refusal("--stack", "dev", "--sample", bad).message).to.equal(
                `--sample takes a positive whole number, such as --sample 10; not ${bad}`,
            );
        }
        const method = refusal("--stack", "dev", "--method", "bare");
        expect(method.option).to.equal("--method");
        expect(method.message).to.equal("--method is handover or sentinel, not bare");
    });

    it("refuses a value given to a flag, a repeated option and a stray word", () => {
        expect(refusal("--stack", "dev", "--dry-run=yes").message).to.equal(
            "--dry-run takes no value; write --dry-run alone, not --dry-run=yes",
        );
        expect(refusal("--stack", "dev", "--stack", "prod").message).to.equal("--stack is given twice; give it once");
        const stray = refusal("dev");
        expect(stray.option).to.equal(undefined);
        expect(stray.message).to.include('unexpected argument "dev"').and.include("--stack dev");
    });

    it("writes --help from the same spec: usage line with the required options, every option with its default, the notes", () => {
        expect(formatHelp(cli)).to.equal(
            [
                "Usage: npm run example -- --stack <name> [options]",
                "",
                "Does an example thing.",
                "",
                "Options:",
                "  --stack <name>   Stack to use.",
                "  --note <text>    Free text.",
                "  --timeout <s>    Bound of each wait. (default 60)",
                "  --wait <s>       Retry this long. (default 0)",
                "  --sample <n>     Keys to check.",
                "  --method <m>     How to fail over. (default handover)",
                "  --dry-run        Change nothing.",
                "  --help           Show this help.",
                "",
                "Exit status: 0 done, 2 usage error.",
            ].join("\n"),
        );
    });

    it("wraps long option help under its own column", () => {
        const long = defineCli({
            command: "x",
            summary: "s",
            options: { method: { type: "flag", help: `${"word ".repeat(40)}end` } },
        });
        const lines = formatHelp(long).split("\n");
        const first = lines.findIndex((l) => l.startsWith("  --method"));
        expect(lines[first].length).to.be.at.most(100);
        expect(lines[first + 1]).to.match(/^ {13}word/);
        expect(lines[first + 1].length).to.be.at.most(100);
    });
});
