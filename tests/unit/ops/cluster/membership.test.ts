import { expect } from "chai";
import { surplusAddresses } from "../../../../ops/cluster/membership";

describe("membership after a scale-down", () => {
    it("finds the servers the Sentinels know that the stack no longer declares", () => {
        expect(surplusAddresses(["10.0.0.11", "10.0.0.13", "10.0.0.12", "10.0.0.13"], ["10.0.0.10", "10.0.0.11"])).to.deep.equal([
            "10.0.0.12",
            "10.0.0.13",
        ]);
        expect(surplusAddresses(["10.0.0.11"], ["10.0.0.10", "10.0.0.11", "10.0.0.12"])).to.deep.equal([]);
    });
});

describe("container logs for a step's error", () => {
    it("demultiplexes Docker's non-TTY log frames", async () => {
        const { demultiplex } = await import("../../../../ops/docker/container-logs");
        const frame = (stream: number, text: string) => {
            const body = Buffer.from(text);
            const header = Buffer.alloc(8);
            header[0] = stream;
            header.writeUInt32BE(body.length, 4);
            return Buffer.concat([header, body]);
        };
        expect(demultiplex(Buffer.concat([frame(1, "appscreens: empty volume\n"), frame(2, "Fatal error\n")]))).to.equal(
            "appscreens: empty volume\nFatal error\n",
        );
        expect(demultiplex(Buffer.from("plain text\n"))).to.equal("plain text\n");
    });
});

describe("the master most Sentinels name", () => {
    it("takes the majority answer and ignores Sentinels that did not answer", async () => {
        const { mostNamedMaster } = await import("../../../../ops/redis/sentinels");
        expect(
            mostNamedMaster([
                { name: "sentinel-0", masterAddress: "10.0.0.11:6379" },
                { name: "sentinel-1", error: "timeout" },
                { name: "sentinel-2", masterAddress: "10.0.0.11:6379" },
                { name: "sentinel-3", masterAddress: "10.0.0.10:6379" },
            ]),
        ).to.equal("10.0.0.11:6379");
        expect(mostNamedMaster([{ name: "sentinel-0", error: "down" }])).to.equal(undefined);
    });
});
