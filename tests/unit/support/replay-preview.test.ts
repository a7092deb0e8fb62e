import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { flattenConfig, mergeConfig, readStackFile, StackConfigObject } from "../../../settings/stack-file";
import { changesNothing, resourceKey } from "../../support/deployer";
import { ProtectedResourceError, ReplayDeployer } from "../../support/replay/replay-deployer";
import { ReplayState, saveState } from "../../support/replay/state";
import { replayStateUnderMocks } from "../../support/replay/state-under-mocks";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";

const STACK = "test";
const CONTAINER = "docker:index/container:Container";
const COMMAND = "command:local:Command::warm-and-verify";
const POST_DEPLOY_STDOUT = JSON.stringify(SAMPLE_REPORT);

/**
 * The state the replay deployer would hold after an `up` of `config`: every resource with the
 * inputs the program declared and outputs like the ones `up` records (no Docker involved).
 */
function stateAfterUp(config: StackConfigObject): Promise<ReplayState> {
    return replayStateUnderMocks(STACK, flattenConfig(config), (_type, name, inputs) => ({
        ...inputs,
        id: `${name}-id`,
        result: "GeneratedPassw0rdGeneratedPassw0",
        imageId: "sha256:1",
        stdout: POST_DEPLOY_STDOUT,
    }));
}

describe("replay preview (no Docker)", () => {
    let dir: string;
    let deployer: ReplayDeployer;
    const base = () => readStackFile(STACK);

    beforeEach(async () => {
        dir = mkdtempSync(path.join(tmpdir(), "replay-preview-"));
        deployer = new ReplayDeployer(STACK, "unit", dir);
        saveState(path.join(dir, `${STACK}.json`), await stateAfterUp(base()));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("changes nothing right after an up with the same config (preview --expect-no-changes)", async () => {
        const changes = await deployer.preview(base());
        expect(changesNothing(changes), JSON.stringify(changes)).to.equal(true);
        expect(changes.unchanged).to.include(resourceKey(CONTAINER, "redis-0"));
    });

    it("reports a runtime Redis setting as in-place updates, replacing no container", async () => {
        const changes = await deployer.preview(mergeConfig(base(), { cluster: { redis: { maxmemory: "80mb" } } }));
        const containers = (list: string[]) => list.filter((k) => k.startsWith(`${CONTAINER}::`));
        expect(containers(changes.replaced)).to.deep.equal([]);
        expect(containers(changes.updated)).to.deep.equal([]);
        expect(changes.updated.length, JSON.stringify(changes)).to.be.greaterThan(0);
        expect(changes.created).to.deep.equal([]);
        expect(changes.deleted).to.deep.equal([]);
    });

    it("reports an image change as replacing every server container (image is ForceNew)", async () => {
        const changes = await deployer.preview(mergeConfig(base(), { cluster: { image: { name: "appscreens-redis-test:7.0.15-b" } } }));
        expect(changes.replaced.filter((k) => k.startsWith(`${CONTAINER}::`)).sort()).to.deep.equal(
            ["redis-0", "redis-1", "redis-2", "sentinel-0", "sentinel-1", "sentinel-2"].map((n) => `${CONTAINER}::${n}`),
        );
        expect(changes.created).to.deep.equal([]);
    });

    it("reports a resource the program no longer declares as deleted, and refuses it when protected", async () => {
        const file = path.join(dir, `${STACK}.json`);
        const state = await stateAfterUp(base());
        const extra = { ...state.resources[resourceKey(CONTAINER, "redis-2")], name: "redis-9" };
        state.resources[resourceKey(CONTAINER, "redis-9")] = extra;
        saveState(file, state);
        expect((await deployer.preview(base())).deleted).to.deep.equal([resourceKey(CONTAINER, "redis-9")]);
        state.resources[resourceKey(CONTAINER, "redis-9")] = { ...extra, protect: true };
        saveState(file, state);
        const err = await deployer.preview(base()).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(err).to.be.instanceOf(ProtectedResourceError);
        expect(String(err)).to.include("cannot be deleted\nbecause it is protected");
    });

    it("keeps the post-deploy command when nothing it depends on changed", async () => {
        const changes = await deployer.preview(base());
        expect(changes.unchanged).to.include(COMMAND);
    });
});
