import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { flattenConfig, mergeConfig, readStackFile } from "../../../settings/stack-file";
import { changesNothing, ReplaceTargetError, resourceKey } from "../../support/deployer";
import { urnsForKeys } from "../../support/pulumi-deployer";
import { planChange, READY_FOR_RENEWAL_KEY, REPLACE_TARGET_KEY, replacementDeletesFirst } from "../../support/replay/diff";
import {
    certificateReadyForRenewal,
    CONTAINER,
    RenewalPlanError,
    TLS_LOCALLY_SIGNED_CERT,
    TLS_PRIVATE_KEY,
    TLS_SELF_SIGNED_CERT,
} from "../../support/replay/property-table";
import { ReplayDeployer } from "../../support/replay/replay-deployer";
import { ReplayState, saveState } from "../../support/replay/state";
import { replayStateUnderMocks } from "../../support/replay/state-under-mocks";
import { tlsResourceState } from "../../support/replay/tls-model";
import { SAMPLE_REPORT } from "../../support/post-deploy-report";

/** What `fn` throws; a failed assertion if it returns. */
function thrown(fn: () => unknown): unknown {
    try {
        fn();
    } catch (e) {
        return e;
    }
    return expect.fail("expected a throw");
}

const NO_OPTIONS = { ignoreChanges: [], replaceOnChanges: [] };
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const leafInputs = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    certRequestPem: "-----BEGIN CERTIFICATE REQUEST-----\n...\n",
    caPrivateKeyPem: "-----BEGIN EC PRIVATE KEY-----\n...\n",
    caCertPem: "-----BEGIN CERTIFICATE-----\n...\n",
    allowedUses: ["digital_signature", "server_auth", "client_auth"],
    validityPeriodHours: 8760,
    earlyRenewalHours: 720,
    ...over,
});

describe("up --replace in the replay's diff (step_generator.go isTargetedReplace)", () => {
    const container = { name: "c", image: "i", uploads: [{ file: "/a", content: "new" }], restart: "unless-stopped" };

    it("replaces a named resource whose inputs did not change, blaming its id", () => {
        expect(planChange(CONTAINER, container, container, NO_OPTIONS).action).to.equal("same");
        const plan = planChange(CONTAINER, container, container, NO_OPTIONS, false, { replaceTarget: true });
        expect(plan.action).to.equal("replace");
        expect(plan.changes).to.deep.equal([
            { path: REPLACE_TARGET_KEY, property: REPLACE_TARGET_KEY, kind: "update", replacedBy: "replaceTarget" },
        ]);
    });

    it("gives the replacement the program's inputs: ignoreChanges keep nothing for a target", () => {
        const old = { ...container, uploads: [{ file: "/a", content: "old" }] };
        const options = { ignoreChanges: ["uploads"], replaceOnChanges: [] };
        expect(planChange(CONTAINER, old, container, options).inputs.uploads).to.deep.equal(old.uploads);
        expect(planChange(CONTAINER, old, container, options, false, { replaceTarget: true }).inputs.uploads).to.deep.equal(
            container.uploads,
        );
    });

    it("creates what the state does not hold yet, target or not", () => {
        expect(planChange(CONTAINER, undefined, container, NO_OPTIONS, false, { replaceTarget: true }).action).to.equal("create");
    });

    it("deletes a target first only when the program says so (no provider diff, no provider DeleteBeforeReplace)", () => {
        const unset = { deleteBeforeReplace: false, deleteBeforeReplaceDefined: false };
        const set = { deleteBeforeReplace: true, deleteBeforeReplaceDefined: true };
        const targeted = planChange(CONTAINER, container, container, NO_OPTIONS, false, { replaceTarget: true });
        const byImage = planChange(CONTAINER, container, { ...container, image: "j" }, NO_OPTIONS);
        expect(replacementDeletesFirst(CONTAINER, unset, byImage)).to.equal(true);
        expect(replacementDeletesFirst(CONTAINER, unset, targeted)).to.equal(false);
        expect(replacementDeletesFirst(CONTAINER, set, targeted)).to.equal(true);
    });
});

describe("the tls provider's renewal (common_cert.go modifyPlanIfCertificateReadyForRenewal)", () => {
    const end = new Date("2027-12-04T12:00:00Z");
    const state = { validityEndTime: "2027-12-04T12:00:00Z" };
    const windowStart = new Date(end.getTime() - 720 * HOUR);

    it("is due from validity end minus early_renewal_hours on, and not a second before", () => {
        expect(certificateReadyForRenewal(TLS_LOCALLY_SIGNED_CERT, state, leafInputs(), new Date(windowStart.getTime() - 1000))).to.equal(
            false,
        );
        expect(certificateReadyForRenewal(TLS_LOCALLY_SIGNED_CERT, state, leafInputs(), windowStart)).to.equal(true);
        expect(certificateReadyForRenewal(TLS_SELF_SIGNED_CERT, state, {}, new Date(end.getTime() - 1000))).to.equal(false);
        expect(certificateReadyForRenewal(TLS_SELF_SIGNED_CERT, state, {}, end)).to.equal(true);
    });

    it("reads the hours from the plan's inputs, decides nothing without a state end time, and only for certificates", () => {
        const before = new Date(windowStart.getTime() - DAY);
        expect(certificateReadyForRenewal(TLS_LOCALLY_SIGNED_CERT, state, leafInputs({ earlyRenewalHours: 720 + 48 }), before)).to.equal(
            true,
        );
        expect(certificateReadyForRenewal(TLS_LOCALLY_SIGNED_CERT, undefined, leafInputs(), end)).to.equal(false);
        expect(certificateReadyForRenewal(TLS_PRIVATE_KEY, state, {}, end)).to.equal(false);
    });

    it("fails on an end time it cannot parse, with its kind", () => {
        const err = thrown(() => certificateReadyForRenewal(TLS_LOCALLY_SIGNED_CERT, { validityEndTime: "soon" }, leafInputs(), end));
        expect(err).to.be.instanceOf(RenewalPlanError);
        expect((err as RenewalPlanError).kind).to.equal("unparsable-validity-end-time");
    });

    it("plans a replacement of an unchanged certificate inside its window, an unchanged one outside it", () => {
        const inside = planChange(TLS_LOCALLY_SIGNED_CERT, leafInputs(), leafInputs(), NO_OPTIONS, false, {
            oldOutputs: state,
            now: windowStart,
        });
        expect(inside.action).to.equal("replace");
        expect(inside.changes).to.deep.equal([
            { path: READY_FOR_RENEWAL_KEY, property: READY_FOR_RENEWAL_KEY, kind: "update", replacedBy: "provider" },
        ]);
        const outside = planChange(TLS_LOCALLY_SIGNED_CERT, leafInputs(), leafInputs(), NO_OPTIONS, false, {
            oldOutputs: state,
            now: new Date(windowStart.getTime() - HOUR),
        });
        expect(outside.action).to.equal("same");
    });

    it("turns a wider window that reaches now from an in-place update into a replacement", () => {
        const now = new Date(windowStart.getTime() - DAY);
        const context = { oldOutputs: state, now };
        expect(
            planChange(TLS_LOCALLY_SIGNED_CERT, leafInputs(), leafInputs({ earlyRenewalHours: 721 }), NO_OPTIONS, false, context).action,
        ).to.equal("update");
        expect(
            planChange(TLS_LOCALLY_SIGNED_CERT, leafInputs(), leafInputs({ earlyRenewalHours: 744 }), NO_OPTIONS, false, context).action,
        ).to.equal("replace");
    });
});

describe("the Pulumi deployer's replace targets (keys -> URNs)", () => {
    const urns = [
        "urn:pulumi:test::appscreens-redis::pulumi:pulumi:Stack::appscreens-redis-test",
        "urn:pulumi:test::appscreens-redis::appscreens:redis:Cluster$appscreens:redis:Tls$tls:index/locallySignedCert:LocallySignedCert::redis-0-tls-cert",
        "urn:pulumi:test::appscreens-redis::appscreens:redis:Cluster$appscreens:redis:Tls$tls:index/locallySignedCert:LocallySignedCert::redis-1-tls-cert",
    ];

    it("finds each key's URN, parents and all, in the order asked", () => {
        const keys = [1, 0].map((i) => resourceKey(TLS_LOCALLY_SIGNED_CERT, `redis-${i}-tls-cert`));
        expect(urnsForKeys(urns, keys)).to.deep.equal([urns[2], urns[1]]);
    });

    it("refuses keys the state does not hold, all of them, with the kind", () => {
        const missing = [resourceKey(TLS_LOCALLY_SIGNED_CERT, "redis-9-tls-cert"), resourceKey(CONTAINER, "redis-0")];
        const err = thrown(() => urnsForKeys(urns, [resourceKey(TLS_LOCALLY_SIGNED_CERT, "redis-0-tls-cert"), ...missing]));
        expect(err).to.be.instanceOf(ReplaceTargetError);
        expect((err as ReplaceTargetError).kind).to.equal("unknown-replace-target");
        expect((err as ReplaceTargetError).keys).to.deep.equal(missing);
    });
});

/** The state after an up of `config` at `deployedAt` (certificates end `validityPeriodHours` later), without Docker. */
function stateAfterUp(STACK: string, config: Record<string, unknown>, deployedAt: Date): Promise<ReplayState> {
    return replayStateUnderMocks(STACK, flattenConfig(config), async (type, name, inputs) => {
        // Keys and certificates as the replay makes them, signed at deployedAt.
        return (
            (await tlsResourceState(type, inputs, deployedAt)) ?? {
                ...inputs,
                id: `${name}-id`,
                result: "GeneratedPassw0rdGeneratedPassw0",
                imageId: "sha256:1",
                stdout: JSON.stringify(SAMPLE_REPORT),
            }
        );
    });
}

describe("replay preview of a TLS stack with replace targets and a clock (no Docker)", () => {
    const STACK = "test";
    const config = () => mergeConfig(readStackFile(STACK), { cluster: { tls: { enabled: true } } });
    const deployedAt = new Date("2026-12-04T12:00:00Z");
    const leaf = (server: string) => resourceKey(TLS_LOCALLY_SIGNED_CERT, `${server}-tls-cert`);
    const ca = resourceKey(TLS_SELF_SIGNED_CERT, "tls-ca");
    let dir: string;

    const deployer = (at: Date) => new ReplayDeployer(STACK, "unit", dir, undefined, { now: () => at });

    before(async function () {
        this.timeout(60_000);
        dir = mkdtempSync(path.join(tmpdir(), "replay-replace-"));
        saveState(path.join(dir, `${STACK}.json`), await stateAfterUp(STACK, config(), deployedAt));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("changes nothing the next day", async () => {
        const changes = await deployer(new Date(deployedAt.getTime() + DAY)).preview(config());
        expect(changesNothing(changes), JSON.stringify(changes)).to.equal(true);
        expect(changes.unchanged).to.include.members([leaf("redis-0"), ca]);
    });

    it("replaces a leaf named in replace, and not the other leaves or the CA", async () => {
        const changes = await deployer(new Date(deployedAt.getTime() + DAY)).preview(config(), { replace: [leaf("redis-0")] });
        expect(changes.replaced).to.include(leaf("redis-0"));
        expect(changes.unchanged).to.include.members([leaf("redis-1"), ca]);
        expect(changes.replaced).to.not.include(leaf("redis-1"));
    });

    it("refuses a key the state does not hold before the program runs, naming it", async () => {
        const unknown = leaf("redis-9");
        const err = await deployer(deployedAt)
            .preview(config(), { replace: [leaf("redis-0"), unknown] })
            .then(
                () => undefined,
                (e: unknown) => e,
            );
        expect(err).to.be.instanceOf(ReplaceTargetError);
        expect((err as ReplaceTargetError).kind).to.equal("unknown-replace-target");
        expect((err as ReplaceTargetError).keys).to.deep.equal([unknown]);
    });

    it("renews every leaf (not the CA) 350 days after a deploy of one-year leaves with a 30-day window, and none at 334", async function () {
        // Two previews of the whole program: about 2 s, mocha's default.
        this.timeout(60_000);
        const settings = (config().cluster as { tls?: { validityHours?: number; renewalWindowHours?: number } } | undefined)?.tls;
        // The defaults this case is about: a year's validity, renewed in its last 30 days (from day 335).
        expect([settings?.validityHours ?? 8760, settings?.renewalWindowHours ?? 720]).to.deep.equal([8760, 720]);
        const leaves = (keys: string[]) => keys.filter((k) => k.startsWith(`${TLS_LOCALLY_SIGNED_CERT}::`));
        const early = await deployer(new Date(deployedAt.getTime() + 334 * DAY)).preview(config());
        expect(leaves(early.replaced)).to.deep.equal([]);
        expect(leaves(early.unchanged).length).to.be.greaterThan(1);
        const late = await deployer(new Date(deployedAt.getTime() + 350 * DAY)).preview(config());
        expect(leaves(late.replaced).sort()).to.deep.equal(leaves(early.unchanged).sort());
        expect(late.replaced).to.not.include(ca);
    });
});

describe("replay preview of a CA rotation, each deploy against the state the one before left (no Docker)", () => {
    const STACK = "test";
    const phase = (tls: Record<string, unknown>) => mergeConfig(readStackFile(STACK), { cluster: { tls: { enabled: true, ...tls } } });
    const PHASES = [
        { name: "created", tls: {} },
        { name: "deploy 1, the bundle", tls: { caNextGeneration: 1 } },
        { name: "deploy 2, the switch", tls: { caGeneration: 1, caPreviousGeneration: 0 } },
        { name: "deploy 3, the old CA dropped", tls: { caGeneration: 1 } },
    ];
    const deployedAt = new Date("2026-12-04T12:00:00Z");
    const CA0 = [resourceKey(TLS_SELF_SIGNED_CERT, "tls-ca"), resourceKey(TLS_PRIVATE_KEY, "tls-ca-key")];
    const CA1 = [resourceKey(TLS_SELF_SIGNED_CERT, "tls-ca-g1"), resourceKey(TLS_PRIVATE_KEY, "tls-ca-g1-key")];
    const leaves = (keys: string[]) => keys.filter((k) => k.startsWith(`${TLS_LOCALLY_SIGNED_CERT}::`)).sort();
    const docker = (keys: string[]) => keys.filter((k) => k.startsWith("docker:"));
    let dir: string;
    /** The preview of phase `i` against the state phase `i - 1` left. */
    async function previewOf(i: number) {
        saveState(path.join(dir, `${STACK}.json`), await stateAfterUp(STACK, phase(PHASES[i - 1].tls), deployedAt));
        return new ReplayDeployer(STACK, "unit", dir, undefined, { now: () => deployedAt }).preview(phase(PHASES[i].tls));
    }
    before(() => (dir = mkdtempSync(path.join(tmpdir(), "replay-rotation-"))));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("deploy 1 adds the new CA and replaces no certificate, container or volume; the settings steps update in place", async function () {
        this.timeout(60_000);
        const changes = await previewOf(1);
        expect(changes.created.sort()).to.deep.equal([...CA1].sort());
        expect(changes.unchanged).to.include.members(CA0);
        expect(leaves(changes.replaced)).to.deep.equal([]);
        expect(docker(changes.replaced), "no container or volume replaced").to.deep.equal([]);
        expect(changes.updated.filter((k) => k.endsWith("-settings")).length).to.equal(6);
    });

    it("deploy 2 re-issues every leaf under the new CA, keeps both CAs, and replaces no server container", async function () {
        this.timeout(60_000);
        const changes = await previewOf(2);
        expect(changes.unchanged).to.include.members([...CA0, ...CA1]);
        expect(leaves(changes.replaced)).to.have.length(10);
        expect(leaves(changes.unchanged)).to.deep.equal([]);
        // The exporters are stateless and take their new client certificate by replacement; no server is.
        expect(
            docker(changes.replaced).filter((k) => !k.includes("exporter")),
            "no server container or volume replaced",
        ).to.deep.equal([]);
    });

    it("deploy 3 deletes the old CA and its key, and replaces nothing", async function () {
        this.timeout(60_000);
        const changes = await previewOf(3);
        expect(changes.deleted.sort()).to.deep.equal([...CA0].sort());
        expect(changes.replaced.filter((k) => !k.includes("exporter"))).to.deep.equal([]);
        expect(changes.unchanged).to.include.members(CA1);
    });

    it("a new tls.caValidityHours replaces no CA: it is for the next generation", async function () {
        this.timeout(60_000);
        saveState(path.join(dir, `${STACK}.json`), await stateAfterUp(STACK, phase({}), deployedAt));
        const changes = await new ReplayDeployer(STACK, "unit", dir, undefined, { now: () => deployedAt }).preview(
            phase({ caValidityHours: 50_000 }),
        );
        expect(changes.replaced).to.deep.equal([]);
        expect(changes.unchanged).to.include.members(CA0);
    });
});
