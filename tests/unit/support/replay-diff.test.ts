import { expect } from "chai";
import { planChange } from "../../support/replay/diff";
import {
    formatPropertyPath,
    leafChanges,
    parsePropertyPath,
    pathContains,
    PropertyPathError,
    resetPaths,
} from "../../support/replay/property-path";
import {
    CONTAINER,
    deleteBeforeReplace,
    LOCAL_COMMAND,
    NETWORK,
    propertyBehaviour,
    RANDOM_PASSWORD,
    TLS_LOCALLY_SIGNED_CERT,
    TLS_PRIVATE_KEY,
    UnknownPropertyError,
    VOLUME,
} from "../../support/replay/property-table";

const NO_OPTIONS = { ignoreChanges: [], replaceOnChanges: [] };

/** A container's inputs as components/server-container.ts declares them (trimmed). */
const container = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    name: "appscreens-redis-test-redis-0",
    image: "appscreens-redis-test:7.0.15",
    uploads: [
        { file: "/etc/redis/redis.conf.template", content: "port 6379\n", permissions: "0400" },
        { file: "/usr/local/bin/start.sh", content: "#!/bin/sh\n", permissions: "0555" },
    ],
    healthcheck: { tests: ["CMD", "/bin/sh", "/hc.sh"], interval: "2s", timeout: "3s", retries: 15, startPeriod: "1m0s" },
    restart: "unless-stopped",
    destroyGraceSeconds: 30,
    wait: true,
    waitTimeout: 180,
    labels: [{ label: "appscreens.role", value: "redis" }],
    ...over,
});

describe("replay diff: property paths", () => {
    it("parses keys, indices, quoted keys and wildcards as the engine does", () => {
        expect(parsePropertyPath("uploads[0].content")).to.deep.equal(["uploads", 0, "content"]);
        expect(parsePropertyPath("triggers[*]")).to.deep.equal(["triggers", "*"]);
        expect(parsePropertyPath('environment["A.B"]')).to.deep.equal(["environment", "A.B"]);
        expect(parsePropertyPath("healthcheck.startPeriod")).to.deep.equal(["healthcheck", "startPeriod"]);
        expect(formatPropertyPath(["uploads", 0, "content"])).to.equal("uploads[0].content");
    });

    it("rejects malformed paths with a typed error", () => {
        for (const bad of ["", "a[", "a[x]", ".a", "a..b"]) {
            expect(() => parsePropertyPath(bad), bad).to.throw(PropertyPathError);
        }
    });

    it("matches a path under a prefix, with * for any segment", () => {
        expect(pathContains(["triggers", "*"], ["triggers", 2])).to.equal(true);
        expect(pathContains(["healthcheck"], ["healthcheck", "interval"])).to.equal(true);
        expect(pathContains(["healthcheck", "interval"], ["healthcheck"])).to.equal(false);
        expect(pathContains(["uploads", 0], ["uploads", 1, "content"])).to.equal(false);
    });

    it("names changed leaves per key and index", () => {
        const changes = leafChanges({ a: [1, 2], b: { c: "x" }, d: 1 }, { a: [1, 3, 4], b: { c: "x" }, e: 2 });
        expect(changes.map((c) => `${formatPropertyPath(c.path)}:${c.kind}`)).to.deep.equal([
            "a[1]:update",
            "a[2]:add",
            "d:delete",
            "e:add",
        ]);
    });

    it("resets ignored paths to their old values, including array elements", () => {
        const { inputs, unresettable } = resetPaths(
            container(),
            container({
                uploads: [
                    { file: "/etc/redis/redis.conf.template", content: "port 7000\n", permissions: "0400" },
                    (container().uploads as object[])[1],
                ],
            }),
            ["uploads[0].content"],
        );
        expect((inputs.uploads as { content: string }[])[0].content).to.equal("port 6379\n");
        expect(unresettable).to.deep.equal([]);
    });

    it("reports an ignored path whose element was added, and keeps its new value", () => {
        const { inputs, unresettable } = resetPaths({ a: [1] }, { a: [1, 2] }, ["a[1]"]);
        expect(inputs.a).to.deep.equal([1, 2]);
        expect(unresettable).to.deep.equal(["a[1]"]);
    });
});

describe("replay diff: the providers' property table", () => {
    it("knows which container inputs replace and which update", () => {
        for (const p of ["image", "uploads", "ports", "ulimits", "labels", "networksAdvanced", "command", "entrypoints", "stopTimeout"]) {
            expect(propertyBehaviour(CONTAINER, p), p).to.deep.equal({ change: "replace" });
        }
        expect(propertyBehaviour(CONTAINER, "healthcheck")).to.deep.equal({ change: "update", effect: "state-only" });
        expect(propertyBehaviour(CONTAINER, "restart")).to.deep.equal({ change: "update", effect: "container-update" });
        expect(propertyBehaviour(CONTAINER, "destroyGraceSeconds")).to.deep.equal({ change: "update", effect: "state-only" });
        expect(propertyBehaviour(VOLUME, "labels")).to.deep.equal({ change: "replace" });
        expect(propertyBehaviour(NETWORK, "ipamConfigs")).to.deep.equal({ change: "replace" });
        expect(propertyBehaviour(RANDOM_PASSWORD, "length")).to.deep.equal({ change: "replace" });
        expect(propertyBehaviour(LOCAL_COMMAND, "environment")).to.deep.equal({ change: "update", effect: "rerun-command" });
        expect(propertyBehaviour(LOCAL_COMMAND, "triggers")).to.deep.equal({ change: "replace" });
    });

    it("refuses an input it does not know, naming the type and the property", () => {
        expect(() => propertyBehaviour(CONTAINER, "deviceCgroupRules"))
            .to.throw(UnknownPropertyError)
            .with.property("message")
            .that.includes(`${CONTAINER} input "deviceCgroupRules"`);
        expect(() => planChange(CONTAINER, undefined, container({ madeUp: 1 }), NO_OPTIONS)).to.throw(UnknownPropertyError, '"madeUp"');
        expect(() => planChange("docker:index/secret:Secret", undefined, { name: "x" }, NO_OPTIONS))
            .to.throw(UnknownPropertyError)
            .with.property("type", "docker:index/secret:Secret");
    });
});

describe("replay diff: update or replace", () => {
    it("creates what has no old state and leaves unchanged inputs alone", () => {
        expect(planChange(CONTAINER, undefined, container(), NO_OPTIONS).action).to.equal("create");
        expect(planChange(CONTAINER, container(), container(), NO_OPTIONS).action).to.equal("same");
    });

    it("replaces a container whose image or upload changes (ForceNew)", () => {
        const plan = planChange(CONTAINER, container(), container({ image: "redis:7.2" }), NO_OPTIONS);
        expect(plan.action).to.equal("replace");
        expect(plan.changes).to.deep.equal([{ path: "image", property: "image", kind: "update", replacedBy: "provider" }]);
    });

    it("updates a healthcheck change in place, doing nothing to the container, as the provider does", () => {
        const hc = { ...(container().healthcheck as object), retries: 5 };
        const plan = planChange(CONTAINER, container(), container({ healthcheck: hc }), NO_OPTIONS);
        expect(plan.action).to.equal("update");
        expect(plan.effects).to.deep.equal(["state-only"]);
    });

    it("replaces on a healthcheck change when the program asks with replaceOnChanges", () => {
        const hc = { ...(container().healthcheck as object), retries: 5 };
        const plan = planChange(CONTAINER, container(), container({ healthcheck: hc }), {
            ignoreChanges: [],
            replaceOnChanges: ["healthcheck"],
        });
        expect(plan.action).to.equal("replace");
        expect(plan.changes[0]).to.include({ path: "healthcheck.retries", replacedBy: "replaceOnChanges" });
    });

    it("updates the restart policy with docker update", () => {
        const plan = planChange(CONTAINER, container(), container({ restart: "always" }), NO_OPTIONS);
        expect(plan.action).to.equal("update");
        expect(plan.effects).to.deep.equal(["container-update"]);
    });

    it("ignores an ignored upload's content, and keeps the old content when another property replaces", () => {
        const changedConfig = container({
            uploads: [{ ...(container().uploads as object[])[0], content: "port 7000\n" }, (container().uploads as object[])[1]],
        });
        const options = { ignoreChanges: ["uploads[0].content"], replaceOnChanges: [] };
        expect(planChange(CONTAINER, container(), changedConfig, options).action).to.equal("same");
        const both = { ...changedConfig, image: "redis:7.2" };
        const plan = planChange(CONTAINER, container(), both, options);
        expect(plan.action).to.equal("replace");
        expect((plan.inputs.uploads as { content: string }[])[0].content).to.equal("port 6379\n");
        expect(plan.inputs.image).to.equal("redis:7.2");
    });

    it("replaces a volume whose labels change, and a password whose length changes", () => {
        const vol = { name: "v", labels: [{ label: "a", value: "1" }] };
        expect(planChange(VOLUME, vol, { ...vol, labels: [{ label: "a", value: "2" }] }, NO_OPTIONS).action).to.equal("replace");
        expect(planChange(RANDOM_PASSWORD, { length: 32 }, { length: 40 }, NO_OPTIONS).action).to.equal("replace");
    });

    it("re-issues a certificate for new uses, lifetime or request, and only records a new renewal window", () => {
        const cert = {
            certRequestPem: "csr",
            caCertPem: "ca",
            caPrivateKeyPem: "k",
            allowedUses: ["client_auth"],
            validityPeriodHours: 8760,
            earlyRenewalHours: 720,
        };
        const renewal = planChange(TLS_LOCALLY_SIGNED_CERT, cert, { ...cert, earlyRenewalHours: 24 }, NO_OPTIONS);
        expect([renewal.action, renewal.effects]).to.deep.equal(["update", ["state-only"]]);
        for (const change of [
            { validityPeriodHours: 24 },
            { allowedUses: ["server_auth"] },
            { certRequestPem: "csr2" },
            { caCertPem: "ca2" },
        ]) {
            expect(planChange(TLS_LOCALLY_SIGNED_CERT, cert, { ...cert, ...change }, NO_OPTIONS).action).to.equal("replace");
        }
        expect(
            planChange(TLS_PRIVATE_KEY, { algorithm: "ECDSA", ecdsaCurve: "P224" }, { algorithm: "ECDSA", ecdsaCurve: "P256" }, NO_OPTIONS)
                .action,
        ).to.equal("replace");
    });

    it("updates a local.Command in place for a new environment, and replaces it for new triggers", () => {
        const cmd = { create: "run", dir: "/p", environment: { A: "1" }, triggers: ["x", "c1"] };
        const update = planChange(LOCAL_COMMAND, cmd, { ...cmd, environment: { A: "2" } }, NO_OPTIONS);
        expect(update.action).to.equal("update");
        expect(update.effects).to.deep.equal(["rerun-command"]);
        // The SDK registers replaceOnChanges ["triggers[*]"]; the table says the same on its own.
        const replace = planChange(
            LOCAL_COMMAND,
            cmd,
            { ...cmd, triggers: ["x", "c2"] },
            { ignoreChanges: [], replaceOnChanges: ["triggers[*]"] },
        );
        expect(replace.action).to.equal("replace");
        expect(replace.changes).to.deep.equal([{ path: "triggers[1]", property: "triggers", kind: "update", replacedBy: "provider" }]);
    });

    it("rejects a malformed ignoreChanges path before deciding anything", () => {
        expect(() => planChange(CONTAINER, container(), container(), { ignoreChanges: ["uploads[x]"], replaceOnChanges: [] })).to.throw(
            PropertyPathError,
        );
    });

    it("gives a resource with init errors an empty update, or a replacement when replaceOnChanges covers #initerror", () => {
        const accepted = planChange(CONTAINER, container(), container(), NO_OPTIONS, true);
        expect(accepted.action).to.equal("update");
        expect(accepted.changes).to.deep.equal([]);
        const replaced = planChange(CONTAINER, container(), container(), { ignoreChanges: [], replaceOnChanges: ["*"] }, true);
        expect(replaced.action).to.equal("replace");
        expect(
            planChange(CONTAINER, container(), container(), { ignoreChanges: [], replaceOnChanges: ["healthcheck"] }, true).action,
        ).to.equal("update");
        expect(planChange(CONTAINER, container(), container(), { ignoreChanges: [], replaceOnChanges: ["*"] }, false).action).to.equal(
            "same",
        );
    });

    it("replaces containers delete-first unless the program says otherwise (pulumi-docker's bridge setting)", () => {
        expect(deleteBeforeReplace(CONTAINER, { deleteBeforeReplace: false, deleteBeforeReplaceDefined: false })).to.equal(true);
        expect(deleteBeforeReplace(CONTAINER, { deleteBeforeReplace: false, deleteBeforeReplaceDefined: true })).to.equal(false);
        expect(deleteBeforeReplace(VOLUME, { deleteBeforeReplace: false, deleteBeforeReplaceDefined: false })).to.equal(false);
        expect(deleteBeforeReplace(VOLUME, { deleteBeforeReplace: true, deleteBeforeReplaceDefined: true })).to.equal(true);
    });

    it("replaces a local.Command whose triggers change even when it has an update command (pulumi-command#855)", () => {
        const cmd = { create: "a", update: "a", triggers: [1] };
        const plan = planChange(LOCAL_COMMAND, cmd, { ...cmd, triggers: [2] }, { ignoreChanges: [], replaceOnChanges: ["triggers[*]"] });
        expect(plan.action).to.equal("replace");
    });
});
