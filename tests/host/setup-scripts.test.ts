import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const SCRIPTS = path.join(__dirname, "..", "..", "scripts");
// The real programs the set-up scripts use besides the ones they decide about.
const REAL_TOOLS = "bash sh dirname cat rm seq sleep tail nohup id ldd sed grep touch mkdir cp chmod cut head env".split(" ");

/**
 * Fakes of the programs the scripts decide about. Every call is appended to calls.log. The fake
 * engine is "up" while state/engine-up exists; a "broken" client never reaches it. apt-get puts
 * the fake programs of the packages it is asked for on PATH, as the real packages would.
 */
const FAKES: Record<string, string> = {
    docker: `
echo "docker $*" >> "$FAKE/calls.log"
case "$1" in
  info) [ -f "$FAKE/engine-up" ] && [ ! -f "$FAKE/client-broken" ] && exit 0
        echo "Error response from daemon: client version 1.50 is too new. Maximum supported API version is 1.41" >&2; exit 1 ;;
  version) case "$*" in
             *Server*) [ -f "$FAKE/engine-up" ] && [ ! -f "$FAKE/client-broken" ] && echo 20.10.24 && exit 0; exit 1 ;;
             *) echo 28.2.2 ;;
           esac ;;
esac`,
    dockerd: `
if [ "$1" = --version ]; then echo "Docker version 20.10.24+dfsg1, build fake"; exit 0; fi
echo "dockerd $*" >> "$FAKE/calls.log"
while [ $# -gt 0 ]; do
  case "$1" in --pidfile) pidfile=$2; shift ;; -H) socket=\${2#unix://}; shift ;; esac; shift
done
echo $$ > "$pidfile"; touch "$socket" "$FAKE/engine-up"
exec sleep 30`,
    "apt-get": `
echo "apt-get $*" >> "$FAKE/calls.log"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
  case "$pkg" in
    docker.io) cp "$FAKE/templates/dockerd" "$FAKE/bin/dockerd"; [ -e "$FAKE/bin/docker" ] || cp "$FAKE/templates/docker" "$FAKE/bin/docker" ;;
    redis-tools) cp "$FAKE/templates/program" "$FAKE/bin/redis-cli"; cp "$FAKE/templates/program" "$FAKE/bin/redis-benchmark" ;;
    busybox-static) rm -f "$FAKE/bin/busybox"; cp "$FAKE/templates/program" "$FAKE/bin/busybox" ;;
    openssh-server) for p in sshd ssh ssh-keygen; do cp "$FAKE/templates/program" "$FAKE/bin/$p"; done ;;
    openssh-client) for p in ssh ssh-keygen; do cp "$FAKE/templates/program" "$FAKE/bin/$p"; done ;;
    redis-server|redis-sentinel|gosu|prometheus-redis-exporter|chromium) cp "$FAKE/templates/program" "$FAKE/bin/$pkg" ;;
    prometheus) cp "$FAKE/templates/program" "$FAKE/bin/promtool"; cp "$FAKE/templates/program" "$FAKE/bin/prometheus" ;;
  esac
done`,
    program: `exit 0`,
};

interface Machine {
    /** Programs on PATH at the start, besides the real tools. */
    programs: string[];
    engineUp?: boolean;
    clientBroken?: boolean;
    /** busybox is a dynamically linked binary (Debian's busybox, not busybox-static). */
    dynamicBusybox?: boolean;
}

interface Outcome {
    status: number | null;
    output: string;
    calls: string[];
}

/** OpenSSH's programs the rig's ssh:// host needs: its sshd, and the client and key tool. */
const SSH = ["sshd", "ssh", "ssh-keygen"];
/** Every program install-packages.sh checks: Redis, the test image's tools, the exporter and promtool, Chromium for the timeline picture test, and OpenSSH for the rig. */
const ALL_PROGRAMS = [
    "redis-server",
    "redis-sentinel",
    "redis-cli",
    "redis-benchmark",
    "gosu",
    "busybox",
    "prometheus-redis-exporter",
    "promtool",
    "chromium",
    ...SSH,
];
const METRICS = ["prometheus-redis-exporter", "promtool"];

describe("host: the set-up scripts decide by the programs themselves (fake PATH, real engine untouched)", function () {
    this.timeout(60_000);
    let fake: string;

    function machine(m: Machine): void {
        fake = mkdtempSync(path.join(tmpdir(), "appscreens-setup-"));
        const bin = path.join(fake, "bin");
        const templates = path.join(fake, "templates");
        mkdirSync(bin);
        mkdirSync(templates);
        for (const tool of REAL_TOOLS) {
            const real = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
            if (!real) throw new Error(`${tool} is needed to run the set-up scripts`);
            symlinkSync(real, path.join(bin, tool));
        }
        for (const [name, body] of Object.entries(FAKES)) {
            writeFileSync(path.join(templates, name), `#!/bin/bash\n${body}\n`);
            chmodSync(path.join(templates, name), 0o755);
        }
        writeFileSync(path.join(bin, "apt-get"), readFileSync(path.join(templates, "apt-get")), { mode: 0o755 });
        for (const program of m.programs) {
            const template = program === "docker" || program === "dockerd" ? program : "program";
            writeFileSync(path.join(bin, program), readFileSync(path.join(templates, template)), { mode: 0o755 });
        }
        // Any dynamically linked binary stands for Debian's (dynamic) busybox.
        if (m.dynamicBusybox) symlinkSync(process.execPath, path.join(bin, "busybox"));
        if (m.engineUp) writeFileSync(path.join(fake, "engine-up"), "");
        if (m.clientBroken) writeFileSync(path.join(fake, "client-broken"), "");
        writeFileSync(path.join(fake, "calls.log"), "");
    }

    function run(script: string): Outcome {
        const r = spawnSync("bash", [path.join(SCRIPTS, script)], {
            encoding: "utf8",
            env: {
                PATH: path.join(fake, "bin"),
                FAKE: fake,
                DOCKER_ENGINE_PIDFILE: path.join(fake, "docker.pid"),
                DOCKER_ENGINE_SOCKET: path.join(fake, "docker.sock"),
                DOCKERD_LOG: path.join(fake, "dockerd.log"),
                DOCKER_ENGINE_WAIT_S: "3",
            },
            timeout: 30_000,
        });
        const calls = readFileSync(path.join(fake, "calls.log"), "utf8").split("\n").filter(Boolean);
        return { status: r.status, output: `${r.stdout}${r.stderr}`, calls };
    }

    function installs(o: Outcome): string[] {
        return o.calls
            .filter((c) => c.startsWith("apt-get install"))
            .flatMap((c) =>
                c
                    .split(" ")
                    .filter((w) => !w.startsWith("-"))
                    .slice(2),
            );
    }
    const startsEngine = (o: Outcome) => o.calls.some((c) => c.startsWith("dockerd "));

    afterEach(function () {
        const pidfile = path.join(fake, "docker.pid");
        if (existsSync(pidfile)) spawnSync("kill", [readFileSync(pidfile, "utf8").trim()]);
        rmSync(fake, { recursive: true, force: true });
    });

    before(function () {
        if (process.getuid?.() !== 0) {
            // The scripts only install or start as root; their decisions are what is tested here.
            if (process.env.CI) throw new Error("the set-up script tests run as root in CI");
            this.skip();
        }
    });

    it("a Docker client on PATH and no engine: installs docker.io, starts dockerd, and the client reaches it", function () {
        machine({ programs: ["docker", ...ALL_PROGRAMS] });
        const o = run("docker-engine.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["docker.io"]);
        expect(startsEngine(o), o.output).to.equal(true);
        expect(o.output).to.match(/ready \(engine 20\.10\.24, client 28\.2\.2 at .*\/bin\/docker\)/);
    });

    it("an engine that already answers: nothing is installed or started", function () {
        machine({ programs: ["docker", ...ALL_PROGRAMS], engineUp: true });
        const o = run("docker-engine.sh");
        expect(o.status, o.output).to.equal(0);
        expect(o.calls.filter((c) => c.startsWith("apt-get"))).to.deep.equal([]);
        expect(startsEngine(o)).to.equal(false);
        expect(o.output).to.contain("already answers");
    });

    it("a dockerd that is installed but stopped is started, not reinstalled", function () {
        machine({ programs: ["docker", "dockerd", ...ALL_PROGRAMS] });
        const o = run("docker-engine.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal([]);
        expect(startsEngine(o)).to.equal(true);
    });

    it("no client and no engine: docker.io brings both", function () {
        machine({ programs: [...ALL_PROGRAMS] });
        const o = run("docker-engine.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["docker.io"]);
        expect(existsSync(path.join(fake, "bin", "docker"))).to.equal(true);
    });

    it("a client that cannot talk to the started engine: names both and the fix", function () {
        machine({ programs: ["docker", "dockerd", ...ALL_PROGRAMS], clientBroken: true });
        const o = run("docker-engine.sh");
        expect(o.status).to.equal(1);
        expect(o.output).to.contain("the engine runs (Docker version 20.10.24+dfsg1");
        expect(o.output).to.match(/client 28\.2\.2 at .*\/bin\/docker/);
        expect(o.output).to.contain("Maximum supported API version is 1.41");
        expect(o.output).to.contain("DOCKER_API_VERSION");
    });

    it("redis-server present but redis-benchmark missing: installs redis-tools alone", function () {
        machine({ programs: ["redis-server", "redis-sentinel", "redis-cli", "gosu", "busybox", ...METRICS, "chromium", ...SSH] });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["redis-tools"]);
    });

    it("a dynamically linked busybox does not count: installs busybox-static", function () {
        machine({
            programs: ["redis-server", "redis-sentinel", "redis-cli", "redis-benchmark", "gosu", ...METRICS, "chromium", ...SSH],
            dynamicBusybox: true,
        });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["busybox-static"]);
    });

    it("Redis present, the exporter and promtool missing: installs Debian's prometheus-redis-exporter and prometheus", function () {
        machine({ programs: ALL_PROGRAMS.filter((p) => !METRICS.includes(p)) });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["prometheus-redis-exporter", "prometheus"]);
        expect(o.output).to.contain("promtool not found (or not usable); it comes with Debian's prometheus");
    });

    it("no chromium: installs Debian's chromium alone (the timeline picture's browser test)", function () {
        machine({ programs: ALL_PROGRAMS.filter((p) => p !== "chromium") });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["chromium"]);
    });

    it("the ssh client without sshd (this machine's image): installs Debian's openssh-server alone (the rig's ssh:// host)", function () {
        machine({ programs: ALL_PROGRAMS.filter((p) => p !== "sshd") });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["openssh-server"]);
        expect(o.output).to.contain("sshd not found (or not usable); it comes with Debian's openssh-server");
    });

    it("no OpenSSH at all: installs openssh-server and openssh-client, the latter once for ssh and ssh-keygen", function () {
        machine({ programs: ALL_PROGRAMS.filter((p) => !SSH.includes(p)) });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(installs(o)).to.deep.equal(["openssh-server", "openssh-client"]);
    });

    it("everything present: installs nothing", function () {
        machine({ programs: [...ALL_PROGRAMS] });
        const o = run("install-packages.sh");
        expect(o.status, o.output).to.equal(0);
        expect(o.calls).to.deep.equal([]);
    });
});
