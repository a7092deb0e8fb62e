import { expect } from "chai";
import { resp } from "../../../bench/raw-resp-writer";

describe("bench: the raw RESP instrument's encoding", () => {
    it("encodes a command as an array of bulk strings with byte lengths", () => {
        expect(resp("SET", "k", "é✓", "EX", "60")).to.equal("*5\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\né✓\r\n$2\r\nEX\r\n$2\r\n60\r\n");
    });
});
