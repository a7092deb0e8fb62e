import { expect } from "chai";
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";
import { MASK, PROMETHEUS_FILES, renderStackForReview } from "../../../scripts/render-config";
import { PROJECT_DIR, settingsFromStackFile } from "../../../settings/stack-file";

const GOLDEN_DIR = path.join(PROJECT_DIR, "tests", "golden", "dev");

describe("rendering a stack for review", () => {
    const files = renderStackForReview(settingsFromStackFile("dev"));

    it("matches the golden files of the dev stack (UPDATE_GOLDEN=1 rewrites them)", () => {
        if (process.env.UPDATE_GOLDEN === "1") {
            mkdirSync(GOLDEN_DIR, { recursive: true });
            for (const [name, content] of Object.entries(files)) writeFileSync(path.join(GOLDEN_DIR, name), content);
        }
        expect(Object.keys(files).sort()).to.deep.equal(readdirSync(GOLDEN_DIR).sort());
        for (const [name, content] of Object.entries(files)) {
            expect(content, name).to.equal(readFileSync(path.join(GOLDEN_DIR, name), "utf8"));
        }
    });

    it("masks every password", () => {
        for (const [name, content] of Object.entries(files)) {
            for (const line of content
                .split("\n")
                .filter((l) => /^(requirepass|masterauth|sentinel auth-pass|sentinel sentinel-pass) /.test(l))) {
                expect(line, name).to.match(new RegExp(`"${MASK.replace(/\*/g, "\\*")}"$`));
            }
        }
    });

    it("renders a config, a command line and the scripts' environment per node and Sentinel of each shipped stack, the scripts once, and its Prometheus files with metrics on", () => {
        expect(Object.keys(renderStackForReview(settingsFromStackFile("prod")))).to.have.length(3 * (3 + 5) + 6 + 2);
        // The test stack runs without exporters (its metrics suite turns them on).
        expect(Object.keys(renderStackForReview(settingsFromStackFile("test")))).to.have.length(3 * (3 + 3) + 6);
        expect(files["redis-1.env"]).to.include("APPSCREENS_SELF=172.28.0.11:6379\n");
        expect(files["sentinel-0.env"]).to.include(`REDIS_PASSWORD='${MASK}'`);
        expect(files["sentinel-0.env"]).to.include(`SENTINEL_PASSWORD='${MASK}'`);
        expect(files[PROMETHEUS_FILES.scrape]).to.include("job_name: appscreens-redis-dev-sentinel");
        expect(files[PROMETHEUS_FILES.rules]).to.include("name: appscreens-redis-dev.standard");
        expect(files["redis-1.cmdline"]).to.include("--replica-announce-ip 172.28.0.11\n");
        expect(files["sentinel-0.cmdline"]).to.include("--sentinel announce-ip 172.28.0.40\n");
    });
});
