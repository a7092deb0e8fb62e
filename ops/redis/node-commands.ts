// The administrative commands the operations tools send to a Redis node, typed: one narrow
// interface per concern (a unit test's fake implements just those) and their implementation over
// an ioredis client. Replies are read by replies.ts; failures are RedisCommandErrors with a kind.
import { parseFieldList } from "./replies";
import { CommandSender, Connection, send } from "./send";
import { tlsFullReloadArgs } from "../../render/tls-conf";

/** CONFIG: a node's runtime settings. */
export interface NodeConfig {
    /** CONFIG GET <pattern>: every matching setting (`append*` matches several). */
    configGet(pattern: string): Promise<Record<string, string>>;
    /** CONFIG SET <name> <value>. */
    configSet(name: string, value: string): Promise<void>;
    /** CONFIG REWRITE: writes the running settings to the config file, so a restart keeps them. */
    configRewrite(): Promise<void>;
}

/** The clients connected to a node. */
export interface NodeClients {
    /** CLIENT KILL TYPE <type> SKIPME yes: drops every connection of that type but this one. */
    killClients(type: "normal" | "pubsub"): Promise<void>;
    /** CLIENT PAUSE <ms> WRITE: holds every client's writes (reads go on). */
    pauseWrites(timeoutMs: number): Promise<void>;
    /** CLIENT UNPAUSE. */
    unpause(): Promise<void>;
}

/** Replication and persistence on a node. */
export interface NodeReplication {
    /** REPLICAOF NO ONE: stops following a master. */
    detach(): Promise<void>;
    /** BGREWRITEAOF: starts an AOF rewrite. */
    rewriteAof(): Promise<void>;
}

/** TLS on a TLS stack's node. */
export interface NodeTls {
    /**
     * CONFIG SET tls-cert-file <f> tls-key-file <k> tls-ca-cert-file <ca> with the paths it already
     * has: a node re-reads the files (VOLATILE_CONFIG since 7.0.1), in one call so the pair and the
     * CAs it trusts load together (a renewal or a CA rotation).
     */
    reloadTls(): Promise<void>;
}

export type NodeAdmin = NodeConfig & NodeClients & NodeReplication & NodeTls;

class IoredisNode implements NodeAdmin, Connection {
    constructor(private readonly client: CommandSender & Connection) {}

    connect(): Promise<void> {
        return this.client.connect();
    }

    disconnect(): void {
        this.client.disconnect();
    }

    async configGet(pattern: string): Promise<Record<string, string>> {
        return parseFieldList("CONFIG GET", await send(this.client, "CONFIG", "GET", pattern));
    }

    async configSet(name: string, value: string): Promise<void> {
        await send(this.client, "CONFIG", "SET", name, value);
    }

    async configRewrite(): Promise<void> {
        await send(this.client, "CONFIG", "REWRITE");
    }

    async reloadTls(): Promise<void> {
        await send(this.client, "CONFIG", "SET", ...tlsFullReloadArgs());
    }

    async killClients(type: "normal" | "pubsub"): Promise<void> {
        await send(this.client, "CLIENT", "KILL", "TYPE", type, "SKIPME", "yes");
    }

    async pauseWrites(timeoutMs: number): Promise<void> {
        await send(this.client, "CLIENT", "PAUSE", String(timeoutMs), "WRITE");
    }

    async unpause(): Promise<void> {
        await send(this.client, "CLIENT", "UNPAUSE");
    }

    async detach(): Promise<void> {
        await send(this.client, "REPLICAOF", "NO", "ONE");
    }

    async rewriteAof(): Promise<void> {
        await send(this.client, "BGREWRITEAOF");
    }
}

/** The typed node commands over a client (ioredis), which they connect and disconnect too. */
export const nodeCommands = (client: CommandSender & Connection): NodeAdmin & Connection => new IoredisNode(client);
