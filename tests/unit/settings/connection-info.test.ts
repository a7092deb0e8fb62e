import { expect } from "chai";
import { buildConnectionInfo } from "../../../settings/connection-info";
import { settingsFor } from "../../support/settings";

describe("buildConnectionInfo", () => {
    const info = buildConnectionInfo(
        settingsFor({ replicas: 1, publish: { host: "127.0.0.2", redisBasePort: 7000, sentinelBasePort: 27000 } }),
    );

    it("gives Sentinels as the host reaches them and as the network reaches them", () => {
        expect(info.sentinelEndpoints).to.deep.equal([
            { host: "127.0.0.2", port: 27000 },
            { host: "127.0.0.2", port: 27001 },
            { host: "127.0.0.2", port: 27002 },
        ]);
        expect(info.sentinelEndpointsInNetwork).to.deep.equal([
            { host: "172.28.0.40", port: 26379 },
            { host: "172.28.0.41", port: 26379 },
            { host: "172.28.0.42", port: 26379 },
        ]);
    });

    it("maps every announced node and Sentinel address to its published port", () => {
        // Sentinels too: ioredis maps the Sentinels it discovers through natMap.
        expect(info.natMap).to.deep.equal({
            "172.28.0.10:6379": { host: "127.0.0.2", port: 7000 },
            "172.28.0.11:6379": { host: "127.0.0.2", port: 7001 },
            "172.28.0.40:26379": { host: "127.0.0.2", port: 27000 },
            "172.28.0.41:26379": { host: "127.0.0.2", port: 27001 },
            "172.28.0.42:26379": { host: "127.0.0.2", port: 27002 },
        });
        expect(info.publishedPorts).to.deep.equal({
            "redis-0": 7000,
            "redis-1": 7001,
            "sentinel-0": 27000,
            "sentinel-1": 27001,
            "sentinel-2": 27002,
        });
    });

    it("gives an ioredis example that reads passwords from the environment", () => {
        expect(info.ioredisExample).to.include('name: "mymaster"');
        expect(info.ioredisExample).to.include("failoverDetector: true");
        expect(info.ioredisExample, "with ioredis 6.0.0's detector retired on close").to.include(
            'redis.on("close", () => redis["connector"]?.failoverDetector?.cleanup());',
        );
        expect(info.ioredisExample).to.include("password: process.env.REDIS_PASSWORD");
        expect(info.ioredisExample).to.include('"172.28.0.11:6379":{"host":"127.0.0.2","port":7001}');
    });
});
