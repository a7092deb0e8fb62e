import { expect } from "chai";
import { formatted, idealMs, summary } from "../../../bench/stats";

describe("bench statistics", () => {
    it("give the median and spread of repetitions", () => {
        expect(summary([5, 1, 3])).to.deep.equal({ median: 3, min: 1, max: 5 });
        expect(summary([4, 1, 3, 2])).to.deep.equal({ median: 2.5, min: 1, max: 4 });
        expect(formatted([1.26, 1.1, 1.3], 2)).to.equal("1.26 (1.10-1.30)");
    });

    it("bound an upstream run by the rate limit or by concurrency, whichever is slower", () => {
        // 11 requests at 20 per minute: 10 gaps of 3 s, then the last answer's 50 ms.
        expect(idealMs(11, { requestsPerMinute: 20, concurrency: 1 }, 50)).to.equal(30_050);
        // 1001 requests at 3000 per minute (20 ms apart) with 4 in flight of 50 ms each: the rate binds.
        expect(idealMs(1001, { requestsPerMinute: 3000, concurrency: 4 }, 50)).to.equal(20_050);
        // With one request in flight, 50 ms each binds instead.
        expect(idealMs(1001, { requestsPerMinute: 3000, concurrency: 1 }, 50)).to.equal(50_050);
    });
});
