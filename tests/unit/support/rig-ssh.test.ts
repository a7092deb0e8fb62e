import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { RigError } from "../../support/rig/errors";
import { HostPlan, HostSsh, planRig } from "../../support/rig/plan";
import { authorizedKeysLine, clientSshConfig, dialStdioScript, knownHostsLine, sshdConfig } from "../../support/rig/ssh";

type SshHost = HostPlan & { ssh: HostSsh };

describe("rig ssh (a host reached over ssh://)", () => {
    const plan = planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24", sshHosts: [1] });
    const host = plan.hosts[1] as SshHost;

    it("gives an ssh host an sshd on its address, port 22, with its files under the host's paths and its cgroup under the host's", () => {
        expect(plan.hosts.map((h) => h.ssh?.endpoint)).to.deep.equal([undefined, "ssh://root@10.231.16.11:22", undefined]);
        expect(host.ssh).to.include({
            configFile: "/var/lib/rigtest-rig/rigtest-h1/ssh/sshd_config",
            pidFile: "/run/rigtest-h1/sshd.pid",
            cgroup: "/rigtest-h1/sshd",
        });
        expect(plan.sshClient.keyFile.startsWith(plan.stateDir)).to.equal(true);
        expect(() => planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24", sshHosts: [3] }))
            .to.throw(RigError)
            .with.property("kind", "plan");
    });

    it("renders an sshd_config that listens on the host's address only and lets root in by a forced-command key alone", () => {
        const lines = sshdConfig(host).split("\n");
        for (const line of [
            "ListenAddress 10.231.16.11:22",
            `HostKey ${host.ssh.hostKeyFile}`,
            `PidFile ${host.ssh.pidFile}`,
            `AuthorizedKeysFile ${host.ssh.authorizedKeysFile}`,
            "PermitRootLogin forced-commands-only",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "PermitTTY no",
        ])
            expect(lines, line).to.include(line);
    });

    it("forces the client's key to its dial-stdio script, with no forwarding or pty", () => {
        expect(authorizedKeysLine(host, "ssh-ed25519 AAAAC3Nza rigtest-rig-client\n")).to.equal(
            `restrict,command="${host.ssh.dialScript}" ssh-ed25519 AAAAC3Nza rigtest-rig-client\n`,
        );
    });

    describe("the forced command", () => {
        let dir: string;
        beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "rig-ssh-"))));
        afterEach(() => rmSync(dir, { recursive: true, force: true }));

        /** Runs the rendered script with a fake docker that prints what it was run with. */
        function dial(original: string) {
            const docker = path.join(dir, "docker");
            writeFileSync(docker, '#!/bin/sh\necho "DOCKER_HOST=$DOCKER_HOST $*"\n', { mode: 0o755 });
            const script = path.join(dir, "dial-stdio");
            writeFileSync(script, dialStdioScript(host, docker), { mode: 0o755 });
            return spawnSync("sh", [script], { encoding: "utf8", env: { SSH_ORIGINAL_COMMAND: original } });
        }

        it("runs dial-stdio against this host's engine socket when the client asks for docker system dial-stdio", () => {
            const r = dial("docker system dial-stdio");
            expect(r.status, r.stderr).to.equal(0);
            expect(r.stdout.trim()).to.equal("DOCKER_HOST=unix:///run/rigtest-h1/docker.sock system dial-stdio");
        });

        it("refuses anything else, naming it", () => {
            for (const original of ["id", "docker ps", "docker --host=unix:///var/run/docker.sock system dial-stdio", ""]) {
                const r = dial(original);
                expect(r.status, original).to.equal(126);
                expect(r.stdout, original).to.equal("");
                expect(r.stderr, original).to.include(`rigtest-h1: this key may only run docker system dial-stdio, not: ${original}`);
            }
        });
    });

    it("writes a host key as a known_hosts line for its address, without the key's comment", () => {
        expect(knownHostsLine("10.231.16.11", "ssh-ed25519 AAAAC3NzaC1 rigtest-h1-host\n")).to.equal(
            "10.231.16.11 ssh-ed25519 AAAAC3NzaC1\n",
        );
        expect(() => knownHostsLine("10.231.16.11", "garbage")).to.throw(RigError);
    });

    it("gives the client an ssh_config that trusts only the rig's known_hosts for its ssh hosts and never prompts", () => {
        const lines = clientSshConfig(plan)
            .split("\n")
            .map((l) => l.trim());
        expect(lines).to.include.members([
            "Host 10.231.16.11",
            `UserKnownHostsFile ${plan.sshClient.knownHostsFile}`,
            "GlobalKnownHostsFile /dev/null",
            "StrictHostKeyChecking yes",
            "BatchMode yes",
        ]);
    });
});
