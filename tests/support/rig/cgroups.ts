import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { RigError } from "./errors";
import { HostPlan, RIG_CGROUP_CONTROLLERS } from "./plan";
import { until } from "./run";

/**
 * A host's processes, found and frozen through its cgroup. The engine runs in `<host>/engine` and
 * its containers in `<host>/<id>` (dockerd's --cgroup-parent), so the host's cgroup holds every
 * process of the host. Both layouts work: cgroup v1 (this machine: one hierarchy per controller
 * under /sys/fs/cgroup; the rig uses pids to find processes and freezer to freeze them) and
 * cgroup v2 (one hierarchy; `cgroup.freeze`). Only v1 has been run here.
 */
const ROOT = "/sys/fs/cgroup";

export type CgroupLayout = "v1" | "v2";

/** Which layout the machine has, or undefined when neither has what the rig needs. */
export function cgroupLayout(root = ROOT): CgroupLayout | undefined {
    if (existsSync(path.join(root, "cgroup.controllers"))) return "v2";
    if (RIG_CGROUP_CONTROLLERS.every((c) => existsSync(path.join(root, c, "cgroup.procs")))) return "v1";
    return undefined;
}

export const rigCgroupsAvailable = (): boolean => cgroupLayout() !== undefined;

function layoutOrFail(host: string): CgroupLayout {
    const layout = cgroupLayout();
    if (!layout)
        throw new RigError(
            "plan",
            host,
            `needs cgroup v2, or cgroup v1 with ${RIG_CGROUP_CONTROLLERS.join(" and ")} hierarchies, under ${ROOT}`,
        );
    return layout;
}

/**
 * Where a cgroup path lives: once per controller the rig uses on v1 (pids first: where processes
 * are read), once on v2. Pure.
 */
export const cgroupDirs = (layout: CgroupLayout, cgroup: string, root = ROOT): string[] =>
    layout === "v1" ? RIG_CGROUP_CONTROLLERS.map((c) => path.join(root, c, cgroup)) : [path.join(root, cgroup)];

/** Makes `cgroup` (a path under the host's, e.g. its engine's or its sshd's) in every hierarchy the rig uses. */
export function createHostCgroups(host: HostPlan, cgroup: string): void {
    for (const dir of cgroupDirs(layoutOrFail(host.name), cgroup)) mkdirSync(dir, { recursive: true });
}

export const createEngineCgroups = (host: HostPlan): void => createHostCgroups(host, host.engineCgroup);

/** A shell line that moves the shell itself into `cgroup` before it execs a host's daemon. */
export const joinCgroups = (host: HostPlan, cgroup: string, layout: CgroupLayout = layoutOrFail(host.name)): string =>
    cgroupDirs(layout, cgroup)
        .map((d) => `echo $$ > ${path.join(d, "cgroup.procs")}`)
        .join("; ");

/** A shell line that moves the shell itself into the engine's cgroups before it execs dockerd. */
export const joinEngineCgroups = (host: HostPlan, layout: CgroupLayout = layoutOrFail(host.name)): string =>
    joinCgroups(host, host.engineCgroup, layout);

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
    const layout = cgroupLayout();
    if (!layout) return [];
    return treeDeepestFirst(cgroupDirs(layout, host.cgroup)[0]).flatMap((d) => {
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

/** The file that freezes the host's whole tree, and what it reads when frozen or thawed. */
function freezer(host: HostPlan): { file: string; write: (frozen: boolean) => string; isState: (frozen: boolean) => boolean } | undefined {
    const layout = cgroupLayout();
    if (layout === "v1") {
        const file = path.join(ROOT, "freezer", host.cgroup, "freezer.state");
        // FREEZING is the transient state while tasks are still being stopped.
        return {
            file,
            write: (f) => (f ? "FROZEN" : "THAWED"),
            isState: (f) => readFileSync(file, "utf8").trim() === (f ? "FROZEN" : "THAWED"),
        };
    }
    if (layout === "v2") {
        const dir = path.join(ROOT, host.cgroup);
        const events = path.join(dir, "cgroup.events");
        return {
            file: path.join(dir, "cgroup.freeze"),
            write: (f) => (f ? "1" : "0"),
            isState: (f) => readFileSync(events, "utf8").includes(`frozen ${f ? 1 : 0}`),
        };
    }
    return undefined;
}

/** Writes the frozen or thawed state for the host's whole tree, if it has a cgroup. */
function setFrozen(host: HostPlan, frozen: boolean): void {
    const f = freezer(host);
    if (f && existsSync(f.file)) writeFileSync(f.file, f.write(frozen));
}

/** Freezes (or thaws) every process of the host and waits until the kernel says it is done. */
export async function freezeHost(host: HostPlan, frozen: boolean, timeoutMs = 10_000): Promise<void> {
    const f = freezer(host);
    if (!f || !existsSync(f.file)) throw new RigError("fault", host.name, `no freezer for cgroup ${host.cgroup}`);
    setFrozen(host, frozen);
    await until(host.name, "fault", frozen ? "frozen" : "thawed", () => f.isState(frozen), timeoutMs);
}

/** Removes every cgroup named for the rig, in every v1 hierarchy (dockerd makes them in all). */
export function removeCgroups(prefix: string): string[] {
    const left: string[] = [];
    // v1: every controller's hierarchy (dockerd makes the containers' cgroups in all); v2: the one.
    const hierarchies = cgroupLayout() === "v2" ? [ROOT] : subdirs(ROOT);
    for (const controller of hierarchies) {
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
