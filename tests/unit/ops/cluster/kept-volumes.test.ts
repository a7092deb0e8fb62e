import { expect } from "chai";
import { declaredDataVolumes } from "../../../../settings/docker-names";
import { VolumeCheckRequest } from "../../../../contracts/volume-check";
import { EMPTY_VOLUME_LOG, renderStartScript } from "../../../../render/container-scripts";
import { VolumeFacts } from "../../../../ops/docker/data-volumes";
import {
    formatVolumesReport,
    judgeDataVolumes,
    keptServerMessage,
    keptVolumesMessage,
    planRemoval,
    rejectionKind,
    volumeWasEmpty,
} from "../../../../ops/cluster/kept-volumes";
import { settingsFor } from "../../../support/settings";

const settings = settingsFor({}, "test");
const request = (over: Partial<VolumeCheckRequest> = {}): VolumeCheckRequest => ({
    stack: "test",
    volumes: declaredDataVolumes(settings),
    generated: { redis: true, sentinel: true },
    previous: { redis: false, sentinel: false },
    deadlineSeconds: 120,
    ...over,
});
const CREATED = "2026-11-20T08:00:00Z";
const kept = (name: string): VolumeFacts => ({ name, createdAt: CREATED, usedBy: [] });
const allKept = (): VolumeFacts[] => declaredDataVolumes(settings).map((v) => kept(v.name));

describe("data volumes an earlier deploy left", () => {
    describe("the volume check's decision", () => {
        it("lets a new stack through (none of its volumes exists)", () => {
            expect(judgeDataVolumes(request(), [])).to.deep.equal({ verdict: "new" });
            // Volumes of other stacks or of servers it does not declare do not count.
            expect(judgeDataVolumes(request(), [kept("appscreens-redis-test-redis-7-data"), kept("other")]).verdict).to.equal("new");
        });

        it("lets a running stack through (its servers mount their volumes), even beside an unmounted one", () => {
            const facts = allKept().map((f, i) => (i === 0 ? f : { ...f, usedBy: [`appscreens-redis-test-${f.name}`] }));
            expect(judgeDataVolumes(request(), facts)).to.deep.equal({
                verdict: "in-use",
                inUse: facts.slice(1).map((f) => f.name),
            });
        });

        it("stops a re-created stack on kept volumes whose passwords it generates anew, naming the keys to set", () => {
            const judgement = judgeDataVolumes(request(), allKept());
            expect(judgement.verdict).to.equal("kept-volumes");
            if (judgement.verdict !== "kept-volumes") return;
            expect(judgement.missingKeys).to.deep.equal(["redisPasswordPrevious", "sentinelPasswordPrevious"]);
            expect(judgement.kept.map((v) => [v.name, v.createdAt])).to.deep.equal(allKept().map((f) => [f.name, CREATED]));
        });

        it("asks only for the keys the kept volumes need", () => {
            const nodesOnly = allKept().filter((f) => f.name.includes("-test-redis-"));
            const judgement = judgeDataVolumes(request({ previous: { redis: false, sentinel: false } }), nodesOnly);
            expect(judgement).to.include({ verdict: "kept-volumes" });
            expect(judgement.verdict === "kept-volumes" && judgement.missingKeys).to.deep.equal(["redisPasswordPrevious"]);
            const oneSet = judgeDataVolumes(request({ previous: { redis: true, sentinel: false } }), allKept());
            expect(oneSet.verdict === "kept-volumes" && oneSet.missingKeys).to.deep.equal(["sentinelPasswordPrevious"]);
        });

        it("adopts kept volumes when the earlier passwords are set as previous, or the passwords are set explicitly", () => {
            expect(judgeDataVolumes(request({ previous: { redis: true, sentinel: true } }), allKept()).verdict).to.equal("adopt");
            // Explicit passwords may be the very ones the volumes hold: the settings steps tell.
            expect(judgeDataVolumes(request({ generated: { redis: false, sentinel: false } }), allKept()).verdict).to.equal("adopt");
        });

        it("says what was found, when, and both ways forward, with the removal command for this stack", () => {
            const judgement = judgeDataVolumes(request(), allKept());
            if (judgement.verdict !== "kept-volumes") throw new Error("expected kept-volumes");
            const message = keptVolumesMessage("test", judgement);
            for (const f of allKept()) expect(message).to.include(`${f.name} (created ${CREATED}, as Docker reports it)`);
            expect(message).to.include("redisPasswordPrevious and sentinelPasswordPrevious");
            expect(message).to.include("npm run volumes -- --stack test --remove");
            expect(message).to.include("not a password rotation");
            expect(message).to.include("No volume, network or container was created");
            expect(message).to.include('docs/operations.md, "Re-creating a stack on kept volumes"');
        });
    });

    describe("a settings step whose server refuses every password", () => {
        const freshLog = `${EMPTY_VOLUME_LOG}, installed the initial config\nappscreens: role from ...\n1:M * Ready to accept connections\n`;
        const keptLog = "appscreens: role from its persisted config: master\n1:M * DB loaded from append only file\n";

        it("knows from the container's log whether the volume was empty at its first start", () => {
            expect(volumeWasEmpty(freshLog)).to.equal(true);
            expect(volumeWasEmpty(keptLog)).to.equal(false);
            expect(volumeWasEmpty(undefined)).to.equal(undefined);
            // The start scripts log exactly this on an empty volume, nodes and Sentinels alike.
            expect(renderStartScript("redis")).to.include(`echo "${EMPTY_VOLUME_LOG}, installed the initial config"`);
            expect(renderStartScript("sentinel")).to.include(`echo "${EMPTY_VOLUME_LOG}, monitoring`);
        });

        it("is on a kept volume on its first run when the volume was not empty at its container's first start", () => {
            expect(rejectionKind({ firstRun: true, volumeWasEmpty: false })).to.equal("kept-volumes");
        });

        it("is a password changed without its previous one on any later run, whatever the volume", () => {
            expect(rejectionKind({ firstRun: false, volumeWasEmpty: false })).to.equal("rejected-passwords");
        });

        it("is not a kept volume when the volume was new to the container (a password changed between two failed deploys)", () => {
            expect(rejectionKind({ firstRun: true, volumeWasEmpty: true })).to.equal("rejected-passwords");
        });

        it("keeps the refusal as it is when the log could not be read", () => {
            expect(rejectionKind({ firstRun: true })).to.equal("rejected-passwords");
        });

        it("names the server, its volume, the key for its kind and the removal command", () => {
            const input = {
                stack: "test",
                server: "sentinel-1",
                kind: "sentinel" as const,
                volume: "appscreens-redis-test-sentinel-1-data",
                volumeCreatedAt: CREATED,
                refused: ["WRONGPASS"],
                previousConfigured: false,
            };
            const message = keptServerMessage(input);
            expect(message).to.include(`sentinel-1 runs on data volume appscreens-redis-test-sentinel-1-data (created ${CREATED})`);
            expect(message).to.include("sentinelPasswordPrevious");
            expect(message).to.include("(WRONGPASS)");
            expect(message).to.include("npm run volumes -- --stack test --remove");
            expect(message).to.include("not a password rotation");
            expect(message).to.include('docs/operations.md, "Re-creating a stack on kept volumes"');
            expect(message).to.not.include("the one set now is not it");
            expect(keptServerMessage({ ...input, previousConfigured: true, refused: ["WRONGPASS", "WRONGPASS"] })).to.include(
                "the one set now is not it",
            );
        });
    });

    describe("removal", () => {
        it("removes every data volume of a stack none of whose volumes a container mounts", () => {
            expect(planRemoval([kept("a"), kept("c")])).to.deep.equal({ remove: ["a", "c"], refuse: [] });
            expect(planRemoval([])).to.deep.equal({ remove: [], refuse: [] });
        });

        it("removes none while a container mounts one, running or not, naming it", () => {
            const facts = [kept("a"), { name: "b", usedBy: ["appscreens-redis-test-redis-1"] }];
            expect(planRemoval(facts)).to.deep.equal({
                remove: [],
                refuse: [
                    { name: "a", reason: "kept back: other data volumes of the stack are in use" },
                    { name: "b", reason: "in use by appscreens-redis-test-redis-1" },
                ],
            });
        });

        it("lists volumes with their state, and the command while some are kept", () => {
            const volumes = [
                { ...declaredDataVolumes(settings)[0], createdAt: CREATED, usedBy: [] },
                { ...declaredDataVolumes(settings)[1], createdAt: CREATED, usedBy: ["appscreens-redis-test-redis-1"] },
            ];
            const listed = formatVolumesReport({ stack: "test", volumes });
            expect(listed).to.include("kept (no container)").and.include("in use by appscreens-redis-test-redis-1");
            expect(listed).to.include("npm run volumes -- --stack test --remove");
            const removed = formatVolumesReport({
                stack: "test",
                volumes,
                removed: [volumes[0].name],
                refused: [{ name: volumes[1].name, reason: "in use by appscreens-redis-test-redis-1" }],
            });
            expect(removed).to.include("removed").and.include(`refused to remove ${volumes[1].name}`);
            expect(removed).to.not.include("--remove");
            expect(formatVolumesReport({ stack: "test", volumes: [] })).to.equal("stack test: no data volumes on its Docker Engine(s)");
        });

        it("names the host that holds each volume on a stack with hosts", () => {
            const listed = formatVolumesReport({
                stack: "test",
                volumes: [{ ...declaredDataVolumes(settings)[0], createdAt: CREATED, usedBy: [], host: "host-b" }],
            });
            expect(listed).to.include(`${declaredDataVolumes(settings)[0].name} (host-b)`);
        });
    });
});
