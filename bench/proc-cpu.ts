import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** CPU time of every process on the machine, from /proc: what a writer costs the whole machine, not only itself. */
export interface CpuSnapshot {
    /** By pid: command name and user+system ticks. */
    readonly processes: ReadonlyMap<number, { readonly comm: string; readonly ticks: number }>;
    /** This process's own ticks, and those of its children it has waited for (cutime + cstime). */
    readonly selfTicks: number;
    readonly childTicks: number;
    /** Busy and total ticks of the whole machine (/proc/stat), all cores. */
    readonly machineBusy: number;
    readonly machineTotal: number;
}

/** Fields of a /proc/<pid>/stat line after the command name (which may hold spaces and parentheses). */
export function parseProcStat(line: string): { comm: string; utime: number; stime: number; cutime: number; cstime: number } {
    const open = line.indexOf("(");
    const close = line.lastIndexOf(")");
    const fields = line.slice(close + 2).split(" ");
    // fields[0] is field 3 (state): utime is field 14, stime 15, cutime 16, cstime 17.
    const at = (field: number) => Number(fields[field - 3]);
    return { comm: line.slice(open + 1, close), utime: at(14), stime: at(15), cutime: at(16), cstime: at(17) };
}

/** Busy and total ticks from the `cpu` line of /proc/stat (idle and iowait are not busy). */
export function parseMachineStat(text: string): { busy: number; total: number } {
    const cpu = text.split("\n").find((l) => l.startsWith("cpu "));
    if (!cpu) throw new Error("/proc/stat has no cpu line");
    const ticks = cpu.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = ticks.reduce((a, b) => a + b, 0);
    return { busy: total - ticks[3] - ticks[4], total };
}

export function cpuSnapshot(): CpuSnapshot {
    const processes = new Map<number, { comm: string; ticks: number }>();
    for (const entry of readdirSync("/proc")) {
        const pid = Number(entry);
        if (!Number.isInteger(pid)) continue;
        try {
            const s = parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
            processes.set(pid, { comm: s.comm, ticks: s.utime + s.stime });
        } catch {
            // Gone between the listing and the read.
        }
    }
    const self = parseProcStat(readFileSync("/proc/self/stat", "utf8"));
    const machine = parseMachineStat(readFileSync("/proc/stat", "utf8"));
    return {
        processes,
        selfTicks: self.utime + self.stime,
        childTicks: self.cutime + self.cstime,
        machineBusy: machine.busy,
        machineTotal: machine.total,
    };
}

/**
 * CPU ticks spent between two snapshots, by command name (processes that exited in between are
 * missing, except this process's waited-for children, which `children` counts). Processes started
 * in between count from zero.
 */
export function cpuByCommand(before: CpuSnapshot, after: CpuSnapshot): Map<string, number> {
    const out = new Map<string, number>();
    for (const [pid, p] of after.processes) {
        if (pid === process.pid) continue;
        const spent = p.ticks - (before.processes.get(pid)?.ticks ?? 0);
        if (spent > 0) out.set(p.comm, (out.get(p.comm) ?? 0) + spent);
    }
    return out;
}

let ticksPerSecond: number | undefined;
/** The kernel's clock ticks per second (`getconf CLK_TCK`). */
export function clockTicks(): number {
    ticksPerSecond ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());
    return ticksPerSecond;
}
