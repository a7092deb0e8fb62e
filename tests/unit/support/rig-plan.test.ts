import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { cgroupDirs, cgroupLayout } from "../../support/rig/cgroups";
import { RigError } from "../../support/rig/errors";
import { dockerdArgs, planRig } from "../../support/rig/plan";
import { onRigHosts } from "../../support/rig/stack";
import { leafSteps } from "../../support/rig/tls";

describe("rig plan", () => {
    const plan = planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24" });

    it("gives each host its own namespace, address, links and paths, all carrying the prefix", () => {
        expect(plan.hosts.map((h) => [h.name, h.address, h.hostLink, h.switchLink])).to.deep.equal([
            ["rigtest-h0", "10.231.16.10", "rigtest-h0", "rigtest-s0"],
            ["rigtest-h1", "10.231.16.11", "rigtest-h1", "rigtest-s1"],
            ["rigtest-h2", "10.231.16.12", "rigtest-h2", "rigtest-s2"],
        ]);
        expect(plan.rootAddress).to.equal("10.231.16.1");
        expect(plan.hosts[1].endpoint).to.equal("unix:///run/rigtest-h1/docker.sock");
        // Linux link names hold 15 characters.
        for (const link of [plan.bridge, plan.rootLink, plan.rootSwitchLink, ...plan.hosts.flatMap((h) => [h.hostLink, h.switchLink])]) {
            expect(link.length, link).to.be.at.most(15);
            expect(link.startsWith("rigtest-"), link).to.equal(true);
        }
    });

    it("gives every engine its own data root, exec root, pid file, socket, cgroup and containerd namespaces", () => {
        const args = plan.hosts.map(dockerdArgs);
        for (const flag of [
            "--data-root",
            "--exec-root",
            "--pidfile",
            "-H",
            "--cgroup-parent",
            "--containerd-namespace",
            "--containerd-plugins-namespace",
            "--config-file",
        ]) {
            const values = args.map((a) => a[a.indexOf(flag) + 1]);
            expect(new Set(values).size, flag).to.equal(3);
            for (const v of values) expect(v, flag).to.include("rigtest-h");
        }
    });

    it("gives a TLS host a second, verified tcp:// listener on its address, and leaves the others on their socket only", () => {
        const tls = planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24", tlsHosts: [2] });
        expect(tls.hosts.map((h) => h.tcp?.endpoint)).to.deep.equal([undefined, undefined, "tcp://10.231.16.12:2376"]);
        const args = dockerdArgs(tls.hosts[2]);
        const listeners = args.flatMap((a, i) => (a === "-H" ? [args[i + 1]] : []));
        expect(listeners).to.deep.equal(["unix:///run/rigtest-h2/docker.sock", "tcp://10.231.16.12:2376"]);
        expect(args).to.include("--tlsverify");
        expect(args[args.indexOf("--tlscacert") + 1]).to.equal(`${tls.tlsDir}/ca.pem`);
        expect(dockerdArgs(tls.hosts[0])).not.to.include("--tlsverify");
        expect(() => planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24", tlsHosts: [3] }))
            .to.throw(RigError)
            .with.property("kind", "plan");
    });

    it("places a TLS host at its tcp:// endpoint with its PEMs in hostTls when given the client's, and at its socket otherwise", () => {
        const tls = planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24", tlsHosts: [1] });
        const pems = { ca: "CA", cert: "CERT", key: "KEY" };
        const over = onRigHosts({ cluster: {} }, tls, 3, pems);
        expect((over.cluster as { hosts: { docker: string }[] }).hosts.map((h) => h.docker)).to.deep.equal([
            "unix:///run/rigtest-h0/docker.sock",
            "tcp://10.231.16.11:2376",
            "unix:///run/rigtest-h2/docker.sock",
        ]);
        expect(over.hostTls).to.deep.equal({ "rigtest-h1": pems });
        const plain = onRigHosts({ cluster: {} }, tls, 3);
        expect((plain.cluster as { hosts: { docker: string }[] }).hosts[1].docker).to.equal("unix:///run/rigtest-h1/docker.sock");
        expect(plain).not.to.have.property("hostTls");
    });

    it("signs an engine's certificate for its address with server auth, and the client's with client auth", () => {
        const [, server] = leafSteps("/ca", "/h", "server", { server: "10.231.16.12" });
        const [, client] = leafSteps("/ca", "/c", "client", "client");
        expect(server.ext?.text).to.equal("subjectAltName = IP:10.231.16.12\nextendedKeyUsage = serverAuth\n");
        expect(client.ext?.text).to.equal("extendedKeyUsage = clientAuth\n");
        expect(server.args).to.include.members(["-CA", "/ca/ca.pem", "-CAkey", "/ca/ca-key.pem", "-out", "/h/server.pem"]);
    });

    it("refuses parameters that cannot describe a rig, with kind plan", () => {
        for (const params of [
            { prefix: "much-too-long", hosts: 3, subnet: "10.0.0.0/24" },
            { prefix: "ok", hosts: 3, subnet: "10.0.0.0/16" },
            { prefix: "ok", hosts: 3, subnet: "10.0.300.0/24" },
            { prefix: "ok", hosts: 0, subnet: "10.0.0.0/24" },
        ]) {
            expect(() => planRig(params), JSON.stringify(params))
                .to.throw(RigError)
                .with.property("kind", "plan");
        }
    });
});

describe("a stack on the rig's hosts", () => {
    it("has one host per rig host with its engine and address, and no publish.host", () => {
        const plan = planRig({ prefix: "rigtest", hosts: 3, subnet: "10.231.16.0/24" });
        const base = { cluster: { replicas: 2, publish: { host: "127.0.0.1", redisBasePort: 16379 } } };
        const config = onRigHosts(base, plan) as { cluster: { publish: object; hosts: object[]; replicas: number } };
        expect(config.cluster.publish).to.deep.equal({ redisBasePort: 16379 });
        expect(config.cluster.replicas).to.equal(2);
        expect(config.cluster.hosts[2]).to.deep.equal({
            name: "rigtest-h2",
            docker: "unix:///run/rigtest-h2/docker.sock",
            address: "10.231.16.12",
        });
        expect(base.cluster.publish.host, "the base config is left alone").to.equal("127.0.0.1");
    });

    it("takes only the first hosts when asked, leaving the others for a later change of the hosts list", () => {
        const plan = planRig({ prefix: "rigtest", hosts: 4, subnet: "10.231.16.0/24" });
        const config = onRigHosts({ cluster: {} }, plan, 3) as { cluster: { hosts: { name: string }[] } };
        expect(config.cluster.hosts.map((h) => h.name)).to.deep.equal(["rigtest-h0", "rigtest-h1", "rigtest-h2"]);
    });
});

describe("rig cgroups", () => {
    let root: string;
    beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), "rig-cgroups-"))));
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it("tells cgroup v2 (one hierarchy) from v1 (pids and freezer hierarchies), and neither", () => {
        expect(cgroupLayout(root)).to.equal(undefined);
        for (const c of ["pids", "freezer"]) {
            mkdirSync(path.join(root, c));
            writeFileSync(path.join(root, c, "cgroup.procs"), "");
        }
        expect(cgroupLayout(root)).to.equal("v1");
        writeFileSync(path.join(root, "cgroup.controllers"), "cpu pids\n");
        expect(cgroupLayout(root)).to.equal("v2");
    });

    it("puts a host's cgroup under each hierarchy the rig uses, pids first", () => {
        expect(cgroupDirs("v1", "/rigtest-h0/engine", "/cg")).to.deep.equal([
            "/cg/pids/rigtest-h0/engine",
            "/cg/freezer/rigtest-h0/engine",
        ]);
        expect(cgroupDirs("v2", "/rigtest-h0/engine", "/cg")).to.deep.equal(["/cg/rigtest-h0/engine"]);
    });
});
