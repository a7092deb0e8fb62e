import { expect } from "chai";
import { ACL_USER_NAMES, AclPasswords } from "../../../render/acl-users";
import { USER_PASSWORDS_ENV } from "../../../contracts/env";
import { parseUserPasswords, userPasswordsEnvironment } from "../../../contracts/user-passwords-env";

const passwords = Object.fromEntries(ACL_USER_NAMES.map((u, i) => [u, `Password${i}abcdefghijkl`])) as AclPasswords;

describe("user passwords env (contracts/user-passwords-env.ts)", () => {
    it("round-trips every user's password and a rotation's previous one", () => {
        const env = userPasswordsEnvironment({ passwords, previous: { replication: "OldPassword0123456789" } });
        expect(parseUserPasswords(env)).to.deep.equal({ passwords, previous: { replication: "OldPassword0123456789" } });
    });

    it("refuses a missing user, an unknown one or a password a config line could misread, naming where and never the value", () => {
        const withoutApp = Object.fromEntries(Object.entries(passwords).filter(([user]) => user !== "app"));
        const cases = [
            { passwords: withoutApp },
            { passwords: { ...passwords, nobody: "Password0123456789ab" } },
            { passwords: { ...passwords, app: 'has "quotes" 0123456789' } },
        ];
        for (const value of cases) {
            const err = (() => {
                try {
                    parseUserPasswords({ [USER_PASSWORDS_ENV]: JSON.stringify(value) });
                } catch (e) {
                    return e as Error & { kind: string };
                }
                throw new Error("accepted");
            })();
            expect(err.kind).to.equal("bad-environment");
            expect(err.message).to.match(/malformed at passwords/);
            expect(err.message).to.not.include("Password");
        }
        expect(() => parseUserPasswords({})).to.throw(/is not set/);
    });
});
