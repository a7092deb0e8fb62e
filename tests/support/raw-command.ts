import { connect } from "node:net";

/**
 * Sends one inline command over a bare TCP connection and returns the first reply line: what a
 * client without a Redis library sees (an unauthenticated PING, a server still binding its port).
 */
export function rawCommand(host: string, port: number, command: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = connect({ host, port });
        let buffer = "";
        socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no reply from ${host}:${port} within ${timeoutMs} ms`)));
        socket.on("connect", () => socket.write(`${command}\r\n`));
        socket.on("data", (chunk) => {
            buffer += chunk.toString("utf8");
            const end = buffer.indexOf("\r\n");
            if (end >= 0) {
                socket.destroy();
                resolve(buffer.slice(0, end));
            }
        });
        socket.on("error", reject);
        // Closed before a whole line: settles the promise (a no-op once it has resolved).
        socket.on("close", () => reject(new Error(`${host}:${port} closed the connection without a reply`)));
    });
}
