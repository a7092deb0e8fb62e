import { createHash, createHmac, timingSafeEqual } from "node:crypto";

/**
 * OpenSSH's known_hosts check, for the tools' own SSH client (ssh2 through dockerode), which reads
 * no known_hosts of its own and would otherwise accept any host key. Pure: the files' text comes in,
 * a verdict goes out.
 */

/** One known_hosts file as read: its path (for messages) and its text ("" when it does not exist). */
export interface KnownHostsFile {
    readonly file: string;
    readonly text: string;
}

export type HostKeyVerdict =
    | { readonly ok: true; readonly file: string }
    /** No usable line names the host (`markerOnly`: only @cert-authority lines do, which the tools cannot check). */
    | { readonly ok: false; readonly kind: "host-key-unknown"; readonly markerOnly: boolean }
    /** Lines name the host, none with the key it offered. */
    | { readonly ok: false; readonly kind: "host-key-mismatch"; readonly files: readonly string[]; readonly knownTypes: readonly string[] }
    /** The offered key is marked @revoked. */
    | { readonly ok: false; readonly kind: "host-key-revoked"; readonly file: string };

/** How known_hosts names a host: bare on port 22, `[host]:port` on any other. */
export const knownHostsName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** The key's type, read from the first string of its SSH wire format; undefined if it is not one. */
export function hostKeyType(key: Buffer): string | undefined {
    if (key.length < 4) return undefined;
    const len = key.readUInt32BE(0);
    if (len === 0 || len > 64 || 4 + len > key.length) return undefined;
    return key.subarray(4, 4 + len).toString("latin1");
}

/** OpenSSH's SHA256 fingerprint of a key (what `ssh-keygen -lf` and `ssh-keyscan | ssh-keygen -lf -` print). */
export const fingerprint = (key: Buffer): string => `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;

/** `*` and `?` globs, as OpenSSH's match_pattern, anchored and case-insensitive (host names are). */
function globMatches(pattern: string, name: string): boolean {
    const re = pattern
        .split("")
        .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\]/g, "\\$&")))
        .join("");
    return new RegExp(`^${re}$`, "i").test(name);
}

/** `|1|salt|hmac`: the name hashed with HMAC-SHA1 keyed by the salt (ssh-keygen -H, HashKnownHosts). */
function hashedMatches(entry: string, name: string): boolean {
    const parts = entry.split("|");
    if (parts.length !== 4 || parts[1] !== "1") return false;
    const salt = Buffer.from(parts[2], "base64");
    const want = Buffer.from(parts[3], "base64");
    const got = createHmac("sha1", salt).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Whether a line's host field covers `name`: a hashed entry, or a comma list of patterns where a
 * `!`-negated pattern that matches excludes the host whatever else matches.
 */
export function hostFieldMatches(field: string, name: string): boolean {
    if (field.startsWith("|")) return hashedMatches(field, name);
    let matched = false;
    for (const raw of field.split(",")) {
        const negated = raw.startsWith("!");
        const pattern = negated ? raw.slice(1) : raw;
        if (!pattern || !globMatches(pattern, name)) continue;
        if (negated) return false;
        matched = true;
    }
    return matched;
}

/**
 * Checks the key `name` (see knownHostsName) offered against the files, in order, as OpenSSH's
 * StrictHostKeyChecking=yes would: a matching @revoked key refuses wherever it is; otherwise the
 * first plain line naming the host with the same type and blob lets it in; lines naming the host
 * with other keys make it a mismatch, none an unknown host.
 */
export function checkHostKey(files: readonly KnownHostsFile[], name: string, key: Buffer): HostKeyVerdict {
    const blob = key.toString("base64");
    const type = hostKeyType(key);
    let accepted: string | undefined;
    let markerOnly = false;
    const mismatchFiles = new Set<string>();
    const knownTypes = new Set<string>();
    for (const { file, text } of files) {
        for (const rawLine of text.split("\n")) {
            const line = rawLine.trim();
            if (!line || line.startsWith("#")) continue;
            const fields = line.split(/\s+/);
            const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
            const [hosts, lineType, lineBlob] = fields;
            if (!hosts || !lineType || !lineBlob || !hostFieldMatches(hosts, name)) continue;
            const same = lineType === type && lineBlob === blob;
            if (marker === "@revoked") {
                if (same) return { ok: false, kind: "host-key-revoked", file };
                continue;
            }
            if (marker !== undefined) {
                // @cert-authority (or a marker OpenSSH may add later): a CA's key, not the host's; ssh2 hands no certificate to check against it.
                markerOnly = true;
                continue;
            }
            if (same) accepted ??= file;
            else {
                mismatchFiles.add(file);
                knownTypes.add(lineType);
            }
        }
    }
    if (accepted !== undefined) return { ok: true, file: accepted };
    if (mismatchFiles.size > 0) return { ok: false, kind: "host-key-mismatch", files: [...mismatchFiles], knownTypes: [...knownTypes] };
    return { ok: false, kind: "host-key-unknown", markerOnly };
}
