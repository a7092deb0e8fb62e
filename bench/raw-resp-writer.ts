import { createReadStream } from "node:fs";
import { connect, Socket } from "node:net";
import { once } from "node:events";
import { lines, parseSnapshotLine } from "../ops/warm/sources/file-source";
import { entriesFor } from "../ops/warm/warmer";
import { PostDeployPlan } from "../contracts/plan";
import { BenchTarget } from "./targets";

/** One RESP command of bulk strings. */
export const resp = (...args: readonly string[]): string =>
    `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;

/**
 * A measuring instrument, not product code: the warmer's input and values (the same snapshot
 * lines, parsed and validated, the same `entriesFor`), written as plain `SET key value EX ttl`
 * commands encoded by hand onto a raw socket to the master, with a `WAIT 1` every 4,000 keys and
 * every reply counted: about the least CPU a Node writer that prepares what the warmer prepares
 * can spend per key. No replay, no failover handling, no end-of-run check. It tells whether 10 x
 * the naive writer is reachable on this machine by any Node writer, not only by the warmer.
 */
export async function rawRespWriter(target: BenchTarget, files: Readonly<Record<string, string>>, plan: PostDeployPlan): Promise<number> {
    const master = await target.master();
    const socket: Socket = connect(master.port, master.host);
    socket.setNoDelay(true);
    await once(socket, "connect");
    let replies = 0;
    let errors = "";
    // Every reply here is one line (+OK, :n, or -ERR ...).
    socket.on("data", (chunk: Buffer) => {
        for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) replies++;
        const error = chunk[0] === 45 /* - */ ? 0 : chunk.indexOf("\n-") + 1;
        if (error > 0 || chunk[0] === 45) errors ||= chunk.toString("utf8", error, error + 200);
    });
    const options = { ttl: plan.cache, descriptionMaxChars: plan.warmer.descriptionMaxChars };
    let sent = 0;
    let keys = 0;
    const write = async (text: string) => {
        if (!socket.write(text)) await once(socket, "drain");
    };
    await write(resp("AUTH", target.credentials.redisPassword));
    sent++;
    const started = process.hrtime.bigint();
    let batch = "";
    let inBatch = 0;
    for (const file of Object.values(files)) {
        let n = 0;
        for await (const line of lines(createReadStream(file, { encoding: "utf8" }))) {
            if (!line) continue;
            for (const e of entriesFor(parseSnapshotLine(line, ++n), options)) {
                batch += resp("SET", e.key, e.value, "EX", String(e.ttl));
                sent++;
                keys++;
                if (++inBatch === 500) {
                    if (keys % 4000 === 0) {
                        batch += resp("WAIT", "1", "1000");
                        sent++;
                    }
                    await write(batch);
                    batch = "";
                    inBatch = 0;
                }
            }
        }
    }
    batch += resp("WAIT", "1", "1000");
    sent++;
    await write(batch);
    while (replies < sent) {
        if (errors) break;
        await once(socket, "data");
    }
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    socket.destroy();
    if (errors) throw new Error(`raw RESP writer: ${errors}`);
    return keys / seconds;
}
