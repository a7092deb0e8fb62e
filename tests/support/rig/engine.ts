import Docker from "dockerode";
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { alive, createEngineCgroups, hostPids, joinEngineCgroups } from "./cgroups";
import { RigError } from "./errors";
import { daemonConfig, dockerdArgs, HostPlan } from "./plan";
import { run, runQuietly, until } from "./run";

/** The shell line that starts a host's engine: in its cgroup, then in its network namespace. */
export const engineCommand = (host: HostPlan): string =>
    `${joinEngineCgroups(host)}; exec nsenter --net=/run/netns/${host.name} -- dockerd ${dockerdArgs(host).join(" ")}`;

const tail = (file: string, lines = 15): string => {
    try {
        return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
    } catch {
        return "(no log)";
    }
};

export const engineClient = (host: HostPlan): Docker => new Docker({ socketPath: host.socket });

/**
 * Starts the host's dockerd and waits until it answers a ping. `setsid` puts it in a session of
 * its own, so a test runner's timeout (GNU timeout signals its process group) never takes the
 * engines down with it; `nsenter --net`, not `ip netns exec`, which remounts /sys and leaves
 * dockerd without its cgroup mounts. A crashed engine's pid file would stop the next dockerd
 * ("pid file found"), so stale ones go first.
 */
export async function startEngine(host: HostPlan, timeoutMs = 30_000): Promise<void> {
    mkdirSync(host.runDir, { recursive: true });
    mkdirSync(host.dataRoot, { recursive: true });
    writeFileSync(host.configFile, JSON.stringify(daemonConfig()));
    createEngineCgroups(host);
    // Both pid files of a killed engine are stale: dockerd refuses to start over its own, and
    // takes the pid in containerd's for a containerd still running and waits for it in vain.
    rmSync(host.pidFile, { force: true });
    rmSync(`${host.runDir}/exec/containerd/containerd.pid`, { force: true });
    const log = openSync(host.logFile, "a");
    try {
        const child = spawn("setsid", ["sh", "-c", engineCommand(host)], { detached: true, stdio: ["ignore", log, log] });
        child.unref();
    } finally {
        closeSync(log);
    }
    const docker = engineClient(host);
    try {
        await until(
            host.name,
            "engine-start",
            `dockerd answering on ${host.socket}`,
            async () => Boolean(await docker.ping()),
            timeoutMs,
            200,
        );
    } catch (err) {
        throw new RigError("engine-start", host.name, `${(err as Error).message}\nlast lines of ${host.logFile}:\n${tail(host.logFile)}`);
    }
}

/**
 * Kills the host's engine and everything it runs: every pid in its cgroup, and the pid file's
 * pid in case an aborted run started it outside (or before) the cgroup.
 */
export async function killEngine(host: HostPlan, timeoutMs = 10_000): Promise<void> {
    const fromPidFile = existsSync(host.pidFile) ? Number(readFileSync(host.pidFile, "utf8").trim()) : NaN;
    if (Number.isInteger(fromPidFile) && fromPidFile > 1 && alive(fromPidFile)) process.kill(fromPidFile, "SIGKILL");
    await until(
        host.name,
        "teardown",
        "every process of the engine gone",
        () => {
            const pids = hostPids(host).filter(alive);
            for (const pid of pids) process.kill(pid, "SIGKILL");
            return pids.length === 0 && !(Number.isInteger(fromPidFile) && fromPidFile > 1 && alive(fromPidFile));
        },
        timeoutMs,
    );
}

/** The mount points under any of `roots`, deepest first (the order umount needs). */
export function mountsUnder(roots: readonly string[]): string[] {
    const points = readFileSync("/proc/self/mounts", "utf8")
        .split("\n")
        .map((l) => l.split(" ")[1])
        .filter((p): p is string => Boolean(p))
        // /proc/mounts escapes spaces and such as octal.
        .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
    return points.filter((p) => roots.some((r) => p === r || p.startsWith(`${r}/`))).sort((a, b) => b.length - a.length);
}

/** Unmounts what dockerd and its containers left under the rig's paths (its data root stays mounted otherwise). */
export async function unmountUnder(roots: readonly string[]): Promise<void> {
    for (const point of mountsUnder(roots)) {
        await run("", "umount", [point]).catch(() => runQuietly("", "umount", ["-l", point]));
    }
}
