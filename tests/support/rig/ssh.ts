import { spawn } from "node:child_process";
import { accessSync, closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import * as path from "node:path";
import { alive, createHostCgroups, joinCgroups } from "./cgroups";
import { RigError } from "./errors";
import { HostPlan, HostSsh, RIG_SSH_PORT, RigPlan, RigSshClient } from "./plan";
import { run, until } from "./run";

/**
 * A rig host reached over ssh://, as a remote engine is: an sshd in the host's network namespace
 * that lets one key in as root and lets it run only `docker system dial-stdio` against that host's
 * engine. Both clients the stack has run exactly that command on the remote: the provider's
 * `ssh ... -- <host> docker system dial-stdio` (docker/cli connhelper, which the provider's
 * configure uses for ssh://) and the tools' dockerode (docker-modem lib/ssh.js, `conn.exec('docker
 * system dial-stdio')`). The forced command refuses any other, so a client asking for something
 * else fails here instead of silently getting an engine.
 */

/** The remote command both Docker clients run over SSH (no path in the endpoint). */
export const DIAL_STDIO = "docker system dial-stdio";

type SshHost = HostPlan & { ssh: HostSsh };
const sshHosts = (plan: RigPlan): SshHost[] => plan.hosts.filter((h): h is SshHost => h.ssh !== undefined);

/** The sshd_config of one host. Pure. */
export function sshdConfig(host: SshHost): string {
    return [
        `# The rig's sshd of ${host.name}: root by one key, which may run only its forced command.`,
        `ListenAddress ${host.address}:${RIG_SSH_PORT}`,
        `HostKey ${host.ssh.hostKeyFile}`,
        `PidFile ${host.ssh.pidFile}`,
        `AuthorizedKeysFile ${host.ssh.authorizedKeysFile}`,
        // A key without a forced command (or a password) never gets a shell as root.
        "PermitRootLogin forced-commands-only",
        "PubkeyAuthentication yes",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        // No PAM stack to configure or to log in through: keys only.
        "UsePAM no",
        "AllowTcpForwarding no",
        "AllowStreamLocalForwarding no",
        "X11Forwarding no",
        "PermitTTY no",
        "PrintMotd no",
        "",
    ].join("\n");
}

/**
 * The forced command of the client's key on `host`: the engine's own socket over stdio when the
 * client asked for `docker system dial-stdio`, a refusal naming what it asked for otherwise. Pure.
 * `docker` is the client's absolute path: sshd runs the command with its own short PATH.
 */
export function dialStdioScript(host: HostPlan, docker: string): string {
    return [
        "#!/bin/sh",
        `# Forced command of the rig's client key on ${host.name} (sshd puts what the client asked for in SSH_ORIGINAL_COMMAND).`,
        'case "$SSH_ORIGINAL_COMMAND" in',
        `"${DIAL_STDIO}")`,
        `    DOCKER_HOST=${host.endpoint}`,
        "    export DOCKER_HOST",
        `    exec ${docker} system dial-stdio ;;`,
        "esac",
        `echo "${host.name}: this key may only run ${DIAL_STDIO}, not: $SSH_ORIGINAL_COMMAND" >&2`,
        "exit 126",
        "",
    ].join("\n");
}

/** The client key's line in a host's authorized_keys: `restrict` (no forwarding, no pty) and the forced command. Pure. */
export const authorizedKeysLine = (host: SshHost, publicKey: string): string =>
    `restrict,command="${host.ssh.dialScript}" ${publicKey.trim()}\n`;

/** A host's key as a known_hosts line: port 22 needs no `[address]:port` form. The key's comment is dropped. Pure. */
export function knownHostsLine(address: string, hostPublicKey: string): string {
    const [type, key] = hostPublicKey.trim().split(/\s+/);
    if (!type || !key) throw new RigError("plan", "", `not an OpenSSH public key: ${JSON.stringify(hostPublicKey.slice(0, 40))}`);
    return `${address} ${type} ${key}\n`;
}

/**
 * The client's ssh_config, standing for the deploy machine's ~/.ssh/config: the rig's hosts are
 * checked against their own keys only, and ssh never prompts (a prompt would wait for a terminal
 * that a provider's configure does not have). Pure.
 */
export function clientSshConfig(plan: RigPlan): string {
    const addresses = sshHosts(plan).map((h) => h.address);
    return [
        `# The rig's client side: what the deploy machine's ~/.ssh/config would say about these hosts.`,
        `Host ${addresses.join(" ")}`,
        `    UserKnownHostsFile ${plan.sshClient.knownHostsFile}`,
        "    GlobalKnownHostsFile /dev/null",
        "    StrictHostKeyChecking yes",
        "    BatchMode yes",
        "    IdentitiesOnly yes",
        "",
    ].join("\n");
}

/** The absolute path of `program` on PATH; sshd re-executes itself and refuses a relative path. */
export function programPath(program: string, host = ""): string {
    for (const dir of (process.env.PATH ?? "").split(":").filter(Boolean)) {
        const candidate = path.join(dir, program);
        try {
            accessSync(candidate, constants.X_OK);
            return candidate;
        } catch {
            // Not here.
        }
    }
    throw new RigError("plan", host, `${program} is not on PATH (${process.env.PATH}); scripts/install-packages.sh installs it`);
}

/** An ed25519 key pair without a passphrase: `file` and `file.pub`. Nothing of it is printed. */
async function newKey(host: string, file: string, comment: string): Promise<string> {
    rmSync(file, { force: true });
    rmSync(`${file}.pub`, { force: true });
    await run(host, "ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
    return readFileSync(`${file}.pub`, "utf8");
}

/**
 * The client's key, each SSH host's host key, authorized_keys, forced command and sshd_config, and
 * the client's known_hosts and ssh_config. Returns the client's paths; undefined without SSH hosts.
 */
export async function makeRigSsh(plan: RigPlan): Promise<RigSshClient | undefined> {
    const hosts = sshHosts(plan);
    if (hosts.length === 0) return undefined;
    const client = plan.sshClient;
    // Only the key directories are private: the state dir above them also holds the engines' data roots.
    mkdirSync(plan.stateDir, { recursive: true });
    mkdirSync(client.dir, { recursive: true, mode: 0o700 });
    const clientPublic = await newKey("", client.keyFile, `${plan.prefix}-rig-client`);
    const docker = programPath("docker");
    const known: string[] = [];
    for (const host of hosts) {
        mkdirSync(host.stateDir, { recursive: true });
        mkdirSync(path.dirname(host.ssh.configFile), { recursive: true, mode: 0o700 });
        known.push(knownHostsLine(host.address, await newKey(host.name, host.ssh.hostKeyFile, `${host.name}-host`)));
        writeFileSync(host.ssh.authorizedKeysFile, authorizedKeysLine(host, clientPublic), { mode: 0o600 });
        writeFileSync(host.ssh.dialScript, dialStdioScript(host, docker), { mode: 0o755 });
        writeFileSync(host.ssh.configFile, sshdConfig(host), { mode: 0o600 });
    }
    writeFileSync(client.knownHostsFile, known.join(""), { mode: 0o600 });
    writeFileSync(client.configFile, clientSshConfig(plan), { mode: 0o600 });
    return client;
}

/** Another key, unknown to every host: a client holding it must be refused. Returns its file. */
export async function strangerKey(plan: RigPlan): Promise<string> {
    const file = path.join(plan.sshClient.dir, "stranger-key");
    await newKey("", file, "stranger");
    return file;
}

/** Whether something on `address:22` greets as an SSH server within `timeoutMs`. */
export function greetsAsSsh(address: string, timeoutMs = 1000): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = connect({ host: address, port: RIG_SSH_PORT });
        const done = (ok: boolean) => {
            socket.destroy();
            resolve(ok);
        };
        socket.setTimeout(timeoutMs, () => done(false));
        socket.once("data", (d) => done(d.toString("latin1").startsWith("SSH-2.0-")));
        socket.once("error", () => done(false));
    });
}

const tail = (file: string, lines = 15): string => {
    try {
        return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
};

/** The shell line that starts a host's sshd: in its cgroup under the host's, then in the host's network namespace. */
export const sshdCommand = (host: SshHost, sshd: string): string =>
    `${joinCgroups(host, host.ssh.cgroup)}; exec nsenter --net=/run/netns/${host.name} -- ${sshd} -D -e -f ${host.ssh.configFile}`;

/**
 * Starts the host's sshd and waits until it greets on the host's address. Like the engine it runs
 * under `setsid` (a test runner's timeout never takes it down) and in the host's cgroup, so a
 * crash, a freeze and the rig's sweep reach it with the engine. Its config is checked first
 * (`sshd -t`), so a bad one fails naming sshd's own complaint.
 */
export async function startSshd(host: HostPlan, timeoutMs = 10_000): Promise<void> {
    if (!host.ssh) return;
    const ssh = host.ssh;
    const sshHost = host as SshHost;
    const sshd = programPath("sshd", host.name);
    // The privilege-separation directory is compiled into sshd; Debian's service unit makes it, the rig has none.
    mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    mkdirSync(host.runDir, { recursive: true });
    await run(host.name, sshd, ["-t", "-f", ssh.configFile]);
    createHostCgroups(host, ssh.cgroup);
    rmSync(ssh.pidFile, { force: true });
    const log = openSync(ssh.logFile, "a");
    try {
        const child = spawn("setsid", ["sh", "-c", sshdCommand(sshHost, sshd)], { detached: true, stdio: ["ignore", log, log] });
        child.unref();
    } finally {
        closeSync(log);
    }
    try {
        await until(
            host.name,
            "sshd-start",
            `sshd greeting on ${host.address}:${RIG_SSH_PORT}`,
            () => greetsAsSsh(host.address),
            timeoutMs,
            200,
        );
    } catch (err) {
        throw new RigError("sshd-start", host.name, `${(err as Error).message}\nlast lines of ${ssh.logFile}:\n${tail(ssh.logFile)}`);
    }
}

/**
 * Kills the sshd its pid file names, in case an aborted run left it outside the host's cgroup
 * (the cgroup sweep gets every other). Only a process whose command line names this host's
 * sshd_config is killed: a stale pid may be another process's by now.
 */
export function killSshd(host: HostPlan): void {
    const pidFile = host.ssh?.pidFile ?? path.join(host.runDir, "sshd.pid");
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, "utf8").trim());
    if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return;
    let cmdline: string;
    try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    } catch {
        return;
    }
    if (cmdline.includes(`${host.name}/ssh/sshd_config`)) process.kill(pid, "SIGKILL");
}
