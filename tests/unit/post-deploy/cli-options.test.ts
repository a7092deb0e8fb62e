import { expect } from "chai";
import { required, secondsOption, UsageError } from "../../../post-deploy/cli/common";

describe("CLI options", () => {
    it("turns seconds into milliseconds, with a default, and refuses what is not a positive number", () => {
        expect(secondsOption(undefined, "--timeout", 60)).to.equal(60_000);
        expect(secondsOption("2.5", "--timeout", 60)).to.equal(2500);
        for (const bad of ["0", "-1", "soon"]) {
            expect(() => secondsOption(bad, "--timeout", 60)).to.throw(
                UsageError,
                `--timeout takes a positive number of seconds, not ${bad}`,
            );
        }
    });

    it("names a missing required option", () => {
        expect(required("dev", "name the stack")).to.equal("dev");
        expect(() => required(undefined, "name the stack with --stack <name>")).to.throw(UsageError, "--stack <name>");
    });
});
