import { AddressInfo, createConnection, createServer, Server, Socket } from "node:net";

/**
 * A TCP proxy in front of one server that can hold back the replies of the connections opened
 * while it holds (a Sentinel that is slow to answer), until `release`. Connections opened before
 * `hold` pass through untouched, so a client's long-lived subscriptions keep hearing the server.
 */
export class HoldingProxy {
    private readonly server: Server;
    private readonly sockets = new Set<Socket>();
    private holding = false;
    private held: (() => void)[] = [];
    /** Connections whose replies were held back: how many a client opened while the proxy held. */
    heldConnections = 0;

    private constructor(target: number) {
        this.server = createServer((client) => {
            const upstream = createConnection({ host: "127.0.0.1", port: target });
            for (const s of [client, upstream]) {
                this.sockets.add(s);
                s.on("error", () => undefined);
                s.on("close", () => {
                    this.sockets.delete(s);
                    client.destroy();
                    upstream.destroy();
                });
            }
            client.pipe(upstream);
            // Unpiped, the upstream socket buffers the server's replies in order until released.
            const forward = () => upstream.pipe(client);
            if (this.holding) {
                this.heldConnections++;
                this.held.push(forward);
            } else forward();
        });
    }

    static async start(target: number): Promise<HoldingProxy> {
        const proxy = new HoldingProxy(target);
        await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
        return proxy;
    }

    get port(): number {
        return (this.server.address() as AddressInfo).port;
    }

    hold(): void {
        this.holding = true;
    }

    release(): void {
        this.holding = false;
        for (const forward of this.held.splice(0)) forward();
    }

    async close(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }
}
