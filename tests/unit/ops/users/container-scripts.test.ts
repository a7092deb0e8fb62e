import { expect } from "chai";
import { renameCommand, usersContainerFiles } from "../../../../ops/users/container-scripts";
import { serverScripts } from "../../../../render/container-scripts";
import { CONTAINER_PATHS } from "../../../../render/paths";
import { settingsFor } from "../../../support/settings";

const ADMIN = "Ad".repeat(16);

describe("migration step 1b's files (ops/users/container-scripts.ts)", () => {
    for (const tls of [false, true]) {
        const settings = settingsFor({ tls: { enabled: tls } });
        for (const kind of ["redis", "sentinel"] as const) {
            it(`${kind}${tls ? " with TLS" : ""}: the users scripts the program uploads, and the admin snapshot 0400`, () => {
                const files = usersContainerFiles(settings, kind, ADMIN);
                expect(files.slice(0, -1)).to.deep.equal(serverScripts(kind, true, tls));
                expect(files.slice(0, -1)).to.not.deep.equal(serverScripts(kind, false, tls));
                expect(files.map((f) => f.file)).to.have.length(kind === "redis" ? 5 : 3);
                const snapshot = files[files.length - 1];
                expect(snapshot.file).to.equal(CONTAINER_PATHS.clusterEnv);
                expect(snapshot.mode).to.equal(0o400);
                expect(snapshot.content).to.include("AUTH_USER='admin'").and.include(`REDIS_PASSWORD='${ADMIN}'`);
                expect(snapshot.content).to.include(`SENTINEL_PASSWORD='${ADMIN}'`);
                for (const f of files.slice(0, -1)) expect(f.mode, f.file).to.equal(0o555);
            });
        }
    }

    it("renames each staged file over its own in one root shell, with paths only", () => {
        const files = usersContainerFiles(settingsFor(), "sentinel", ADMIN);
        const cmd = renameCommand(files);
        expect(cmd.slice(0, 2)).to.deep.equal(["/bin/sh", "-c"]);
        expect(cmd[2]).to.equal(
            [
                `mv -f /usr/local/etc/.appscreens-step1b-appscreens-start.sh ${CONTAINER_PATHS.startScript}`,
                `mv -f /usr/local/etc/.appscreens-step1b-appscreens-healthcheck.sh ${CONTAINER_PATHS.healthcheckScript}`,
                `mv -f /usr/local/etc/.appscreens-step1b-appscreens-cluster.env ${CONTAINER_PATHS.clusterEnv}`,
            ].join(" && "),
        );
        expect(cmd.join(" ")).to.not.include(ADMIN);
    });
});
