import { expect } from "chai";
import { lines } from "../../../../ops/warm/sources/file-source";
import { entriesFor } from "../../../../ops/warm/warmer";
import { batchArgs, ConfirmedWriter, Entry } from "../../../../ops/warm/writer";
import { FakeRedis, target } from "../../../support/fake-redis";

async function* chunked(chunks: readonly string[]): AsyncGenerator<string> {
    yield* chunks;
}

async function collect(chunks: readonly string[]): Promise<string[]> {
    const out: string[] = [];
    for await (const line of lines(chunked(chunks))) out.push(line);
    return out;
}

describe("write path: the snapshot's lines", () => {
    it("cuts lines out of chunks, joining only a line split across chunks", async () => {
        expect(await collect(['{"a":1}\n{"b"', ":2}\n", '{"c":3}'])).to.deep.equal(['{"a":1}', '{"b":2}', '{"c":3}']);
        expect(await collect(["x", "y", "z\nw\n"])).to.deep.equal(["xyz", "w"]);
    });

    it("takes \\r\\n as one line break, also when a chunk ends between the two", async () => {
        expect(await collect(["a\r\nb\r", "\nc\r\n"])).to.deep.equal(["a", "b", "c"]);
    });

    it("keeps empty lines and ends without an empty last line", async () => {
        expect(await collect(["a\n\nb\n"])).to.deep.equal(["a", "", "b"]);
        expect(await collect([])).to.deep.equal([]);
    });
});

describe("write path: values and the script call's arguments", () => {
    const ttl = { screenshotsTtlSeconds: 1000, metadataTtlSeconds: 100, ttlJitterPercent: 0 };
    const metaValue = (description: string | undefined, max = 20) =>
        entriesFor(
            { store: "playstore", appId: "com.a", screenshots: [], metadata: { name: "A", description, version: "1.0" } },
            { ttl, descriptionMaxChars: max },
        )[0].value;

    it("writes the capped description in the place the source gave it, and none when nothing is left of it", () => {
        expect(metaValue("short  text\n")).to.equal(
            '{"store":"playstore","appId":"com.a","name":"A","description":"short text","version":"1.0"}',
        );
        expect(metaValue(" \n\t ")).to.equal('{"store":"playstore","appId":"com.a","name":"A","version":"1.0"}');
        expect(metaValue(undefined)).to.equal('{"store":"playstore","appId":"com.a","name":"A","version":"1.0"}');
        expect(metaValue("some words", 0)).to.equal('{"store":"playstore","appId":"com.a","name":"A","version":"1.0"}');
    });

    it("lays out every key first, then each key's value and TTL, across the apps of a batch", () => {
        const e = (key: string, ttlSeconds: number): Entry => ({ key, value: `v-${key}`, ttl: ttlSeconds });
        const items = [
            { entries: [e("s:1", 10), e("m:1", 20)], tag: 1 },
            { entries: [e("m:2", 30)], tag: 2 },
        ];
        expect(batchArgs(items)).to.deep.equal({ keys: 3, args: ["s:1", "m:1", "m:2", "v-s:1", 10, "v-m:1", 20, "v-m:2", 30] });
        expect(batchArgs([])).to.deep.equal({ keys: 0, args: [] });
    });
});

describe("write path: the replicas each WAIT asks for", () => {
    const item = (i: number) => ({ entries: [{ key: `k:${i}`, value: "v", ttl: 10 }], tag: i });
    const options = { batchSize: 1, batchesInFlight: 1, confirmEveryBatches: 1, waitTimeoutMs: 10, replayWindowMs: 1000, waitReplicas: 2 };

    it("asks the Sentinels up front, lowers the count when a replica goes down, and asks for every replica again once it is back", async () => {
        // What the Sentinels answer, call by call: both up, then one down (twice), then both up again.
        const answers = [2, 1, 1, 2];
        const redis = new FakeRedis([1, 1, 2, 2]);
        const confirmed: number[] = [];
        const writer = new ConfirmedWriter<number>(
            target(redis),
            { ...options, promotableReplicas: async () => answers.shift() ?? 2, requiredRecheckMs: 0 },
            { confirmed: (tags) => confirmed.push(...tags), failed: () => expect.fail("nothing may fail") },
        );
        for (const i of [1, 2, 3, 4]) {
            await writer.add(item(i));
            await writer.close();
        }
        expect(confirmed).to.deep.equal([1, 2, 3, 4]);
        // 1: asked for both, one answered, the Sentinels hold the other down: confirmed. 2: asked for
        // one. 3: asked for one, the Sentinels see both again. 4: asked for both.
        expect(redis.waitAsked).to.deep.equal([2, 1, 1, 2]);
        expect(answers).to.deep.equal([]);
    });

    it("keeps asking for every replica when the Sentinels cannot say (a failover under way)", async () => {
        const redis = new FakeRedis([1, 2]);
        const failed: string[] = [];
        const writer = new ConfirmedWriter<number>(
            target(redis),
            {
                ...options,
                promotableReplicas: async () => {
                    throw new Error("a failover is in progress");
                },
            },
            { confirmed: () => undefined, failed: (_tags, reason) => failed.push(reason) },
        );
        await writer.add(item(1));
        await writer.close();
        expect(failed).to.deep.equal([]);
        // The short WAIT was not taken as enough: the group was replayed, asking for both again.
        expect(redis.waitAsked).to.deep.equal([2, 2]);
    });
});
