import { expect } from "chai";
import { tlsSchema } from "../../../settings/schema";
import { CLIENT_USES, planTls, SERVER_USES, serverIpSans, TLS_KEY_ALGORITHM } from "../../../settings/tls-plan";
import { caOutlivesLeaves, caRotationPhase, checkTls, renewalWindowFitsValidity } from "../../../settings/tls-rules";
import { RawStackConfig, StackConfigError, validateStackConfig } from "../../../settings/validate";
import { settingsFor } from "../../support/settings";

const tls = (over: Record<string, unknown> = {}) => tlsSchema.parse({ enabled: true, ...over });

function problemsOf(cluster: unknown): string[] {
    const raw: RawStackConfig = { stack: "dev", keys: ["cluster"], cluster, secrets: {} };
    try {
        validateStackConfig(raw);
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return [...(err as StackConfigError).problems];
    }
    throw new Error("expected the config to be rejected");
}

describe("the tls settings", () => {
    it("default to off, client certificates required, a year per leaf renewed in its last 30 days, a ten-year CA", () => {
        expect(tlsSchema.parse({})).to.deep.equal({
            enabled: false,
            authClients: "yes",
            validityHours: 8760,
            renewalWindowHours: 720,
            caValidityHours: 87600,
            caGeneration: 0,
        });
        expect(checkTls(tlsSchema.parse({}))).to.deep.equal([]);
    });

    it("reject a renewal window of half the validity or more, with its kind and the fix", () => {
        expect(renewalWindowFitsValidity(tls({ validityHours: 100, renewalWindowHours: 49 }))).to.deep.equal([]);
        const [failure] = renewalWindowFitsValidity(tls({ validityHours: 100, renewalWindowHours: 50 }));
        expect(failure.kind).to.equal("renewal-window-too-long");
        expect(failure.message).to.match(/^appscreens-redis:cluster\.tls\.renewalWindowHours: 50 h .*set it below 50/);
    });

    it("reject a CA that would expire before the certificates it signs", () => {
        expect(caOutlivesLeaves(tls({ validityHours: 1000, renewalWindowHours: 100, caValidityHours: 1100 }))).to.deep.equal([]);
        const [failure] = caOutlivesLeaves(tls({ validityHours: 1000, renewalWindowHours: 100, caValidityHours: 1099 }));
        expect(failure.kind).to.equal("ca-expires-before-leaves");
        expect(failure.message).to.include("cluster.tls.caValidityHours").and.include("at least 1100");
    });

    it("are checked before anything is created, each bad value named", () => {
        expect(problemsOf({ tls: { enabled: true, validityHours: 48, renewalWindowHours: 24 } })).to.deep.equal([
            "appscreens-redis:cluster.tls.renewalWindowHours: 24 h is not less than half of tls.validityHours (48 h), so certificates would be renewed soon after they are made; set it below 24, e.g. 4",
        ]);
        const problems = problemsOf({ tls: { enabled: "yes", authClients: "no", validityHours: 1, extra: 1 } });
        expect(problems).to.have.length(4);
        expect(problems.join("\n"))
            .to.include("cluster.tls.enabled: must be true or false")
            .and.include('cluster.tls.authClients: must be one of yes, optional (got "no")')
            .and.include("cluster.tls.validityHours: must be at least 24")
            .and.include("cluster.tls.extra: unknown key");
    });
});

describe("a CA rotation's settings", () => {
    it("accept the three deploys and refuse what the config alone shows to be wrong, naming the setting and the fix", () => {
        // Deploy 1, 2, 3 of a rotation from generation 0 to 1, and the next rotation's first deploy.
        for (const ok of [
            { caNextGeneration: 1 },
            { caGeneration: 1, caPreviousGeneration: 0 },
            { caGeneration: 1 },
            { caGeneration: 1, caNextGeneration: 2 },
        ])
            expect(caRotationPhase(tls(ok)), JSON.stringify(ok)).to.deep.equal([]);
        const [both] = caRotationPhase(tls({ caGeneration: 1, caNextGeneration: 2, caPreviousGeneration: 0 }));
        expect(both.kind).to.equal("ca-rotation-overlap");
        expect(both.message).to.match(/^appscreens-redis:cluster\.tls\.caNextGeneration: .*remove caPreviousGeneration and deploy/);
        const [notAbove] = caRotationPhase(tls({ caGeneration: 2, caNextGeneration: 2 }));
        expect(notAbove.kind).to.equal("ca-generation-order");
        expect(notAbove.message).to.include("cluster.tls.caNextGeneration").and.include("set caNextGeneration: 3");
        // The switch written the wrong way round: the old CA still signing, the new one named as previous.
        const [backwards] = caRotationPhase(tls({ caGeneration: 0, caPreviousGeneration: 1 }));
        expect(backwards.kind).to.equal("ca-generation-order");
        expect(backwards.message)
            .to.include("cluster.tls.caPreviousGeneration")
            .and.include("caGeneration: 2 with caPreviousGeneration: 1");
        const [off] = caRotationPhase(tlsSchema.parse({ caNextGeneration: 1 }));
        expect(off.kind).to.equal("ca-rotation-without-tls");
    });

    it("are refused before anything is created", () => {
        expect(problemsOf({ tls: { enabled: true, caNextGeneration: 1, caPreviousGeneration: 0, caGeneration: 1 } })).to.have.length(1);
        expect(problemsOf({ tls: { enabled: true, caNextGeneration: 0 } }).join("\n")).to.include(
            "cluster.tls.caNextGeneration: must be at least 1",
        );
    });

    it("plan each phase's CAs: the signing one first in the bundle, new generations under names of their own", () => {
        const planOf = (over: Record<string, unknown>) => {
            const settings = settingsFor({ tls: { enabled: true, ...over } });
            const plan = planTls({ namePrefix: settings.namePrefix, tls: settings.cluster.tls, plan: settings.plan });
            if (!plan) throw new Error("no plan");
            return plan;
        };
        const names = (over: Record<string, unknown>) => {
            const plan = planOf(over);
            return [plan.rotation, plan.ca.certName, ...plan.trusted.map((c) => `${c.keyName}/${c.certName}/${c.subject.commonName}`)];
        };
        expect(names({ caNextGeneration: 1 })).to.deep.equal([
            "trust-next",
            "tls-ca",
            "tls-ca-key/tls-ca/appscreens-redis-dev CA",
            "tls-ca-g1-key/tls-ca-g1/appscreens-redis-dev CA 1",
        ]);
        expect(names({ caGeneration: 1, caPreviousGeneration: 0 })).to.deep.equal([
            "trust-previous",
            "tls-ca-g1",
            "tls-ca-g1-key/tls-ca-g1/appscreens-redis-dev CA 1",
            "tls-ca-key/tls-ca/appscreens-redis-dev CA",
        ]);
        expect(names({ caGeneration: 1 })).to.deep.equal(["none", "tls-ca-g1", "tls-ca-g1-key/tls-ca-g1/appscreens-redis-dev CA 1"]);
        // The leaves do not depend on the phase: only the CA that signs them changes.
        expect(planOf({ caNextGeneration: 1 }).servers).to.deep.equal(planOf({}).servers);
    });
});

describe("planTls", () => {
    it("plans nothing with TLS off", () => {
        const settings = settingsFor({});
        expect(planTls({ namePrefix: settings.namePrefix, tls: settings.cluster.tls, plan: settings.plan })).to.equal(undefined);
    });

    it("gives every node and Sentinel a leaf for its announced address and loopback, usable as server and client", () => {
        const settings = settingsFor({ tls: { enabled: true } });
        const plan = planTls({ namePrefix: settings.namePrefix, tls: settings.cluster.tls, plan: settings.plan });
        if (!plan) throw new Error("no plan");
        expect(plan.servers.map((s) => [s.name, s.ipAddresses])).to.deep.equal([
            ["redis-0", ["172.28.0.10", "127.0.0.1"]],
            ["redis-1", ["172.28.0.11", "127.0.0.1"]],
            ["redis-2", ["172.28.0.12", "127.0.0.1"]],
            ["sentinel-0", ["172.28.0.40", "127.0.0.1"]],
            ["sentinel-1", ["172.28.0.41", "127.0.0.1"]],
            ["sentinel-2", ["172.28.0.42", "127.0.0.1"]],
        ]);
        for (const s of plan.servers) {
            expect(s.allowedUses).to.include.members(["server_auth", "client_auth", "digital_signature", "key_encipherment"]);
            expect(s.subject).to.deep.equal({ commonName: s.name, organization: "appscreens-redis-dev" });
        }
        expect(plan.ca).to.deep.equal({
            generation: 0,
            keyName: "tls-ca-key",
            certName: "tls-ca",
            subject: { commonName: "appscreens-redis-dev CA", organization: "appscreens-redis-dev" },
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
            validityHours: 87600,
        });
        expect(plan.trusted).to.deep.equal([plan.ca]);
        expect(plan.rotation).to.equal("none");
        expect(plan.clients.map((c) => [c.name, c.subject.commonName, c.ipAddresses, c.allowedUses])).to.deep.equal(
            ["app", "warmer", "exporter", "tools"].map((c) => [`client-${c}`, c, [], [...CLIENT_USES]]),
        );
        expect([plan.validityHours, plan.earlyRenewalHours]).to.deep.equal([8760, 720]);
        expect(SERVER_USES).to.not.include("cert_signing");
        expect(TLS_KEY_ALGORITHM).to.deep.equal({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    });

    it("names the interface a single host publishes on, where apps outside Docker connect, but not 0.0.0.0", () => {
        const sans = (publish: Record<string, unknown>) => {
            const settings = settingsFor({ tls: { enabled: true }, publish });
            return planTls({ namePrefix: settings.namePrefix, tls: settings.cluster.tls, plan: settings.plan })?.servers[0].ipAddresses;
        };
        expect(sans({ host: "10.0.0.5" })).to.deep.equal(["172.28.0.10", "10.0.0.5", "127.0.0.1"]);
        expect(sans({ host: "0.0.0.0", allowAllInterfaces: true })).to.deep.equal(["172.28.0.10", "127.0.0.1"]);
    });

    it("gives no client certificates when servers accept clients without one", () => {
        const settings = settingsFor({ tls: { enabled: true, authClients: "optional" } });
        expect(planTls({ namePrefix: settings.namePrefix, tls: settings.cluster.tls, plan: settings.plan })?.clients).to.deep.equal([]);
    });

    it("across hosts names the host's address (announced) and the static one its exporter uses, once each", () => {
        const server = {
            name: "redis-1",
            address: "172.28.0.11",
            port: 6379,
            hostPort: 6380,
            publishAddress: "10.0.0.12",
            announce: { address: "10.0.0.12", port: 6380 },
            host: "host-b",
        };
        expect(serverIpSans(server)).to.deep.equal(["10.0.0.12", "172.28.0.11", "127.0.0.1"]);
        expect(
            serverIpSans({ ...server, address: "127.0.0.1", publishAddress: "127.0.0.1", announce: { address: "127.0.0.1", port: 6380 } }),
        ).to.deep.equal(["127.0.0.1"]);
    });
});
