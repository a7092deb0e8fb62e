// The Sentinel commands the operations tools send, typed: narrow interfaces for what a step reads
// and what it changes (a unit test's fake implements just those), and their implementation over
// an ioredis client. Replies are read by replies.ts; failures are RedisCommandErrors with a kind.
import { parseMasterAddress, parseSentinelMaster, parseSentinelPeers, parseSentinelReplicas, parseText } from "./replies";
import type { SentinelMaster, SentinelPeer, SentinelReplica } from "./replies";
import { CommandSender, Connection, send } from "./send";

/** What a Sentinel says about the master it watches under a name. */
export interface SentinelReader {
    /** SENTINEL GET-MASTER-ADDR-BY-NAME: the master's `address:port`; undefined when it watches no master of that name. */
    masterAddress(masterName: string): Promise<string | undefined>;
    /** SENTINEL MASTER. */
    master(masterName: string): Promise<SentinelMaster>;
    /** SENTINEL REPLICAS. */
    replicas(masterName: string): Promise<SentinelReplica[]>;
    /** SENTINEL SENTINELS: the other Sentinels it knows. */
    sentinels(masterName: string): Promise<SentinelPeer[]>;
    /** SENTINEL CKQUORUM: its `OK ...` text; without a quorum it rejects with an error reply (code NOQUORUM). */
    ckquorum(masterName: string): Promise<string>;
}

/** What an operations step changes on a Sentinel. */
export interface SentinelControl {
    /** SENTINEL FAILOVER: starts a failover without asking the other Sentinels. */
    failover(masterName: string): Promise<void>;
    /** SENTINEL RESET: forgets the master's replicas and Sentinels, then discovers them again. */
    reset(masterName: string): Promise<void>;
    /** SENTINEL REMOVE: stops watching the master. */
    remove(masterName: string): Promise<void>;
    /** SENTINEL SET <name> <option> <value> ...: in one command, in the order given. */
    set(masterName: string, settings: readonly (readonly [option: string, value: string])[]): Promise<void>;
    /** SENTINEL CONFIG SET <parameter> <value> (a Sentinel's own settings, such as `sentinel-pass`). */
    configSet(parameter: string, value: string): Promise<void>;
    /** SENTINEL CONFIG GET <parameter>: "" when unset. */
    configGet(parameter: string): Promise<string>;
    /** SENTINEL FLUSHCONFIG: writes its state to its config file. */
    flushConfig(): Promise<void>;
}

export type SentinelCommands = SentinelReader & SentinelControl;

class IoredisSentinel implements SentinelCommands, Connection {
    constructor(private readonly client: CommandSender & Connection) {}

    connect(): Promise<void> {
        return this.client.connect();
    }

    disconnect(): void {
        this.client.disconnect();
    }

    private sentinel(...args: string[]): Promise<unknown> {
        return send(this.client, "SENTINEL", ...args);
    }

    async masterAddress(masterName: string): Promise<string | undefined> {
        return parseMasterAddress(await this.sentinel("GET-MASTER-ADDR-BY-NAME", masterName));
    }

    async master(masterName: string): Promise<SentinelMaster> {
        return parseSentinelMaster(await this.sentinel("MASTER", masterName));
    }

    async replicas(masterName: string): Promise<SentinelReplica[]> {
        return parseSentinelReplicas(await this.sentinel("REPLICAS", masterName));
    }

    async sentinels(masterName: string): Promise<SentinelPeer[]> {
        return parseSentinelPeers(await this.sentinel("SENTINELS", masterName));
    }

    async ckquorum(masterName: string): Promise<string> {
        return parseText(await this.sentinel("CKQUORUM", masterName));
    }

    async failover(masterName: string): Promise<void> {
        await this.sentinel("FAILOVER", masterName);
    }

    async reset(masterName: string): Promise<void> {
        await this.sentinel("RESET", masterName);
    }

    async remove(masterName: string): Promise<void> {
        await this.sentinel("REMOVE", masterName);
    }

    async set(masterName: string, settings: readonly (readonly [string, string])[]): Promise<void> {
        await this.sentinel("SET", masterName, ...settings.flat());
    }

    async configSet(parameter: string, value: string): Promise<void> {
        await this.sentinel("CONFIG", "SET", parameter, value);
    }

    async configGet(parameter: string): Promise<string> {
        const reply = await this.sentinel("CONFIG", "GET", parameter);
        // A flat [name, value] list over RESP2, a map over RESP3.
        if (Array.isArray(reply)) return String(reply[1] ?? "");
        if (reply && typeof reply === "object") return String((reply as Record<string, unknown>)[parameter] ?? "");
        return "";
    }

    async flushConfig(): Promise<void> {
        await this.sentinel("FLUSHCONFIG");
    }
}

/** The typed Sentinel commands over a client (ioredis), which they connect and disconnect too. */
export const sentinelCommands = (client: CommandSender & Connection): SentinelCommands & Connection => new IoredisSentinel(client);
