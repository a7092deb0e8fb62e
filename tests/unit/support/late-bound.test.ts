import { expect } from "chai";
import { lateBound } from "../../support/late-bound";

class Counter {
    count = 0;
    private readonly step: number;
    constructor(step = 1) {
        this.step = step;
    }
    add(): number {
        this.count += this.step;
        return this.count;
    }
    get doubled(): number {
        return this.count * 2;
    }
}

describe("lateBound: a suite fixture's handle on what its before hook creates", () => {
    it("throws, naming the value, when used before the value exists", () => {
        const bound = lateBound<Counter>("the counter");
        expect(() => bound.handle.add()).to.throw(/the counter does not exist yet/);
        expect(() => bound.handle.count).to.throw(/the counter does not exist yet/);
    });

    it("is not a thenable before the value exists, so awaiting it does not throw", async () => {
        const bound = lateBound<Counter>("the counter");
        expect(await Promise.resolve(bound.handle)).to.equal(bound.handle);
    });

    it("reads, calls (methods keep their object, private fields too), runs getters and writes on the current value", () => {
        const bound = lateBound<Counter>("the counter");
        const counter = new Counter(3);
        bound.current = counter;
        const { add } = bound.handle;
        expect(add()).to.equal(3);
        expect(bound.handle.add()).to.equal(6);
        expect(bound.handle.doubled).to.equal(12);
        bound.handle.count = 1;
        expect(counter.count).to.equal(1);
        expect("add" in bound.handle).to.equal(true);
    });

    it("follows the value when it is replaced, and stops when it is cleared", () => {
        const bound = lateBound<Counter>("the counter");
        bound.current = new Counter(1);
        bound.handle.add();
        bound.current = new Counter(10);
        expect(bound.handle.add()).to.equal(10);
        bound.current = undefined;
        expect(() => bound.handle.add()).to.throw(/does not exist yet/);
    });

    it("adds the fixture's own members, which need no value", () => {
        let calls = 0;
        const bound = lateBound<Counter, { again(): number }>("the counter", { again: () => ++calls });
        expect(bound.handle.again()).to.equal(1);
        bound.current = new Counter();
        expect(bound.handle.again()).to.equal(2);
        expect(bound.handle.add()).to.equal(1);
    });
});
