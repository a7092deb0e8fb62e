import { connect } from "node:net";

/**
 * Whether a Redis server answers PING at `address:port` within `timeoutMs`: a raw socket, no
 * client library, so nothing retries or reconnects behind the test's back and a frozen or cut
 * host shows as no answer within the deadline.
 */
export function answersPing(address: string, port: number, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = connect({ host: address, port });
        let reply = "";
        const done = (ok: boolean) => {
            clearTimeout(timer);
            socket.destroy();
            resolve(ok);
        };
        const timer = setTimeout(() => done(false), timeoutMs);
        socket.on("connect", () => socket.write("PING\r\n"));
        socket.on("data", (d: Buffer) => {
            reply += d.toString("latin1");
            if (reply.includes("\r\n")) done(reply.startsWith("+PONG"));
        });
        socket.on("error", () => done(false));
        socket.on("close", () => done(false));
    });
}
