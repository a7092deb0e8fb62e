import { expect } from "chai";
import { updatesInPlace } from "../../../testing/replay/docker-apply";
import { applyIgnoreChanges, parsePropertyPath } from "../../../testing/replay/ignore-changes";

describe("replay: ignoreChanges and in-place updates", () => {
    it("parses property paths with array elements", () => {
        expect(parsePropertyPath("uploads[0].content")).to.deep.equal(["uploads", 0, "content"]);
        expect(parsePropertyPath("healthcheck")).to.deep.equal(["healthcheck"]);
    });

    it("keeps the old value of an ignored path and the new value of everything else", () => {
        const oldInputs = {
            image: "a",
            uploads: [
                { file: "/x", content: "old" },
                { file: "/y", content: "same" },
            ],
        };
        const newInputs = {
            image: "b",
            uploads: [
                { file: "/x", content: "new" },
                { file: "/y", content: "changed" },
            ],
        };
        expect(applyIgnoreChanges(newInputs, oldInputs, ["uploads[0].content"])).to.deep.equal({
            image: "b",
            uploads: [
                { file: "/x", content: "old" },
                { file: "/y", content: "changed" },
            ],
        });
        expect(newInputs.uploads[0].content).to.equal("new");
        expect(applyIgnoreChanges(newInputs, undefined, ["uploads[0].content"])).to.equal(newInputs);
    });

    it("updates a local.Command in place unless its triggers change without an update command", () => {
        const type = "command:local:Command";
        expect(updatesInPlace(type, { create: "a", environment: { X: "1" } }, { create: "a", environment: { X: "2" } })).to.equal(true);
        expect(updatesInPlace(type, { create: "a", triggers: [1] }, { create: "a", triggers: [2] })).to.equal(false);
        expect(updatesInPlace(type, { create: "a", update: "a", triggers: [1] }, { create: "a", update: "a", triggers: [2] })).to.equal(
            true,
        );
        expect(updatesInPlace("docker:index/container:Container", { image: "a" }, { image: "b" })).to.equal(false);
    });
});
