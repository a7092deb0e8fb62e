import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { RigError } from "./errors";
import { HostPlan, RIG_CGROUP_CONTROLLERS } from "./plan";
import { until } from "./run";

/**
 * A host's processes, found and frozen through cgroup v1 (this machine's layout: one hierarchy
 * per controller under /sys/fs/cgroup). The engine runs in `<host>/engine` and its containers in
 * `<host>/<id>` (dockerd's --cgroup-parent), so the host's cgroup holds every process of the host.
 */
const ROOT = "/sys/fs/cgroup";

export function cgroupV1Available(): boolean {
    return RIG_CGROUP_CONTROLLERS.every((c) => existsSync(path.join(ROOT, c, "cgroup.procs")));
}

export function createEngineCgroups(host: HostPlan): void {
    if (!cgroupV1Available()) {
        throw new RigError("plan", host.name, `needs cgroup v1 ${RIG_CGROUP_CONTROLLERS.join(" and ")} hierarchies under ${ROOT}`);
    }
    for (const c of RIG_CGROUP_CONTROLLERS) mkdirSync(path.join(ROOT, c, host.engineCgroup), { recursive: true });
}

/** A shell line that moves the shell itself into the engine's cgroups before it execs dockerd. */
export const joinEngineCgroups = (host: HostPlan): string =>
    RIG_CGROUP_CONTROLLERS.map((c) => `echo $$ > ${path.join(ROOT, c, host.engineCgroup, "cgroup.procs")}`).join("; ");

const subdirs = (dir: string): string[] =>
    existsSync(dir)
        ? readdirSync(dir)
              .map((e) => path.join(dir, e))
              .filter((p) => statSync(p).isDirectory())
        : [];

/** Every directory of a cgroup tree, children before their parent (the order rmdir needs). */
function treeDeepestFirst(dir: string): string[] {
    return [...subdirs(dir).flatMap(treeDeepestFirst), dir].filter((d) => existsSync(d));
}

/** Every pid in the host's cgroup tree, containers and engine alike. */
export function hostPids(host: HostPlan): number[] {
    return treeDeepestFirst(path.join(ROOT, "pids", host.cgroup)).flatMap((d) => {
        try {
            return readFileSync(path.join(d, "cgroup.procs"), "utf8").split("\n").filter(Boolean).map(Number);
        } catch {
            return [];
        }
    });
}

/**
 * SIGKILL for every process of the host at once, as a power cut would, repeated until the tree is
 * empty (a process may fork while the first round lands). A frozen host is thawed first: a frozen
 * process dies only when it runs again.
 */
export async function killHost(host: HostPlan, timeoutMs = 10_000): Promise<number> {
    setFrozen(host, false);
    const killed = new Set<number>();
    await until(
        host.name,
        "fault",
        "every process of the host killed and reaped",
        () => {
            const pids = hostPids(host);
            for (const pid of pids) {
                try {
                    process.kill(pid, "SIGKILL");
                    killed.add(pid);
                } catch {
                    // Gone already.
                }
            }
            // A killed process leaves the cgroup before its parent reaps it; until then signal 0
            // still reaches it, and a restarted dockerd takes its old containerd for alive.
            return pids.length === 0 && [...killed].every((pid) => !alive(pid));
        },
        timeoutMs,
    );
    return killed.size;
}

export const alive = (pid: number): boolean => {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
};

const freezerState = (host: HostPlan) => path.join(ROOT, "freezer", host.cgroup, "freezer.state");

/** Writes FROZEN or THAWED for the host's whole tree; waits in `waitFrozen`. */
function setFrozen(host: HostPlan, frozen: boolean): void {
    const file = freezerState(host);
    if (existsSync(file)) writeFileSync(file, frozen ? "FROZEN" : "THAWED");
}

/** Freezes (or thaws) every process of the host and waits until the kernel says it is done. */
export async function freezeHost(host: HostPlan, frozen: boolean, timeoutMs = 10_000): Promise<void> {
    if (!existsSync(freezerState(host))) throw new RigError("fault", host.name, `no freezer cgroup at ${freezerState(host)}`);
    const want = frozen ? "FROZEN" : "THAWED";
    setFrozen(host, frozen);
    // FREEZING is the transient state while tasks are still being stopped.
    await until(host.name, "fault", `freezer ${want}`, () => readFileSync(freezerState(host), "utf8").trim() === want, timeoutMs);
}

/** Removes every cgroup named for the rig, in every v1 hierarchy (dockerd makes them in all). */
export function removeCgroups(prefix: string): string[] {
    const left: string[] = [];
    for (const controller of subdirs(ROOT)) {
        for (const top of subdirs(controller).filter((d) => path.basename(d).startsWith(`${prefix}-`))) {
            for (const dir of treeDeepestFirst(top)) {
                try {
                    rmdirSync(dir);
                } catch {
                    left.push(dir);
                }
            }
        }
    }
    return left;
}

/** Removes only the freezer state a host may be left in: thaw before anything else. */
export function thawQuietly(host: HostPlan): void {
    try {
        setFrozen(host, false);
    } catch {
        // No freezer cgroup: nothing to thaw.
    }
}
