import { expect } from "chai";
import { classifyAppleError } from "../../../../ops/warm/sources/app-store";
import { SourceError } from "../../../../ops/warm/sources/failure";
import { defaultKind, HttpJsonClient, HttpOptions, retryAfterMs } from "../../../../ops/warm/sources/http-client";
import { classifyGooglePlayApiError } from "../../../../ops/warm/sources/play-store";
import { sendJson, startServer, TestServer } from "../../../support/http-server";

const FAST: HttpOptions = {
    timeoutMs: 300,
    concurrency: 4,
    requestsPerMinute: 6000,
    retries: 3,
    throttleBackoffMs: 100,
    minBackoffMs: 5,
    maxBackoffMs: 20,
};
const failure = (p: Promise<unknown>) =>
    p.then(
        () => undefined,
        (e: unknown) => e as SourceError,
    );

describe("HttpJsonClient", function () {
    this.timeout(20_000);
    let server: TestServer | undefined;

    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    it("retries 5xx with backoff, then returns the JSON", async () => {
        const statuses = [502, 503, 200];
        server = await startServer((_req, res) => {
            const status = statuses.shift() ?? 200;
            sendJson(res, status, status === 200 ? { ok: true } : { error: "busy" });
        });
        const client = new HttpJsonClient(FAST);
        expect(await client.getJson(`${server.url}/x`)).to.deep.equal({ ok: true });
        expect(client.requests).to.equal(3);
    });

    it("gives up after the configured retries on a persistent 500, as unavailable", async () => {
        server = await startServer((_req, res) => sendJson(res, 500, "down"));
        const error = await failure(new HttpJsonClient({ ...FAST, retries: 2 }).getJson(`${server.url}/x`));
        expect(error).to.be.instanceOf(SourceError);
        expect(error?.kind).to.equal("unavailable");
        expect(server.hits).to.have.length(3);
    });

    it("does not retry not-found, refusals or malformed JSON, and says which", async () => {
        server = await startServer((req, res) => {
            if (req.url === "/404") return sendJson(res, 404, { message: "App not found" });
            if (req.url === "/400") return sendJson(res, 400, { message: "bad" });
            sendJson(res, 200, "<html>not json");
        });
        const client = new HttpJsonClient(FAST);
        expect((await failure(client.getJson(`${server.url}/404`)))?.kind).to.equal("not-found");
        expect((await failure(client.getJson(`${server.url}/400`)))?.kind).to.equal("rejected");
        expect((await failure(client.getJson(`${server.url}/html`)))?.kind).to.equal("bad-response");
        expect(server.hits).to.have.length(3);
    });

    it("times out a request that hangs, retries it, and reports the store unavailable", async () => {
        server = await startServer(() => undefined);
        const error = await failure(new HttpJsonClient({ ...FAST, timeoutMs: 100, retries: 1 }).getJson(`${server.url}/slow`));
        expect(error?.kind).to.equal("unavailable");
        expect(error?.message).to.match(/timed out after 100 ms/);
        expect(server.hits).to.have.length(2);
    });

    it("reports a refused connection as unavailable", async () => {
        const closed = await startServer(() => undefined);
        await closed.close();
        const error = await failure(new HttpJsonClient({ ...FAST, retries: 0 }).getJson(`${closed.url}/x`));
        expect(error?.kind).to.equal("unavailable");
        expect(error?.message).to.match(/cannot reach .*ECONNREFUSED/);
    });

    it("retries Apple's throttling (403, empty body) after pausing the whole store for Retry-After", async () => {
        let refused = 0;
        server = await startServer((req, res) => {
            if (req.url === "/lookup" && refused++ === 0) {
                res.writeHead(403, { "retry-after": "1", "content-length": "0" });
                res.end();
                return;
            }
            sendJson(res, 200, { resultCount: 0, results: [] });
        });
        const client = new HttpJsonClient(FAST, classifyAppleError);
        const started = Date.now();
        const first = client.getJson(`${server.url}/lookup`);
        await new Promise((r) => setTimeout(r, 50));
        // A request issued while the store is paused waits too, instead of hammering it.
        const second = client.getJson(`${server.url}/other`);
        expect(await first).to.deep.equal({ resultCount: 0, results: [] });
        await second;
        expect(server.hits.map((h) => h.path).sort()).to.deep.equal(["/lookup", "/lookup", "/other"]);
        // Only the first request went out before the pause ended.
        expect(server.hits.filter((h) => h.at - started < 950)).to.have.length(1);
    });

    it("reports a store that stays throttled as throttled and then stops asking it", async () => {
        server = await startServer((_req, res) => {
            res.writeHead(403, { "content-length": "0" });
            res.end();
        });
        const client = new HttpJsonClient({ ...FAST, retries: 2, throttleBackoffMs: 20 }, classifyAppleError);
        const error = await failure(client.getJson(`${server.url}/lookup?id=1,2,3`));
        expect(error?.kind).to.equal("throttled");
        expect(error?.details.throttling).to.deep.equal({ status: 403, retries: 2 });
        // The store's condition, not the request that gave up first: no URL, so no app ids.
        expect(error?.message).to.equal("HTTP 403 (empty body); still throttled after 2 retries (no Retry-After); stopped asking");
        expect(server.hits).to.have.length(3);
        const later = await failure(client.getJson(`${server.url}/lookup?id=4`));
        expect(later).to.equal(error);
        expect(server.hits).to.have.length(3);
    });

    it("reports the longest Retry-After and google-play-api's message of a store that stays throttled", async () => {
        const waits = ["1", "2", undefined];
        server = await startServer((_req, res) => {
            const wait = waits.shift();
            res.writeHead(400, { "content-type": "application/json", ...(wait ? { "retry-after": wait } : {}) });
            res.end(JSON.stringify({ message: "Error requesting Google Play:Response code 429 (Too Many Requests)" }));
        });
        const client = new HttpJsonClient({ ...FAST, retries: 2 }, classifyGooglePlayApiError);
        const error = await failure(client.getJson(`${server.url}/api/apps/com.whatsapp`));
        expect(error?.details.throttling).to.deep.equal({
            status: 400,
            retries: 2,
            retryAfterMs: 2000,
            body: '{"message":"Error requesting Google Play:Response code 429 (Too Many Requests)"}',
        });
        expect(error?.message).to.not.include("com.whatsapp");
        expect(error?.message).to.match(
            /^HTTP 400: .*Response code 429.*; still throttled after 2 retries \(Retry-After 2 s\); stopped asking$/,
        );
    });

    it("retries google-play-api's throttling 400 and fails its not-found 400 at once", async () => {
        let calls = 0;
        server = await startServer((req, res) => {
            if (req.url?.startsWith("/api/apps/missing")) return sendJson(res, 400, { message: "App not found (404)" });
            if (calls++ === 0)
                return sendJson(res, 400, { message: "Error requesting Google Play:Response code 503 (Service Unavailable)" });
            sendJson(res, 200, { appId: "a.b" });
        });
        const client = new HttpJsonClient(FAST, classifyGooglePlayApiError);
        expect(await client.getJson(`${server.url}/api/apps/a.b`)).to.deep.equal({ appId: "a.b" });
        expect((await failure(client.getJson(`${server.url}/api/apps/missing`)))?.kind).to.equal("not-found");
        expect(server.hits.map((h) => h.path)).to.deep.equal(["/api/apps/a.b", "/api/apps/a.b", "/api/apps/missing"]);
    });

    it("keeps at most `concurrency` requests in flight", async () => {
        server = await startServer(async (_req, res) => {
            await new Promise((r) => setTimeout(r, 50));
            sendJson(res, 200, {});
        });
        const client = new HttpJsonClient({ ...FAST, concurrency: 2 });
        await Promise.all(Array.from({ length: 8 }, (_, i) => client.getJson(`${server!.url}/${i}`)));
        expect(server.hits).to.have.length(8);
        expect(server.inFlight.max).to.equal(2);
    });

    it("spreads requests evenly at `requestsPerMinute`", async () => {
        server = await startServer((_req, res) => sendJson(res, 200, {}));
        const client = new HttpJsonClient({ ...FAST, requestsPerMinute: 600 });
        await Promise.all(Array.from({ length: 6 }, (_, i) => client.getJson(`${server!.url}/${i}`)));
        const times = server.hits.map((h) => h.at).sort((a, b) => a - b);
        // 600 per minute is one per 100 ms: no burst at the start, 500 ms from the first to the sixth.
        for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1], `gap ${i}`).to.be.at.least(85);
        expect(times[5] - times[0]).to.be.at.least(450);
    });
});

describe("HTTP failure rules", () => {
    it("map statuses to kinds", () => {
        expect([429, 404, 500, 503, 400, 401].map(defaultKind)).to.deep.equal([
            "throttled",
            "not-found",
            "unavailable",
            "unavailable",
            "rejected",
            "rejected",
        ]);
    });

    it("read Retry-After in seconds or as a date", () => {
        expect(retryAfterMs("120")).to.equal(120_000);
        expect(retryAfterMs(new Date(10_000 + 5000).toUTCString(), 10_000)).to.be.within(4000, 5000);
        expect(retryAfterMs(null)).to.equal(undefined);
        expect(retryAfterMs("soon")).to.equal(undefined);
    });
});
