import { expect } from "chai";
import Docker from "dockerode";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { rigCgroupsAvailable } from "../support/rig/cgroups";
import { RigEngine } from "../support/rig/image";
import { answersPing } from "../support/rig/probe";
import { Rig, rigLeftovers } from "../support/rig/rig";
import { run } from "../support/rig/run";
import { requireProgram } from "../support/require-program";
import { testStackConfig } from "../support/live/live-cluster";
import { EngineRoutes, ProviderConfigureError, providerClients } from "../support/replay/engines";
import { ReplayDeployer } from "../support/replay/replay-deployer";
import { onRigHosts } from "../support/rig/stack";
import { waitFor } from "../support/live/wait";
import { strangerCa } from "../support/rig/tls";
import { greetsAsSsh, strangerKey } from "../support/rig/ssh";
import { DockerEngines, DockerHostError } from "../../ops/docker/engines";
import { StackConfigObject } from "../../settings/stack-file";

/**
 * The multi-host rig itself (tests/support/rig/): three Docker hosts on this machine, each its own
 * network namespace and dockerd, a container from the test image on each reached from the root
 * namespace at its host's address, and every fault the host suites inject (crash, freeze, cut)
 * seen to take effect and to end. Needs root, Debian's dockerd and cgroup v1; the machine's own
 * engine is used only as the source of the test image, and built into the rig when it has none.
 */
const PREFIX = "rigtest";
// Unlikely to clash with anything here, and not the field notes' example another rig may use.
const SUBNET = "10.231.16.0/24";
const PORT = 7379;
const IMAGE = (testStackConfig().cluster as { image: { name: string } }).image.name;
const LABEL = "appscreens.rig-test";
/** The host whose engine also listens on tcp:// with TLS, as a remote engine does. */
const TLS_HOST = 2;
/** The host that also runs an sshd letting the rig's key run only `docker system dial-stdio`, as a remote engine is reached over ssh://. */
const SSH_HOST = 1;

/** The machine's own engine when it answers within 3 s: only ever read, as the test image's source. */
async function machineEngine(): Promise<Docker | undefined> {
    const docker = new Docker();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 3000)));
    const answered = docker.ping().then(
        () => docker,
        () => undefined,
    );
    return Promise.race([answered, late]).finally(() => clearTimeout(timer));
}

const since = (started: number) => Date.now() - started;

/** How long `check` took to hold, through the live tests' one polling helper (tests/support/live/wait.ts). */
async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<number> {
    const started = Date.now();
    await waitFor(what, async () => ((await check()) ? true : undefined), timeoutMs, 100);
    return since(started);
}

async function runRedis(engine: RigEngine): Promise<void> {
    const container = await engine.docker.createContainer({
        name: "rig-redis",
        Image: IMAGE,
        Cmd: ["redis-server", "--protected-mode", "no", "--save", ""],
        Labels: { [LABEL]: "1" },
        ExposedPorts: { "6379/tcp": {} },
        HostConfig: {
            PortBindings: { "6379/tcp": [{ HostIp: engine.host.address, HostPort: String(PORT) }] },
            RestartPolicy: { Name: "unless-stopped" },
        },
    });
    await container.start();
}

/** PING from inside host `from`'s container to host `to`'s published port: traffic across the switch. */
const crossHostPing = (from: RigEngine, to: RigEngine): Promise<boolean> =>
    run(
        from.host.name,
        "docker",
        [
            "-H",
            from.host.endpoint,
            "exec",
            "rig-redis",
            // redis-cli 7.0 has no connect timeout of its own; busybox's timeout bounds a cut host's wait.
            "timeout",
            "2",
            "redis-cli",
            "-h",
            to.host.address,
            "-p",
            String(PORT),
            "--no-raw",
            "ping",
        ],
        5000,
    ).then(
        (out) => out.includes("PONG"),
        () => false,
    );

describe("multi-host rig (3 Docker hosts on one machine)", function () {
    this.timeout(300_000);
    let rig: Rig | undefined;
    const steps: string[] = [];

    before(async function () {
        if (process.getuid?.() !== 0 || !rigCgroupsAvailable()) {
            const message = "the rig needs root and cgroup v2, or v1 with the pids and freezer hierarchies";
            if (process.env.CI) throw new Error(message);
            console.warn(`skipping: ${message}`);
            this.skip();
        }
        requireProgram(this, "dockerd", ["--version"], "Debian's docker.io package");
        requireProgram(this, "sshd", ["-V"], "Debian's openssh-server package");
        const started = Date.now();
        rig = await Rig.up(
            { prefix: PREFIX, hosts: 3, subnet: SUBNET, tlsHosts: [TLS_HOST], sshHosts: [SSH_HOST] },
            { image: IMAGE, imageSource: await machineEngine(), onStep: (step, ms) => steps.push(`${step} ${ms} ms`) },
        );
        console.log(`      rig: up in ${since(started)} ms (${steps.join(", ")})`);
    });

    after(async function () {
        if (!rig) return;
        const started = Date.now();
        await rig.down();
        console.log(`      rig: torn down in ${since(started)} ms`);
        expect(await rigLeftovers(rig.plan)).to.deep.equal([]);
        // pgrep exits 1 when nothing matches: the outcome wanted.
        const engines = spawnSync("pgrep", ["-af", `dockerd .*${PREFIX}-h`], { encoding: "utf8" });
        expect(engines.stdout.trim(), "rig engines still running").to.equal("");
        const sshds = spawnSync("pgrep", ["-af", `sshd .*${PREFIX}-h`], { encoding: "utf8" });
        expect(sshds.stdout.trim(), "rig sshds still running").to.equal("");
    });

    it("runs a container on each host, reached from the root namespace at the host's address and from the other hosts", async () => {
        const r = rig as Rig;
        await Promise.all(r.engines.map(runRedis));
        for (const e of r.engines) await waitUntil(`${e.host.name} answering`, () => answersPing(e.host.address, PORT), 20_000);
        expect(await crossHostPing(r.host(0), r.host(1)), "host 0 -> host 1").to.equal(true);
        expect(await crossHostPing(r.host(2), r.host(0)), "host 2 -> host 0").to.equal(true);
    });

    it("previews a stack on the rig's hosts through each host's provider, and fails naming a host whose engine is down", async () => {
        const r = rig as Rig;
        const config = onRigHosts(testStackConfig(), r.plan);
        const dir = mkdtempSync(path.join(tmpdir(), "rig-preview-"));
        const preview = () => new ReplayDeployer("test", "rig-test", dir, new EngineRoutes()).preview(config);
        try {
            let started = Date.now();
            const changes = await preview();
            expect(changes.created.filter((k) => k.startsWith("pulumi:providers:docker::"))).to.have.length(3);
            const okMs = since(started);
            const { host } = r.host(1);
            await r.kill(1);
            started = Date.now();
            const failure = await preview().then(
                () => undefined,
                (err: unknown) => err as Error,
            );
            const failedMs = since(started);
            expect(failure, "a preview with host 1's engine down passed").to.be.instanceOf(Error);
            expect(failure?.cause).to.be.instanceOf(ProviderConfigureError);
            expect(failure?.cause).to.include({ kind: "unreachable", host: host.endpoint });
            expect(failure?.message).to.include("Error pinging Docker server");
            started = Date.now();
            await r.start(1);
            const backMs = since(started);
            await waitUntil(`${host.name} answering after its engine started`, () => answersPing(host.address, PORT), 30_000);
            await preview();
            console.log(
                `      rig: preview on 3 hosts ${okMs} ms; with ${host.name} down it failed in ${failedMs} ms naming it; engine back in ${backMs} ms`,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a tcp:// host with TLS, as a remote engine is reached: the tools and a preview's provider get in with its three PEMs, and refuse it under another CA", async () => {
        const r = rig as Rig;
        const { host, docker } = r.host(TLS_HOST);
        const tcp = host.tcp;
        const pems = r.clientTls;
        if (!tcp || !pems) throw new Error(`host ${TLS_HOST} has no TLS listener`);
        const stranger = { ...pems, ca: await strangerCa(r.plan) };
        const ref = { name: host.name, docker: tcp.endpoint };
        const engines = (tls: typeof pems) => DockerEngines.placed([ref], {}, { [host.name]: tls });

        // The tools (ops/docker/engines.ts): the same engine as its socket shows, over TLS.
        const tools = engines(pems);
        await tools.reachable(host.name, 10_000);
        expect((await tools.forHost(host.name).info()).ID).to.equal((await docker.info()).ID);
        const refused = await engines(stranger)
            .reachable(host.name, 10_000)
            .then(
                () => undefined,
                (err: unknown) => err,
            );
        expect(refused, "the tools trusted an engine whose certificate their CA did not sign").to.be.instanceOf(DockerHostError);
        expect(refused).to.include({ kind: "unreachable", host: host.name });
        expect((refused as Error).message).to.include(tcp.endpoint);

        // The provider, as the replay models its configure: host tcp:// with caMaterial, certMaterial, keyMaterial.
        const onTcp = (tls: typeof pems): StackConfigObject => {
            const config = onRigHosts(testStackConfig(), r.plan);
            const cluster = config.cluster as { hosts: { name: string; docker: string }[] };
            cluster.hosts = cluster.hosts.map((h) => (h.name === host.name ? { ...h, docker: tcp.endpoint } : h));
            return { ...config, hostTls: { [host.name]: { ...tls } } };
        };
        const dir = mkdtempSync(path.join(tmpdir(), "rig-tcp-"));
        const preview = (tls: typeof pems) => new ReplayDeployer("test", "rig-tcp", dir, new EngineRoutes()).preview(onTcp(tls));
        try {
            const changes = await preview(pems);
            expect(changes.created.filter((k) => k.startsWith("pulumi:providers:docker::"))).to.have.length(3);
            const failure = await preview(stranger).then(
                () => undefined,
                (err: unknown) => err as Error,
            );
            expect(failure, "a provider trusted an engine its CA did not sign").to.be.instanceOf(Error);
            expect(failure?.cause).to.be.instanceOf(ProviderConfigureError);
            expect(failure?.cause).to.include({ kind: "unreachable", host: tcp.endpoint });
            // No PEM in what a failure says.
            for (const pem of [pems.key, stranger.ca]) expect(failure?.message).not.to.include(pem.split("\n")[1]);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("an ssh:// host, as a remote engine is reached: the tools and a preview's provider get in with its key and reach its engine, and a wrong key is refused", async () => {
        const r = rig as Rig;
        const { host, docker } = r.host(SSH_HOST);
        const ssh = host.ssh;
        const client = r.sshClient;
        if (!ssh || !client) throw new Error(`host ${SSH_HOST} has no sshd`);
        const wrongKey = await strangerKey(r.plan);

        // The tools (ops/docker/engines.ts): dockerode's own SSH client with the key `-i` names, and
        // the same engine as the host's socket shows at the other end of its dial-stdio.
        const tools = (key: string) => DockerEngines.placed([{ name: host.name, docker: ssh.endpoint, sshOpts: ["-i", key] }], {}, {});
        let started = Date.now();
        const viaSsh = tools(client.keyFile);
        await viaSsh.reachable(host.name, 10_000);
        expect((await viaSsh.forHost(host.name).info()).ID).to.equal((await docker.info()).ID);
        const toolsMs = since(started);
        started = Date.now();
        const refused = await tools(wrongKey)
            .reachable(host.name, 10_000)
            .then(
                () => undefined,
                (err: unknown) => err,
            );
        const refusedMs = since(started);
        expect(refused, "the tools got in with a key the host does not know").to.be.instanceOf(DockerHostError);
        expect(refused).to.include({ kind: "unreachable", host: host.name });
        expect((refused as Error).message).to.include(ssh.endpoint);

        // The provider, as the replay models its configure: the `ssh` binary with the stack's sshOpts,
        // run as docker/cli's connhelper runs it; the rig's ssh_config stands for the deploy
        // machine's ~/.ssh/config (the host keys it trusts, no prompts).
        const onSsh = (key: string): StackConfigObject => {
            const config = onRigHosts(testStackConfig(), r.plan);
            const cluster = config.cluster as { hosts: { name: string; docker: string; sshOpts?: string[] }[] };
            cluster.hosts = cluster.hosts.map((h) => (h.name === host.name ? { ...h, docker: ssh.endpoint, sshOpts: ["-i", key] } : h));
            return config;
        };
        // sshd logs each login it lets in: counted before and after the preview, they show the provider's went through it.
        const logins = () => (readFileSync(ssh.logFile, "utf8").match(/Accepted publickey for root/g) ?? []).length;
        const toolsLogins = logins();
        expect(toolsLogins, "logins sshd let in for the tools").to.be.at.least(1);
        const dir = mkdtempSync(path.join(tmpdir(), "rig-ssh-"));
        const preview = (key: string) =>
            new ReplayDeployer("test", "rig-ssh", dir, new EngineRoutes(providerClients(["-F", client.configFile]))).preview(onSsh(key));
        try {
            started = Date.now();
            const changes = await preview(client.keyFile);
            expect(changes.created.filter((k) => k.startsWith("pulumi:providers:docker::"))).to.have.length(3);
            const previewMs = since(started);
            const previewLogins = logins() - toolsLogins;
            expect(previewLogins, "logins sshd let in for the preview's provider").to.be.at.least(1);
            const failure = await preview(wrongKey).then(
                () => undefined,
                (err: unknown) => err as Error,
            );
            expect(failure, "a provider got in with a key the host does not know").to.be.instanceOf(Error);
            expect(failure?.cause).to.be.instanceOf(ProviderConfigureError);
            expect(failure?.cause).to.include({ kind: "unreachable", host: ssh.endpoint });
            expect(failure?.message).to.include("Permission denied (publickey)");
            // No key in what a failure says.
            for (const key of [client.keyFile, wrongKey]) {
                const secretLine = readFileSync(key, "utf8").split("\n")[1];
                expect(failure?.message).not.to.include(secretLine);
                expect((refused as Error).message).not.to.include(secretLine);
            }
            // Both clients got an engine, so both asked for exactly `docker system dial-stdio`: the forced command refuses anything else.
            console.log(
                `      rig: ${ssh.endpoint}: tools in ${toolsMs} ms (${toolsLogins} logins), a wrong key refused in ${refusedMs} ms; preview on 3 hosts (one over ssh) ${previewMs} ms (${previewLogins} login)`,
            );
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("crash: every process of a host killed, its engine back and its container restarted by its policy", async () => {
        const r = rig as Rig;
        const { host } = r.host(1);
        const started = Date.now();
        await r.crash(1);
        const engineBack = since(started);
        const answering = await waitUntil(`${host.name} answering after crash`, () => answersPing(host.address, PORT), 30_000);
        console.log(`      rig: crash of ${host.name}: engine back in ${engineBack} ms, its container answering ${answering} ms later`);
        // The others never noticed.
        for (const i of [0, 2]) expect(await answersPing(r.host(i).host.address, PORT), `host ${i}`).to.equal(true);
        // Its sshd died with it and came back with its engine, as a rebooted machine's does.
        if (host.ssh) expect(await greetsAsSsh(host.address), `${host.name}'s sshd after the crash`).to.equal(true);
    });

    it("freeze: a frozen host answers nothing, the others do, and it answers again once thawed", async () => {
        const r = rig as Rig;
        const { host, docker } = r.host(2);
        let started = Date.now();
        await r.freeze(2);
        const frozeIn = since(started);
        expect(await answersPing(host.address, PORT, 1000), "frozen host answered").to.equal(false);
        // Its engine is frozen too: the whole machine stops, as a paused VM does.
        const engineAnswered = await Promise.race([docker.ping().then(() => true), new Promise((r) => setTimeout(() => r(false), 1000))]);
        expect(engineAnswered, "frozen engine answered").to.equal(false);
        for (const i of [0, 1]) expect(await answersPing(r.host(i).host.address, PORT), `host ${i}`).to.equal(true);
        started = Date.now();
        await r.thaw(2);
        const thawedIn = since(started);
        const answering = await waitUntil(`${host.name} answering after thaw`, () => answersPing(host.address, PORT), 10_000);
        console.log(`      rig: freeze of ${host.name} took ${frozeIn} ms, thaw ${thawedIn} ms, answering ${answering} ms after`);
    });

    it("cut: a host cut off at the switch is unreachable from the root namespace and the other hosts, and back once healed", async () => {
        const r = rig as Rig;
        const { host } = r.host(0);
        await r.cut(0);
        expect(await answersPing(host.address, PORT, 1000), "cut host answered the root namespace").to.equal(false);
        expect(await crossHostPing(r.host(1), r.host(0)), "cut host answered host 1").to.equal(false);
        expect(await crossHostPing(r.host(0), r.host(2)), "cut host reached host 2").to.equal(false);
        const started = Date.now();
        await r.heal(0);
        const answering = await waitUntil(`${host.name} answering after heal`, () => answersPing(host.address, PORT), 10_000);
        expect(await crossHostPing(r.host(1), r.host(0)), "host 1 -> healed host 0").to.equal(true);
        console.log(`      rig: cut of ${host.name} healed, answering ${answering} ms after (from ${since(started)} ms)`);
    });
});
