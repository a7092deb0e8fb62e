import { expect } from "chai";
import { surplusMembers } from "../../../../ops/cluster/membership";

describe("membership after a scale-down", () => {
    it("finds the servers the Sentinels know that the stack no longer declares", () => {
        expect(
            surplusMembers(["10.0.0.11:6379", "10.0.0.13:6379", "10.0.0.12:6379", "10.0.0.13:6379"], ["10.0.0.10:6379", "10.0.0.11:6379"]),
        ).to.deep.equal(["10.0.0.12:6379", "10.0.0.13:6379"]);
        expect(surplusMembers(["10.0.0.11:6379"], ["10.0.0.10:6379", "10.0.0.11:6379", "10.0.0.12:6379"])).to.deep.equal([]);
    });

    it("tells apart two servers on one host's address by their ports (redis/redis#2335)", () => {
        // Across hosts redis-0 and redis-3 both announce host-a's address.
        expect(surplusMembers(["10.77.0.11:6379", "10.77.0.11:6382"], ["10.77.0.11:6379"])).to.deep.equal(["10.77.0.11:6382"]);
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
