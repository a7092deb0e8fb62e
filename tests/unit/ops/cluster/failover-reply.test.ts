import { expect } from "chai";
import { classifyFailoverReply, FailoverFailed, retryableReply } from "../../../../ops/cluster/failover-reply";
import { RedisCommandError } from "../../../../ops/redis/errors";

const reply = (message: string) => new RedisCommandError("reply", "SENTINEL FAILOVER", message, message.split(" ")[0]);

describe("SENTINEL FAILOVER replies", () => {
    it("OK is accepted", () => {
        expect(classifyFailoverReply(undefined)).to.deep.equal({ kind: "accepted" });
    });

    it("-INPROG and -NOGOODSLAVE may be sent again; so may a lost reply", () => {
        const inprog = classifyFailoverReply(reply("INPROG Failover already in progress"));
        const nogood = classifyFailoverReply(reply("NOGOODSLAVE No suitable replica to promote"));
        const lost = classifyFailoverReply(new RedisCommandError("no-answer", "SENTINEL FAILOVER", "Command timed out"));
        expect([inprog.kind, nogood.kind, lost.kind]).to.deep.equal(["in-progress", "no-good-replica", "no-reply"]);
        expect([inprog, nogood, lost].every(retryableReply)).to.equal(true);
    });

    it("any other error reply is refused and not sent again", () => {
        const unknown = classifyFailoverReply(reply("ERR No such master with that name"));
        const auth = classifyFailoverReply(reply("NOAUTH Authentication required."));
        expect([unknown.kind, auth.kind]).to.deep.equal(["refused", "refused"]);
        expect(retryableReply(unknown)).to.equal(false);
        expect(classifyFailoverReply(new Error("something else")).kind).to.equal("refused");
    });

    it("a failed failover carries its kind, every attempt and the Sentinels' view", () => {
        const err = new FailoverFailed(
            "not-completed",
            "no move",
            [{ sentinel: "sentinel-0", reply: classifyFailoverReply(reply("INPROG Failover already in progress")), sentAt: 0 }],
            "sentinel-0: names 127.0.0.1:6379",
        );
        expect(err.kind).to.equal("not-completed");
        expect(err.message).to.include("sentinel-0: in-progress (INPROG Failover already in progress)");
        expect(err.message).to.include("the Sentinels' view:\nsentinel-0: names 127.0.0.1:6379");
    });
});
