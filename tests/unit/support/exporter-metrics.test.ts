import { expect } from "chai";
import { metricNames, metricsInExpr, sampleValue } from "../../support/exporter-metrics";

const PAGE = `# HELP redis_up Information about the Redis instance
# TYPE redis_up gauge
redis_up 1
redis_errors_total{err="WRONGPASS"} 2
redis_errors_total{err="NOAUTH"} 3
redis_sentinel_master_ok_sentinels{master_address="172.28.0.10:6379",master_name="mymaster"} 3
go_goroutines 9
`;

describe("reading an exporter's page", () => {
    it("lists its metric names once each, sorted", () => {
        expect(metricNames(PAGE)).to.deep.equal(["go_goroutines", "redis_errors_total", "redis_sentinel_master_ok_sentinels", "redis_up"]);
    });

    it("finds a sample by name and labels", () => {
        expect(sampleValue(PAGE, "redis_up")).to.equal(1);
        expect(sampleValue(PAGE, "redis_errors_total", { err: "NOAUTH" })).to.equal(3);
        expect(sampleValue(PAGE, "redis_sentinel_master_ok_sentinels", { master_name: "mymaster" })).to.equal(3);
        expect(sampleValue(PAGE, "redis_errors_total", { err: "OOM" })).to.equal(undefined);
        expect(sampleValue(PAGE, "redis_instance_info")).to.equal(undefined);
    });
});

describe("metricsInExpr", () => {
    it("finds the metrics, not the label names, functions, keywords or values", () => {
        expect(metricsInExpr('up{stack="dev"} == 0')).to.deep.equal(["up"]);
        expect(
            metricsInExpr(
                'sum(redis_connected_slaves{stack="dev",kind="redis"} and on (instance) redis_instance_info{stack="dev",role="master"}) < 2',
            ),
        ).to.deep.equal(["redis_connected_slaves", "redis_instance_info"]);
        expect(
            metricsInExpr(
                'a_metric{x="y"} and on (master_address) label_replace(b_metric{role!="master"}, "master_address", "$1", "server_address", "(.*)")',
            ),
        ).to.deep.equal(["a_metric", "b_metric"]);
        expect(metricsInExpr("sum by (stack, instance) (rate(c_total[5m])) * 60 > 1")).to.deep.equal(["c_total"]);
        expect(metricsInExpr("(count(d) or vector(0)) < 1")).to.deep.equal(["d"]);
        expect(metricsInExpr("time() - e_seconds > 7200")).to.deep.equal(["e_seconds"]);
    });
});
