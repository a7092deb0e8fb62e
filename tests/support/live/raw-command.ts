import { connect } from "node:net";

/** Sends one inline command over a bare TCP connection and returns the first reply line. */
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
                socket.end();
                resolve(buffer.slice(0, end));
            }
        });
        socket.on("error", reject);
    });
}
