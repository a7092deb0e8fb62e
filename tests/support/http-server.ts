import { createServer, IncomingMessage, Server, ServerResponse } from "node:http";
import { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
    readonly url: string;
    readonly hits: { path: string; at: number }[];
    /** Requests being answered right now, and the most there ever were at once. */
    readonly inFlight: { now: number; max: number };
    close(): Promise<void>;
}

/** An HTTP server on 127.0.0.1 with a random port, recording every request. */
export async function startServer(handler: Handler): Promise<TestServer> {
    const hits: { path: string; at: number }[] = [];
    const inFlight = { now: 0, max: 0 };
    const server: Server = createServer(async (req, res) => {
        hits.push({ path: req.url ?? "", at: Date.now() });
        inFlight.now++;
        inFlight.max = Math.max(inFlight.max, inFlight.now);
        res.on("close", () => inFlight.now--);
        try {
            await handler(req, res);
        } catch (err) {
            res.statusCode = 500;
            res.end(String(err));
        }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        hits,
        inFlight,
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}

export const sendJson = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { "content-type": "application/json" });
    res.end(typeof body === "string" ? body : JSON.stringify(body));
};
