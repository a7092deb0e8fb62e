// Authentication and ACL commands, typed: the same on a Redis node and on a Sentinel. A narrow
// interface (a unit test's fake implements just that) and its implementation over an ioredis
// client. Replies are read by replies.ts; failures are RedisCommandErrors with a kind.
import { parseAclPasswordHashes, parseAclUser } from "./replies";
import { CommandSender, Connection, send } from "./send";

/** Who may connect to a server, and as whom this connection is. */
export interface AccessControl {
    /** AUTH <password>: a refused password rejects with an error reply (code WRONGPASS, or ERR / NOAUTH on older servers). */
    auth(password: string, user?: string): Promise<void>;
    /** ACL GETUSER <user>: the SHA-256 of every password the user accepts (ACL never shows a password itself). */
    passwordHashes(user: string): Promise<string[]>;
    /** ACL SETUSER <user> <rule> ...: the rules in one command, in the order given. */
    setUser(user: string, rules: readonly string[]): Promise<void>;
    /** ACL DELUSER <user>. */
    deleteUser(user: string): Promise<void>;
}

/** A user as ACL GETUSER shows it: enough to tell whether a change already happened. */
export interface AclUserState {
    /** `on` or `off`, `nopass`, ... */
    readonly flags: readonly string[];
    /** The SHA-256 of every password it accepts. */
    readonly passwordHashes: readonly string[];
}

/** Reading a user back (a separate interface, so fakes of AccessControl need not grow). */
export interface AclInspect {
    /** ACL GETUSER <user>: its flags and password hashes, undefined when there is no such user. */
    aclUser(user: string): Promise<AclUserState | undefined>;
}

class IoredisAccess implements AccessControl, AclInspect, Connection {
    constructor(private readonly client: CommandSender & Connection) {}

    connect(): Promise<void> {
        return this.client.connect();
    }

    disconnect(): void {
        this.client.disconnect();
    }

    async auth(password: string, user?: string): Promise<void> {
        await (user === undefined ? send(this.client, "AUTH", password) : send(this.client, "AUTH", user, password));
    }

    async passwordHashes(user: string): Promise<string[]> {
        return parseAclPasswordHashes(await send(this.client, "ACL", "GETUSER", user));
    }

    async aclUser(user: string): Promise<AclUserState | undefined> {
        return parseAclUser(await send(this.client, "ACL", "GETUSER", user));
    }

    async setUser(user: string, rules: readonly string[]): Promise<void> {
        await send(this.client, "ACL", "SETUSER", user, ...rules);
    }

    async deleteUser(user: string): Promise<void> {
        await send(this.client, "ACL", "DELUSER", user);
    }
}

/** The typed access commands over a client (ioredis), which they connect and disconnect too. */
export const accessCommands = (client: CommandSender & Connection): AccessControl & AclInspect & Connection => new IoredisAccess(client);
