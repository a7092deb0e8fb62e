import { expect } from "chai";
import { idealMs } from "../../../bench/stats";

describe("bench: the ideal time of an upstream run", () => {
    it("bound an upstream run by the rate limit or by concurrency, whichever is slower", () => {
        // 11 requests at 20 per minute: 10 gaps of 3 s, then the last answer's 50 ms.
        expect(idealMs(11, { requestsPerMinute: 20, concurrency: 1 }, 50)).to.equal(30_050);
        // 1001 requests at 3000 per minute (20 ms apart) with 4 in flight of 50 ms each: the rate binds.
        expect(idealMs(1001, { requestsPerMinute: 3000, concurrency: 4 }, 50)).to.equal(20_050);
        // With one request in flight, 50 ms each binds instead.
        expect(idealMs(1001, { requestsPerMinute: 3000, concurrency: 1 }, 50)).to.equal(50_050);
    });
});
