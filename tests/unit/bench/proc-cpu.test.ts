import { expect } from "chai";
import { cpuByCommand, CpuSnapshot, parseMachineStat, parseProcStat } from "../../../bench/proc-cpu";

const snapshot = (processes: [number, string, number][], machine = { busy: 0, total: 0 }): CpuSnapshot => ({
    processes: new Map(processes.map(([pid, comm, ticks]) => [pid, { comm, ticks }])),
    selfTicks: 0,
    childTicks: 0,
    machineBusy: machine.busy,
    machineTotal: machine.total,
});

describe("bench: CPU by process from /proc", () => {
    it("reads utime, stime, cutime and cstime after a command name holding spaces and parentheses", () => {
        const line = "4242 (redis (x) 1) S 1 4242 4242 0 -1 4194560 900 0 0 0 150 25 7 3 20 0 4 0 12345 1000 200";
        expect(parseProcStat(line)).to.deep.equal({ comm: "redis (x) 1", utime: 150, stime: 25, cutime: 7, cstime: 3 });
    });

    it("counts idle and iowait as not busy", () => {
        const stat = "cpu  100 5 50 800 20 3 2 0 0 0\ncpu0 50 2 25 400 10 1 1 0 0 0\n";
        expect(parseMachineStat(stat)).to.deep.equal({ busy: 160, total: 980 });
    });

    it("sums what each command spent between two snapshots, a process started in between from zero", () => {
        const before = snapshot([
            [10, "redis-server", 100],
            [11, "redis-server", 50],
            [12, "docker-proxy", 7],
        ]);
        const after = snapshot([
            [10, "redis-server", 130],
            [11, "redis-server", 60],
            [12, "docker-proxy", 7],
            [13, "kworker/0:1", 4],
        ]);
        expect(Object.fromEntries(cpuByCommand(before, after))).to.deep.equal({ "redis-server": 40, "kworker/0:1": 4 });
    });
});
