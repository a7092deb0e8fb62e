import { expect } from "chai";
import { surplusAddresses } from "../../../post-deploy/membership";
import { replyCode } from "../../../post-deploy/settings-apply";

describe("membership after a scale-down", () => {
    it("finds the servers the Sentinels know that the stack no longer declares", () => {
        expect(surplusAddresses(["10.0.0.11", "10.0.0.13", "10.0.0.12", "10.0.0.13"], ["10.0.0.10", "10.0.0.11"])).to.deep.equal([
            "10.0.0.12",
            "10.0.0.13",
        ]);
        expect(surplusAddresses(["10.0.0.11"], ["10.0.0.10", "10.0.0.11", "10.0.0.12"])).to.deep.equal([]);
    });
});

describe("settings step failures", () => {
    it("reads the kind of a Redis error reply from its code, not its wording", () => {
        expect(replyCode(new Error("WRONGPASS invalid username-password pair or user is disabled."))).to.equal("WRONGPASS");
        expect(replyCode(new Error("NOAUTH Authentication required."))).to.equal("NOAUTH");
        expect(replyCode(new Error("connect ECONNREFUSED 127.0.0.1:6379"))).to.equal("");
        expect(replyCode("not an error")).to.equal("");
    });
});
