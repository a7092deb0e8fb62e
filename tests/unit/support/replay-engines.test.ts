import { expect } from "chai";
import type Docker from "dockerode";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { resourceKey } from "../../support/program-under-mocks";
import {
    DOCKER_PROVIDER,
    dockerOptions,
    EngineRoutes,
    ProviderConfigureError,
    ProviderEndpoint,
    providerSshArgs,
    SshCommandAgent,
} from "../../support/replay/engines";
import { ReplayDeployer } from "../../support/replay/replay-deployer";
import { ReplayState, ResourceState, saveState } from "../../support/replay/state";

/** A stand-in engine: answers ping (or refuses it) and records what was asked of it. */
class FakeEngine {
    readonly calls: string[] = [];
    constructor(
        readonly name: string,
        private readonly reachable = true,
    ) {}
    ping(): Promise<string> {
        this.calls.push("ping");
        return this.reachable ? Promise.resolve("OK") : Promise.reject(new Error(`connect ECONNREFUSED ${this.name}`));
    }
    getVolume(name: string) {
        return { remove: () => (this.calls.push(`remove volume ${name}`), Promise.resolve()) };
    }
    getNetwork(id: string) {
        return { remove: () => (this.calls.push(`remove network ${id}`), Promise.resolve()) };
    }
}

const asDocker = (fake: FakeEngine): Docker => fake as unknown as Docker;

/** A factory handing out one fake per `host`, as dockerodeClient hands out one client per host. */
function fakes(unreachable: string[] = []) {
    const made = new Map<string, FakeEngine>();
    const factory = (endpoint: ProviderEndpoint): Docker => {
        const host = endpoint.host ?? "";
        const fake = made.get(host) ?? new FakeEngine(host, !unreachable.includes(host));
        made.set(host, fake);
        return asDocker(fake);
    };
    return { made, factory };
}

const provider = (name: string) => resourceKey(DOCKER_PROVIDER, name);

describe("replay engines: one Docker client per provider host", () => {
    it("reads each form of a provider's host as the provider's client does", () => {
        expect(dockerOptions({ host: "unix:///run/h0/docker.sock" })).to.deep.equal({ socketPath: "/run/h0/docker.sock" });
        expect(dockerOptions({ host: "tcp://10.0.0.13:2375" })).to.deep.equal({ host: "10.0.0.13", port: 2375, protocol: "http" });
        expect(dockerOptions({ host: "tcp://10.0.0.13", caMaterial: "CA", certMaterial: "CERT", keyMaterial: "KEY" })).to.deep.equal({
            host: "10.0.0.13",
            port: 2376,
            protocol: "https",
            ca: "CA",
            cert: "CERT",
            key: "KEY",
        });
        const viaSsh = dockerOptions({ host: "ssh://deploy@10.0.0.12", sshOpts: JSON.stringify(["-i", "/k"]) }, ["-F", "/cfg"]) as {
            agent: unknown;
        };
        expect(viaSsh.agent).to.be.instanceOf(SshCommandAgent);
        expect((viaSsh.agent as SshCommandAgent).args).to.deep.equal(
            providerSshArgs("ssh://deploy@10.0.0.12", ["-i", "/k"], ["-F", "/cfg"]),
        );
        for (const host of ["npipe:////./pipe/docker", "not a url"]) {
            expect(() => dockerOptions({ host }), host)
                .to.throw(ProviderConfigureError)
                .with.property("kind", "client-init");
        }
    });

    it("runs ssh for an ssh:// provider as docker/cli's connection helper does: user, port, the provider's sshOpts, a connect timeout, no pty, then dial-stdio", () => {
        expect(providerSshArgs("ssh://deploy@10.0.0.12:2222", ["-i", "/keys/id"])).to.deep.equal([
            "-l",
            "deploy",
            "-p",
            "2222",
            "-i",
            "/keys/id",
            "-o ConnectTimeout=30",
            "-T",
            "--",
            "10.0.0.12",
            "docker system dial-stdio",
        ]);
        // sshOpts that set a timeout or -T are not given a second; the deploy machine's own configuration comes first.
        expect(providerSshArgs("ssh://10.0.0.12", ["-o", "ConnectTimeout=5", "-T"], ["-F", "/cfg"])).to.deep.equal([
            "-F",
            "/cfg",
            "-o",
            "ConnectTimeout=5",
            "-T",
            "--",
            "10.0.0.12",
            "docker system dial-stdio",
        ]);
        // A path names the remote socket (the stack's validation accepts none; the provider would).
        expect(providerSshArgs("ssh://10.0.0.12/run/docker.sock").at(-1)).to.equal(
            "docker --host=unix:///run/docker.sock system dial-stdio",
        );
        expect(() => dockerOptions({ host: "ssh://10.0.0.12", sshOpts: "[1]" }))
            .to.throw(ProviderConfigureError)
            .with.property("kind", "client-init");
    });

    it("routes each provider's resources to its host's engine, pinged once, and everything else to the default engine", async () => {
        const { made, factory } = fakes();
        const fallback = new FakeEngine("default");
        const routes = new EngineRoutes(factory, asDocker(fallback));
        await routes.configure(provider("docker-h0"), { host: "unix:///run/h0.sock" });
        await routes.configure(provider("docker-h1"), { host: "unix:///run/h1.sock" });
        expect(await routes.engineFor(provider("docker-h1"))).to.equal(made.get("unix:///run/h1.sock"));
        expect(await routes.engineFor(provider("docker-h0"))).to.equal(made.get("unix:///run/h0.sock"));
        expect(await routes.engineFor("")).to.equal(fallback);
        expect(await routes.engineFor(undefined)).to.equal(fallback);
        // Another package's provider talks to no engine: such a resource keeps the default.
        expect(await routes.engineFor(resourceKey("pulumi:providers:random", "r"))).to.equal(fallback);
        expect(made.get("unix:///run/h0.sock")?.calls).to.deep.equal(["ping"]);
        expect(fallback.calls, "the default engine is not pinged, as before providers").to.deep.equal([]);
    });

    it("fails as the provider's configure does, naming the host, and tries again on the next use", async () => {
        const { made, factory } = fakes(["unix:///run/h2.sock"]);
        const routes = new EngineRoutes(factory, asDocker(new FakeEngine("default")));
        const failure = await routes.configure(provider("docker-h2"), { host: "unix:///run/h2.sock" }).then(
            () => undefined,
            (err: unknown) => err,
        );
        expect(failure).to.be.instanceOf(ProviderConfigureError);
        expect(failure).to.include({ kind: "unreachable", host: "unix:///run/h2.sock" });
        expect((failure as Error).message).to.match(/^Error pinging Docker server: .*unix:\/\/\/run\/h2\.sock/);
        await routes.engineFor(provider("docker-h2")).catch(() => undefined);
        expect(made.get("unix:///run/h2.sock")?.calls).to.deep.equal(["ping", "ping"]);
    });

    it("configures every provider again on each run, so an engine that died since the last one fails the next", async () => {
        const { made, factory } = fakes();
        const routes = new EngineRoutes(factory, asDocker(new FakeEngine("default")));
        await routes.configure(provider("docker-h0"), { host: "unix:///run/h0.sock" });
        await routes.configure(provider("docker-h0"), { host: "unix:///run/h0.sock" });
        expect(made.get("unix:///run/h0.sock")?.calls, "once within a run").to.deep.equal(["ping"]);
        routes.newRun();
        await routes.configure(provider("docker-h0"), { host: "unix:///run/h0.sock" });
        expect(made.get("unix:///run/h0.sock")?.calls, "again in the next run").to.deep.equal(["ping", "ping"]);
    });
});

describe("replay deployer with providers (fake engines, no Docker)", () => {
    let dir: string;
    beforeEach(() => (dir = mkdtempSync(path.join(tmpdir(), "replay-engines-"))));
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const entry = (type: string, name: string, inputs: Record<string, unknown>, extra: Partial<ResourceState> = {}): ResourceState => ({
        type,
        name,
        inputs,
        outputs: { ...inputs, id: `${name}-id` },
        dependencies: [],
        propertyDependencies: [],
        deleteBeforeReplace: false,
        retainOnDelete: false,
        protect: false,
        ...extra,
    });

    it("destroys each object on the engine of the provider recorded with it, the rest on the default engine", async () => {
        const { made, factory } = fakes();
        const fallback = new FakeEngine("default");
        const VOLUME = "docker:index/volume:Volume";
        const state: ReplayState = {
            resources: {
                [provider("docker-h1")]: entry(DOCKER_PROVIDER, "docker-h1", { host: "unix:///run/h1.sock" }),
                [resourceKey(VOLUME, "on-h1")]: entry(VOLUME, "on-h1", { name: "on-h1" }, { provider: provider("docker-h1") }),
                [resourceKey(VOLUME, "on-default")]: entry(VOLUME, "on-default", { name: "on-default" }),
            },
        };
        saveState(path.join(dir, "test.json"), state);
        await new ReplayDeployer("test", "unit", dir, new EngineRoutes(factory, asDocker(fallback))).destroy();
        expect(made.get("unix:///run/h1.sock")?.calls).to.deep.equal(["ping", "remove volume on-h1"]);
        expect(fallback.calls).to.deep.equal(["remove volume on-default"]);
    });

    it("previews a stack on three hosts by configuring each host's provider; an unreachable one fails the preview naming it", async () => {
        const hosts = [0, 1, 2].map((i) => ({ name: `h${i}`, docker: `unix:///run/h${i}.sock`, address: `10.231.16.${10 + i}` }));
        // The dev stack's file is not read: only these keys (with hosts, publish.host must be unset).
        const config = { cluster: { hosts } };
        const ok = fakes();
        const changes = await new ReplayDeployer("dev", "unit", dir, new EngineRoutes(ok.factory)).preview(config);
        expect([...ok.made.keys()].sort()).to.deep.equal(hosts.map((h) => h.docker));
        for (const fake of ok.made.values()) expect(fake.calls).to.deep.equal(["ping"]);
        expect(changes.created.filter((k) => k.startsWith(`${DOCKER_PROVIDER}::`))).to.have.length(3);

        const down = fakes(["unix:///run/h1.sock"]);
        const failure = await new ReplayDeployer("dev", "unit", dir, new EngineRoutes(down.factory)).preview(config).then(
            () => undefined,
            (err: unknown) => err as Error,
        );
        expect(failure?.message).to.match(/pulumi:providers:docker::docker-h1: Error pinging Docker server/);
        expect((failure?.cause as ProviderConfigureError).kind).to.equal("unreachable");
    });
});
