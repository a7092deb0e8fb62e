import { expect } from "chai";
import {
    DurationError,
    formatGoDuration,
    normaliseContainerInputs,
    parseGoDuration,
    readBackDuration,
} from "../../support/provider-normalise";

describe("the docker provider's read-back forms", () => {
    it("prints durations as Go's Duration.String() does", () => {
        const cases: Record<string, string> = {
            "60s": "1m0s",
            "1m": "1m0s",
            "90s": "1m30s",
            "2s": "2s",
            "1.5s": "1.5s",
            "500ms": "500ms",
            "1500ms": "1.5s",
            "1h": "1h0m0s",
            "3661s": "1h1m1s",
            "0s": "0s",
            "0": "0s",
            "250us": "250µs",
            "1m0s": "1m0s",
        };
        for (const [written, read] of Object.entries(cases)) expect(readBackDuration(written), written).to.equal(read);
        expect(formatGoDuration(7)).to.equal("7ns");
    });

    it("rejects what time.ParseDuration rejects", () => {
        for (const bad of ["", "60", "1 s", "-1s", "1d", "s"]) expect(() => parseGoDuration(bad), bad).to.throw(DurationError);
    });

    it("leaves a container declared in read-back form unchanged, and shows what would drift", () => {
        const declared = {
            name: "c",
            healthcheck: { tests: ["CMD", "true"], interval: "2s", timeout: "3s", retries: 15, startPeriod: "1m0s" },
            ports: [{ internal: 6379, external: 16379, ip: "127.0.0.1", protocol: "tcp" }],
        };
        expect(normaliseContainerInputs(declared)).to.deep.equal(declared);
        const drifting = {
            ...declared,
            healthcheck: { ...declared.healthcheck, startPeriod: "60s" },
            ports: [{ internal: 6379, external: 16379 }],
        };
        const read = normaliseContainerInputs(drifting);
        expect((read.healthcheck as { startPeriod: string }).startPeriod).to.equal("1m0s");
        expect((read.ports as { ip: string }[]).map((p) => p.ip)).to.deep.equal(["0.0.0.0", "::"]);
    });
});
