import { expect } from "chai";
import { certificateExpiryCheck } from "../../../../ops/verify/tls-expiry";

const HOUR = 3_600_000;
const NOW = new Date("2026-12-03T12:00:00.000Z");
const cert = (hoursLeft: number) => ({
    server: "redis-1",
    validTo: new Date(NOW.getTime() + hoursLeft * HOUR),
    serialNumber: "5A1E",
    fingerprint256: "AB:CD",
});

describe("ops/verify/tls-expiry", () => {
    it("passes while more than the renewal window is left", () => {
        const c = certificateExpiryCheck(cert(721), 720, NOW);
        expect(c).to.deep.equal({
            name: "tls.redis-1.expiry",
            ok: true,
            expected: "more than tls.renewalWindowHours (720 h) left",
            actual: "redis-1's certificate (serial 5A1E) expires 2027-01-02T13:00:00.000Z, in 721.0 h",
        });
    });

    it("fails at and inside the window, naming the server, its expiry and the setting", () => {
        for (const left of [720, 100, 0.5]) {
            const c = certificateExpiryCheck(cert(left), 720, NOW);
            expect(c.ok, String(left)).to.equal(false);
            expect(c.actual).to.include("redis-1's certificate (serial 5A1E)");
            expect(c.actual).to.include(cert(left).validTo.toISOString());
            expect(c.actual).to.include("inside tls.renewalWindowHours (720 h)");
        }
    });

    it("fails an expired certificate, saying it expired", () => {
        const c = certificateExpiryCheck(cert(-2), 24, NOW);
        expect(c.ok).to.equal(false);
        expect(c.actual).to.match(/^redis-1's certificate \(serial 5A1E\) expired at 2026-12-03T10:00:00.000Z, inside/);
    });
});
