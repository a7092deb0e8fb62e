import { expect } from "chai";
import { HttpError, HttpJsonClient } from "../../../post-deploy/sources/http-client";
import { AppNotFoundError, SourceFormatError } from "../../../post-deploy/sources/types";
import { sendJson, startServer, TestServer } from "../../helpers/http-server";

const FAST = { timeoutMs: 300, concurrency: 4, requestsPerSecond: 100, retries: 3, minBackoffMs: 5, maxBackoffMs: 20 };

describe("HttpJsonClient", function () {
    this.timeout(20_000);
    let server: TestServer | undefined;

    afterEach(async () => {
        await server?.close();
        server = undefined;
    });

    it("retries 429 and 5xx with backoff, then returns the JSON", async () => {
        const statuses = [429, 503, 200];
        server = await startServer((_req, res) => {
            const status = statuses.shift() ?? 200;
            sendJson(res, status, status === 200 ? { ok: true } : { error: "busy" });
        });
        const client = new HttpJsonClient(FAST);
        expect(await client.getJson(`${server.url}/x`)).to.deep.equal({ ok: true });
        expect(client.requests).to.equal(3);
        expect(server.hits).to.have.length(3);
    });

    it("gives up after the configured retries on a persistent 500", async () => {
        server = await startServer((_req, res) => sendJson(res, 500, "down"));
        const client = new HttpJsonClient({ ...FAST, retries: 2 });
        const error = await client.getJson(`${server.url}/x`).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(HttpError);
        expect((error as HttpError).status).to.equal(500);
        expect(server.hits).to.have.length(3);
    });

    it("does not retry a 404", async () => {
        server = await startServer((_req, res) => sendJson(res, 404, { message: "App not found" }));
        const error = await new HttpJsonClient(FAST).getJson(`${server.url}/api/apps/none`).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(AppNotFoundError);
        expect(server.hits).to.have.length(1);
    });

    it("does not retry other 4xx or malformed JSON", async () => {
        server = await startServer((req, res) => (req.url === "/bad" ? sendJson(res, 400, "bad") : sendJson(res, 200, "<html>not json")));
        const client = new HttpJsonClient(FAST);
        expect(await client.getJson(`${server.url}/bad`).catch((e: unknown) => e)).to.be.instanceOf(HttpError);
        expect(await client.getJson(`${server.url}/html`).catch((e: unknown) => e)).to.be.instanceOf(SourceFormatError);
        expect(server.hits).to.have.length(2);
    });

    it("times out a request that hangs and retries it", async () => {
        server = await startServer(() => undefined);
        const client = new HttpJsonClient({ ...FAST, timeoutMs: 100, retries: 1 });
        const error = await client.getJson(`${server.url}/slow`).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(HttpError);
        expect((error as Error).message).to.match(/timed out after 100 ms/);
        expect(server.hits).to.have.length(2);
    });

    it("reports a refused connection as unreachable", async () => {
        const closed = await startServer(() => undefined);
        await closed.close();
        const error = await new HttpJsonClient({ ...FAST, retries: 0 }).getJson(`${closed.url}/x`).catch((e: unknown) => e);
        expect(error).to.be.instanceOf(HttpError);
        expect((error as Error).message).to.match(/cannot reach .*ECONNREFUSED/);
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

    it("starts at most `requestsPerSecond` requests in any one second", async () => {
        server = await startServer((_req, res) => sendJson(res, 200, {}));
        const client = new HttpJsonClient({ ...FAST, requestsPerSecond: 3 });
        await Promise.all(Array.from({ length: 7 }, (_, i) => client.getJson(`${server!.url}/${i}`)));
        const times = server.hits.map((h) => h.at).sort((a, b) => a - b);
        // The 4th request may start only once the first second's 3 are spent, the 7th after two.
        expect(times[3] - times[0]).to.be.at.least(900);
        expect(times[6] - times[0]).to.be.at.least(1900);
    });
});
