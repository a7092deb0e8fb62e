import { expect } from "chai";
import { formatStepFailure, stepFailureKinds } from "../../../contracts/step-failure";

describe("a deploy step's failure on stderr (contracts/step-failure.ts)", () => {
    it("reports a step's failure with its kind in one format that reads back", () => {
        const text = [
            "some engine output",
            formatStepFailure("volume check", "kept-volumes", "stack test would start on 6 data volume(s) ... failed [x]"),
            formatStepFailure("settings step", "rejected-passwords", "redis-0 rejects ..."),
            formatStepFailure("settings step", undefined, "no kind"),
        ].join("\n");
        expect(stepFailureKinds(text)).to.deep.equal(["kept-volumes", "rejected-passwords"]);
    });
});
