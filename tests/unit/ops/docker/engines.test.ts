import { expect } from "chai";
import type Docker from "dockerode";
import { DockerEngines, DockerHostError, dockerOptionsFor, GLOBAL_KNOWN_HOSTS, readKnownHostsFile } from "../../../../ops/docker/engines";

// An ed25519 host key made with ssh-keygen for these tests, and another (private halves thrown away).
const KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIPzcZHRUFd7VBCi4SDO9Q9s+o6TpBrajQYNi5BEmRkVK";
const KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAILR44QoTGG7nRSWZ8madS3z9oS4fLjQW845Y2285hENq";
const PEMS = { ca: "-----CA-----", cert: "-----CERT-----", key: "-----KEY-----" };

function refusal(fn: () => unknown): DockerHostError {
    try {
        fn();
    } catch (err) {
        if (err instanceof DockerHostError) return err;
        throw err;
    }
    throw new Error("expected a DockerHostError");
}

describe("Docker engines: each server's container on its host's engine", () => {
    describe("dockerode options for a host's endpoint", () => {
        it("reaches a unix socket by its path", () => {
            expect(dockerOptionsFor({ name: "host-a", docker: "unix:///run/host-a/docker.sock" }, undefined)).to.deep.equal({
                socketPath: "/run/host-a/docker.sock",
            });
        });

        it("reaches tcp:// with TLS and all three PEMs", () => {
            expect(dockerOptionsFor({ name: "host-b", docker: "tcp://10.0.0.12:2376" }, PEMS)).to.deep.equal({
                protocol: "https",
                host: "10.0.0.12",
                port: 2376,
                ...PEMS,
            });
        });

        it("refuses tcp:// without every PEM, naming the host and the secret's path, never a PEM", () => {
            const err = refusal(() => dockerOptionsFor({ name: "host-b", docker: "tcp://10.0.0.12:2376" }, { ...PEMS, ca: "" }));
            expect(err.kind).to.equal("no-tls");
            expect(err.host).to.equal("host-b");
            expect(err.message).to.include("hostTls.host-b");
            expect(err.message).to.not.include("-----");
        });

        it("reaches ssh:// with its user and port, a key file from -i, the port from -p and known hosts from -o UserKnownHostsFile=", () => {
            const read: string[] = [];
            const options = dockerOptionsFor(
                {
                    name: "host-c",
                    docker: "ssh://deploy@10.0.0.13",
                    sshOpts: ["-i", "/keys/id_ed25519", "-p", "2222", "-o", "UserKnownHostsFile=/keys/known_hosts"],
                },
                undefined,
                (file) => {
                    read.push(file);
                    return "KEY";
                },
                (file) => {
                    read.push(file);
                    return file === GLOBAL_KNOWN_HOSTS ? "" : `[10.0.0.13]:2222 ssh-ed25519 ${KEY_A}\n`;
                },
            );
            expect(read).to.deep.equal(["/keys/id_ed25519", "/keys/known_hosts", GLOBAL_KNOWN_HOSTS]);
            const { sshOptions, ...rest } = options;
            expect(rest).to.deep.equal({ protocol: "ssh", host: "10.0.0.13", port: 2222, username: "deploy" });
            expect(sshOptions?.privateKey).to.equal("KEY");
            expect(typeof sshOptions?.hostVerifier).to.equal("function");
        });

        it("verifies the host's key against known_hosts, refusing an unknown or changed key with its own kind and the fix", () => {
            const refusals: DockerHostError[] = [];
            const verifierWith = (knownHosts: string) => {
                const options = dockerOptionsFor(
                    { name: "host-c", docker: "ssh://10.0.0.13", sshOpts: ["-o", "UserKnownHostsFile=/keys/known_hosts"] },
                    undefined,
                    undefined,
                    (file) => (file === GLOBAL_KNOWN_HOSTS ? "" : knownHosts),
                    (err) => refusals.push(err),
                );
                return options.sshOptions?.hostVerifier as (key: Buffer) => boolean;
            };
            const keyA = Buffer.from(KEY_A, "base64");
            expect(verifierWith(`10.0.0.13 ssh-ed25519 ${KEY_A}\n`)(keyA)).to.equal(true);
            expect(refusals).to.deep.equal([]);

            expect(verifierWith(`10.0.0.13 ssh-ed25519 ${KEY_B}\n`)(keyA)).to.equal(false);
            expect(refusals[0].kind).to.equal("host-key-mismatch");
            expect(refusals[0].host).to.equal("host-c");
            expect(refusals[0].message).to.include("ssh://10.0.0.13").and.include("SHA256:cn8nWYz1+PtvSMXsbkPGyaGgdJUjzV/qofhKHYJKc3o");

            expect(verifierWith("")(keyA)).to.equal(false);
            expect(refusals[1].kind).to.equal("host-key-unknown");
            expect(refusals[1].message).to.include("ssh-keyscan -p 22 10.0.0.13 >> /keys/known_hosts").and.include("out of band");
        });

        it("reads the deploy user's ~/.ssh/known_hosts without -o UserKnownHostsFile=, and a missing file holds no keys", () => {
            const read: string[] = [];
            dockerOptionsFor({ name: "host-c", docker: "ssh://10.0.0.13" }, undefined, undefined, (file) => {
                read.push(file);
                return "";
            });
            expect(read[0]).to.match(/\/\.ssh\/known_hosts$/);
            expect(read[1]).to.equal(GLOBAL_KNOWN_HOSTS);
            expect(readKnownHostsFile("/nonexistent/appscreens-test/known_hosts")).to.equal("");
            const err = refusal(() =>
                dockerOptionsFor({ name: "host-c", docker: "ssh://10.0.0.13" }, undefined, undefined, () => {
                    throw new Error("EACCES: permission denied");
                }),
            );
            expect(err.kind).to.equal("known-hosts-unreadable");
            expect(err.message).to.include("EACCES");
        });

        it("refuses an ssh option its own SSH client cannot honour, by name, instead of dropping it", () => {
            const err = refusal(() =>
                dockerOptionsFor({ name: "host-c", docker: "ssh://10.0.0.13", sshOpts: ["-o", "StrictHostKeyChecking=no"] }, undefined),
            );
            expect(err.kind).to.equal("unsupported-ssh-option");
            expect(err.message).to.match(/host-c: .* not -o StrictHostKeyChecking=no;/);
        });
    });

    describe("which engine a server is on", () => {
        const hosts = [
            { name: "host-a", docker: "unix:///run/a.sock" },
            { name: "host-b", docker: "unix:///run/b.sock" },
        ];
        const placement = { "redis-0": "host-a", "redis-1": "host-b", "sentinel-0": "host-a" };

        it("gives each server its host's client, one client per host", () => {
            const made: Docker.DockerOptions[] = [];
            const engines = DockerEngines.placed(hosts, placement, {}, (o) => {
                made.push(o ?? {});
                return { socket: o?.socketPath } as unknown as Docker;
            });
            const socketOf = (server: string) => (engines.forServer(server) as unknown as { socket: string }).socket;
            expect(socketOf("redis-0")).to.equal("/run/a.sock");
            expect(socketOf("redis-1")).to.equal("/run/b.sock");
            expect(socketOf("sentinel-0")).to.equal("/run/a.sock");
            expect(made.map((o) => o.socketPath)).to.deep.equal(["/run/a.sock", "/run/b.sock"]);
            expect(engines.hostOf("redis-1")).to.equal("host-b");
        });

        it("refuses a server placed on no host, by name", () => {
            const engines = DockerEngines.placed(hosts, placement);
            const err = refusal(() => engines.forServer("redis-7"));
            expect(err.kind).to.equal("unknown-host");
            expect(err.message).to.include("redis-7");
        });

        it("puts every server on the one engine of a single host", () => {
            const local = {} as Docker;
            const engines = DockerEngines.single(local);
            expect(engines.spread).to.equal(false);
            expect(engines.hostOf("redis-0")).to.equal(undefined);
            expect(engines.forServer("redis-2")).to.equal(local);
            expect(engines.all()).to.deep.equal([{ host: undefined, docker: local }]);
        });

        it("fails the ping of a host whose engine is gone, naming the host and its endpoint", async () => {
            // A real dockerode client on a socket nothing listens on: what a stopped engine gives.
            const engines = DockerEngines.placed([{ name: "host-z", docker: "unix:///nonexistent/appscreens-test.sock" }], {
                "redis-0": "host-z",
            });
            const err = await engines.reachable("host-z", 2000).then(
                () => undefined,
                (e: unknown) => e,
            );
            expect(err).to.be.instanceOf(DockerHostError);
            expect((err as DockerHostError).kind).to.equal("unreachable");
            expect((err as DockerHostError).message).to.match(/host-z \(unix:\/\/\/nonexistent\/appscreens-test.sock\): .*ENOENT/);
        });

        it("fails the ping of a host that never answers within its deadline", async () => {
            const engines = DockerEngines.placed(
                hosts,
                placement,
                {},
                () => ({ ping: () => new Promise(() => undefined) }) as unknown as Docker,
            );
            const started = Date.now();
            const err = (await engines.reachable("host-b", 300).catch((e: unknown) => e)) as DockerHostError;
            expect(err.kind).to.equal("unreachable");
            expect(err.message).to.include("did not finish within 0.3 s");
            expect(Date.now() - started).to.be.below(2000);
        });
    });
});
