// Redis and Sentinel replies as records: every reply the operations tools read is parsed here,
// once, into the typed records below. A reply of another shape is a RedisCommandError of kind
// `unexpected-reply`, never a record with holes.
import { unexpectedReply } from "./errors";

/** Fields of a reply (INFO lines, CONFIG GET pairs, a Sentinel's entry), every one as the server sent it. */
export type Fields = Readonly<Record<string, string>>;

/** `INFO` text -> fields. */
export function parseInfo(text: string): Record<string, string> {
    return Object.fromEntries(
        text
            .split(/\r?\n/)
            .filter((l) => l.includes(":") && !l.startsWith("#"))
            .map((l) => [l.slice(0, l.indexOf(":")), l.slice(l.indexOf(":") + 1)]),
    );
}

/** `[k, v, k, v]` -> fields; anything but a list reads as no fields. */
export function parsePairs(flat: unknown): Record<string, string> {
    const list = Array.isArray(flat) ? flat.map(String) : [];
    return Object.fromEntries(list.flatMap((v, i) => (i % 2 === 0 && i + 1 < list.length ? [[v, list[i + 1]]] : [])));
}

/** A `[k, v, k, v]` reply of `command` -> fields. */
export function parseFieldList(command: string, reply: unknown): Record<string, string> {
    if (!Array.isArray(reply)) throw unexpectedReply(command, "a list of fields", reply);
    return parsePairs(reply);
}

/** A list of `[k, v, k, v]` entries (SENTINEL REPLICAS, SENTINEL SENTINELS) -> one fields record each. */
export function parseEntryList(command: string, reply: unknown): Record<string, string>[] {
    if (!Array.isArray(reply)) throw unexpectedReply(command, "a list of entries", reply);
    return reply.map((entry) => parseFieldList(command, entry));
}

const optionalNumber = (text: string | undefined): number | undefined => (text === undefined ? undefined : Number(text));

/** A comma-separated flags field (`master,failover_in_progress`) -> flags; none when absent. */
export const parseFlags = (text: string | undefined): string[] => (text ? text.split(",") : []);

/** One server a Sentinel lists (SENTINEL MASTER, REPLICAS, SENTINELS): where it is, its flags, and every field. */
export interface SentinelEntry {
    readonly ip: string;
    readonly port: number;
    /** `ip:port`, as GET-MASTER-ADDR-BY-NAME and the plan's `announced` addresses read. */
    readonly address: string;
    /** `master`, `slave`, `s_down`, `o_down`, `disconnected`, `failover_in_progress`, ... */
    readonly flags: readonly string[];
    /** Every field of the entry as sent (the settings a Sentinel holds for its master among them). */
    readonly fields: Fields;
}

/** SENTINEL MASTER: the master a Sentinel watches, and what it knows around it. */
export interface SentinelMaster extends SentinelEntry {
    /** The master's run id as the Sentinel last read it; undefined until it has polled the master. */
    readonly runId?: string;
    /** `num-slaves`: the replicas it knows. */
    readonly replicas?: number;
    /** `num-other-sentinels`: the other Sentinels it knows. */
    readonly otherSentinels?: number;
}

/** An entry of SENTINEL REPLICAS. */
export interface SentinelReplica extends SentinelEntry {
    /** `slave-priority`: 0 means never to be promoted. */
    readonly priority?: number;
    /** `master-link-status`: `ok` or `err`. */
    readonly linkStatus?: string;
    /** `master-host`: the master the replica says it follows. */
    readonly masterHost?: string;
}

/** An entry of SENTINEL SENTINELS: another Sentinel watching the same master. */
export type SentinelPeer = SentinelEntry;

function sentinelEntry(command: string, fields: Record<string, string>): SentinelEntry {
    const port = Number(fields.port);
    if (!fields.ip || !Number.isInteger(port)) throw unexpectedReply(command, "an entry with ip and port", fields);
    return { ip: fields.ip, port, address: `${fields.ip}:${fields.port}`, flags: parseFlags(fields.flags), fields };
}

/** SENTINEL MASTER's reply -> the master record. */
export function parseSentinelMaster(reply: unknown): SentinelMaster {
    const command = "SENTINEL MASTER";
    const fields = parseFieldList(command, reply);
    return {
        ...sentinelEntry(command, fields),
        runId: fields.runid || undefined,
        replicas: optionalNumber(fields["num-slaves"]),
        otherSentinels: optionalNumber(fields["num-other-sentinels"]),
    };
}

/** SENTINEL REPLICAS's reply -> one record per replica. */
export function parseSentinelReplicas(reply: unknown): SentinelReplica[] {
    const command = "SENTINEL REPLICAS";
    return parseEntryList(command, reply).map((fields) => ({
        ...sentinelEntry(command, fields),
        priority: optionalNumber(fields["slave-priority"]),
        linkStatus: fields["master-link-status"],
        masterHost: fields["master-host"],
    }));
}

/** SENTINEL SENTINELS's reply -> one record per other Sentinel. */
export function parseSentinelPeers(reply: unknown): SentinelPeer[] {
    const command = "SENTINEL SENTINELS";
    return parseEntryList(command, reply).map((fields) => sentinelEntry(command, fields));
}

/** GET-MASTER-ADDR-BY-NAME's reply -> `address:port`; undefined (a nil reply) when the Sentinel does not watch that name. */
export function parseMasterAddress(reply: unknown): string | undefined {
    if (reply === null) return undefined;
    if (!Array.isArray(reply) || reply.length !== 2)
        throw unexpectedReply("SENTINEL GET-MASTER-ADDR-BY-NAME", "[address, port] or nil", reply);
    return reply.map(String).join(":");
}

/** ACL GETUSER's reply -> the SHA-256 of every password the user accepts (ACL never shows a password). */
export function parseAclPasswordHashes(reply: unknown): string[] {
    if (!Array.isArray(reply)) throw unexpectedReply("ACL GETUSER", "a list of fields", reply);
    const index = reply.findIndex((v) => String(v) === "passwords");
    const hashes: unknown = index >= 0 ? reply[index + 1] : undefined;
    return Array.isArray(hashes) ? hashes.map(String) : [];
}

/** ACL GETUSER's reply -> the user's flags and password hashes; a nil reply (no such user) -> undefined. */
export function parseAclUser(reply: unknown): { flags: string[]; passwordHashes: string[] } | undefined {
    if (reply === null) return undefined;
    if (!Array.isArray(reply)) throw unexpectedReply("ACL GETUSER", "a list of fields or nil", reply);
    const field = (name: string): unknown => {
        const index = reply.findIndex((v) => String(v) === name);
        return index >= 0 ? reply[index + 1] : undefined;
    };
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
    return { flags: list(field("flags")), passwordHashes: list(field("passwords")) };
}

/** A simple-string or verbatim reply (INFO, CLIENT INFO, CKQUORUM's `OK ...`) -> its text. */
export const parseText = (reply: unknown): string => String(reply);

/** An integer reply -> the number; `fallback` when there is none (a key without TTL info, an error entry of a pipeline). */
export const parseInteger = (reply: unknown, fallback: number): number => (typeof reply === "number" ? reply : fallback);

/** The node a connection is on, as it describes itself. */
export interface NodeIdentity {
    readonly role: string;
    /** Changes when a replica is promoted or a replica resyncs: a master that keeps it stayed master. */
    readonly replid: string;
    readonly runId: string;
    /** `laddr` of `CLIENT INFO`: the address the node was reached at, its announced address on the stack's network. */
    readonly address?: string;
}

/** `laddr` from a `CLIENT INFO` line (`id=7 addr=... laddr=172.28.0.10:6379 fd=8 ...`). */
export function localAddressOf(clientInfo: string): string | undefined {
    return /(?:^| )laddr=(\S+)/.exec(clientInfo)?.[1];
}

/** `INFO server replication` and `CLIENT INFO` -> who the node is. */
export function identityOf(info: string, clientInfo: string): NodeIdentity {
    const fields = parseInfo(info);
    return {
        role: fields.role ?? "unknown",
        replid: fields.master_replid ?? "",
        runId: fields.run_id ?? "",
        address: localAddressOf(clientInfo),
    };
}
