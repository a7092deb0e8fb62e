import { expect } from "chai";
import { lines } from "../../../post-deploy/sources/file-source";
import { entriesFor } from "../../../post-deploy/warmer";
import { batchArgs, Entry } from "../../../post-deploy/writer";

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
