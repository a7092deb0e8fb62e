import { expect } from "chai";
import Docker from "dockerode";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createResource, deleteResource, updateResource } from "../../support/replay/docker-apply";
import { LOCAL_COMMAND } from "../../support/replay/property-table";

/** local.Command as the replay runs it, modelled on pulumi-command 1.2.1 (no Docker involved). */
describe("replay local.Command", () => {
    // Commands never touch the engine; the client is only passed through.
    const docker = new Docker({ socketPath: "/nonexistent.sock" });
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "replay-command-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it("runs create, then on an update runs `update` with the new environment, dir and stdin and the previous stdout", async () => {
        const first = {
            create: 'echo "create $A"',
            update: 'echo "update $A $PULUMI_COMMAND_STDOUT $(cat)"',
            environment: { A: "1" },
            dir,
        };
        const created = await createResource(docker, LOCAL_COMMAND, first, "unit");
        expect(created.stdout).to.equal("create 1");
        const second = { ...first, environment: { A: "2" }, stdin: "piped" };
        const updated = await updateResource(docker, LOCAL_COMMAND, { inputs: first, outputs: created }, second, ["rerun-command"]);
        expect(updated.stdout).to.equal("update 2 create 1 piped");
        expect(updated.environment).to.deep.equal({ A: "2" });
    });

    it("runs `create` again on an update when there is no `update`", async () => {
        const first = { create: "echo run-$A", environment: { A: "1" } };
        const created = await createResource(docker, LOCAL_COMMAND, first, "unit");
        const updated = await updateResource(
            docker,
            LOCAL_COMMAND,
            { inputs: first, outputs: created },
            { ...first, environment: { A: "2" } },
            ["rerun-command"],
        );
        expect(updated.stdout).to.equal("run-2");
    });

    it("runs `delete` with the old state's inputs", async () => {
        const marker = path.join(dir, "deleted");
        const inputs = { create: "true", delete: `echo "$B" > ${marker}`, environment: { B: "old" } };
        await deleteResource(docker, LOCAL_COMMAND, { inputs, outputs: { ...inputs, stdout: "" } });
        expect(readFileSync(marker, "utf8").trim()).to.equal("old");
    });

    it("fails with the command and its output when it exits non-zero", async () => {
        const err = await createResource(docker, LOCAL_COMMAND, { create: "echo broken >&2; exit 3" }, "unit").then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(String(err)).to.include("exited 3").and.include("broken");
    });
});
