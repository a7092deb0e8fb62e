import { expect } from "chai";
import { checkHostKey, fingerprint, hostFieldMatches, hostKeyType, knownHostsName } from "../../../../ops/docker/known-hosts";

// Two ed25519 public keys made with ssh-keygen for this test; their private halves were thrown away.
const KEY_A = "AAAAC3NzaC1lZDI1NTE5AAAAIPzcZHRUFd7VBCi4SDO9Q9s+o6TpBrajQYNi5BEmRkVK";
const KEY_B = "AAAAC3NzaC1lZDI1NTE5AAAAILR44QoTGG7nRSWZ8madS3z9oS4fLjQW845Y2285hENq";
/** What ssh2 hands a hostVerifier: the key's SSH wire format, the blob known_hosts holds in base64. */
const offered = (blob: string) => Buffer.from(blob, "base64");
// `ssh-keygen -H` of "[10.0.0.13]:2222 ssh-ed25519 KEY_A".
const HASHED_A_2222 = `|1|xSSNkTrcAQPsdYs3S+bDZJuV8+I=|7HJFkiNA+uaMjO0A6M4vR5iFk5A= ssh-ed25519 ${KEY_A}`;

const file = (text: string) => [{ file: "/home/deploy/.ssh/known_hosts", text }];

describe("known_hosts: the tools' host-key check", () => {
    it("reads the key type and fingerprint ssh-keygen shows from the wire format", () => {
        expect(hostKeyType(offered(KEY_A))).to.equal("ssh-ed25519");
        expect(fingerprint(offered(KEY_A))).to.equal("SHA256:cn8nWYz1+PtvSMXsbkPGyaGgdJUjzV/qofhKHYJKc3o");
        expect(hostKeyType(Buffer.from([0, 0]))).to.equal(undefined);
    });

    it("names a host bare on port 22 and as [host]:port on any other", () => {
        expect(knownHostsName("10.0.0.13", 22)).to.equal("10.0.0.13");
        expect(knownHostsName("10.0.0.13", 2222)).to.equal("[10.0.0.13]:2222");
    });

    it("matches comma lists, globs, negations and hashed names", () => {
        expect(hostFieldMatches("db1,10.0.0.13", "10.0.0.13")).to.equal(true);
        expect(hostFieldMatches("10.0.0.*", "10.0.0.13")).to.equal(true);
        expect(hostFieldMatches("10.0.0.*,!10.0.0.13", "10.0.0.13")).to.equal(false);
        expect(hostFieldMatches("10.0.0.1", "10.0.0.13")).to.equal(false);
        // A bare address does not cover another port: OpenSSH writes those as [host]:port.
        expect(hostFieldMatches("10.0.0.13", "[10.0.0.13]:2222")).to.equal(false);
        expect(hostFieldMatches(HASHED_A_2222.split(" ")[0], "[10.0.0.13]:2222")).to.equal(true);
        expect(hostFieldMatches(HASHED_A_2222.split(" ")[0], "10.0.0.13")).to.equal(false);
    });

    it("lets in the key a line names for the host, plain or hashed, skipping comments and other hosts", () => {
        const text = `# deploy hosts\n10.0.0.12 ssh-ed25519 ${KEY_B}\ndb1,10.0.0.13 ssh-ed25519 ${KEY_A} host-c\n`;
        expect(checkHostKey(file(text), "10.0.0.13", offered(KEY_A))).to.deep.equal({ ok: true, file: "/home/deploy/.ssh/known_hosts" });
        expect(checkHostKey(file(HASHED_A_2222), "[10.0.0.13]:2222", offered(KEY_A))).to.include({ ok: true });
        // The second file (the global one) counts too.
        const files = [...file(""), { file: "/etc/ssh/ssh_known_hosts", text: `10.0.0.13 ssh-ed25519 ${KEY_A}\n` }];
        expect(checkHostKey(files, "10.0.0.13", offered(KEY_A))).to.deep.equal({ ok: true, file: "/etc/ssh/ssh_known_hosts" });
    });

    it("refuses a host no line names as unknown", () => {
        expect(checkHostKey(file(`10.0.0.12 ssh-ed25519 ${KEY_A}\n`), "10.0.0.13", offered(KEY_A))).to.deep.equal({
            ok: false,
            kind: "host-key-unknown",
            markerOnly: false,
        });
        expect(checkHostKey(file(""), "10.0.0.13", offered(KEY_A))).to.include({ kind: "host-key-unknown" });
    });

    it("refuses a host whose lines hold another key as a mismatch", () => {
        expect(checkHostKey(file(`10.0.0.13 ssh-ed25519 ${KEY_B}\n`), "10.0.0.13", offered(KEY_A))).to.deep.equal({
            ok: false,
            kind: "host-key-mismatch",
            files: ["/home/deploy/.ssh/known_hosts"],
            knownTypes: ["ssh-ed25519"],
        });
    });

    it("refuses a host covered only by @cert-authority, and a key marked @revoked even if another line has it", () => {
        expect(checkHostKey(file(`@cert-authority 10.0.0.* ssh-ed25519 ${KEY_B}\n`), "10.0.0.13", offered(KEY_A))).to.deep.equal({
            ok: false,
            kind: "host-key-unknown",
            markerOnly: true,
        });
        const revoked = `10.0.0.13 ssh-ed25519 ${KEY_A}\n@revoked * ssh-ed25519 ${KEY_A}\n`;
        expect(checkHostKey(file(revoked), "10.0.0.13", offered(KEY_A))).to.include({ ok: false, kind: "host-key-revoked" });
        // A revoked line for another key does not stand in the way.
        const other = `10.0.0.13 ssh-ed25519 ${KEY_A}\n@revoked * ssh-ed25519 ${KEY_B}\n`;
        expect(checkHostKey(file(other), "10.0.0.13", offered(KEY_A))).to.include({ ok: true });
    });
});
