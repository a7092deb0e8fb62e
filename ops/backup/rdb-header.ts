/**
 * Reads the head of an RDB file: its format version, the aux fields Redis writes first
 * (`redis-ver`, `ctime`, ...) and the key counts of the first database (the RESIZEDB opcode
 * holds the exact number of keys and of keys with an expiry at the moment of the snapshot).
 * Only the head is parsed: values are never read. Opcodes as in Redis's src/rdb.h.
 */
const OPCODE = { function2: 0xf5, functionPreGa: 0xf6, moduleAux: 0xf7, aux: 0xfa, resizeDb: 0xfb, selectDb: 0xfe, eof: 0xff };

export interface RdbHeader {
    readonly rdbVersion: number;
    /** Aux fields; LZF-compressed values (never the short ones read here) are left out. */
    readonly aux: Readonly<Record<string, string>>;
    /** The first database in the file and its sizes; undefined when the file holds no key. */
    readonly firstDatabase?: { readonly db: number; readonly keys: number; readonly expires: number };
}

export class RdbFormatError extends Error {
    readonly kind = "corrupt" as const;
    constructor(message: string) {
        super(`not a readable RDB file: ${message}`);
        this.name = "RdbFormatError";
    }
}

class Reader {
    offset = 0;
    constructor(private readonly buf: Buffer) {}

    byte(): number {
        if (this.offset >= this.buf.length) throw new RdbFormatError(`the head ends early, at byte ${this.offset}`);
        return this.buf[this.offset++];
    }

    bytes(n: number): Buffer {
        if (this.offset + n > this.buf.length) throw new RdbFormatError(`the head ends early, at byte ${this.offset}`);
        const out = this.buf.subarray(this.offset, this.offset + n);
        this.offset += n;
        return out;
    }

    /** A length, or a special encoding's number (0-3) when `special` is set. */
    length(): { value: number; special: boolean } {
        const first = this.byte();
        const type = first >> 6;
        if (type === 0) return { value: first & 0x3f, special: false };
        if (type === 1) return { value: ((first & 0x3f) << 8) | this.byte(), special: false };
        if (type === 3) return { value: first & 0x3f, special: true };
        if (first === 0x80) return { value: this.bytes(4).readUInt32BE(0), special: false };
        if (first === 0x81) return { value: Number(this.bytes(8).readBigUInt64BE(0)), special: false };
        throw new RdbFormatError(`unknown length encoding 0x${first.toString(16)} at byte ${this.offset - 1}`);
    }

    /** A string; undefined for an LZF-compressed one, which is skipped. */
    string(): string | undefined {
        const { value, special } = this.length();
        if (!special) return this.bytes(value).toString("utf8");
        if (value === 0) return String(this.bytes(1).readInt8(0));
        if (value === 1) return String(this.bytes(2).readInt16LE(0));
        if (value === 2) return String(this.bytes(4).readInt32LE(0));
        if (value === 3) {
            const compressed = this.length().value;
            this.length();
            this.bytes(compressed);
            return undefined;
        }
        throw new RdbFormatError(`unknown string encoding ${value} at byte ${this.offset}`);
    }
}

/** Pure: parses the head of an RDB file from its first bytes (64 KiB is plenty). */
export function parseRdbHeader(head: Buffer): RdbHeader {
    const magic = head.subarray(0, 9).toString("latin1");
    const match = /^REDIS(\d{4})$/.exec(magic);
    if (!match) throw new RdbFormatError(`it does not start with REDISnnnn (got ${JSON.stringify(magic.slice(0, 9))})`);
    const reader = new Reader(head);
    reader.offset = 9;
    const aux: Record<string, string> = {};
    for (;;) {
        const opcode = reader.byte();
        if (opcode === OPCODE.aux) {
            const key = reader.string();
            const value = reader.string();
            if (key !== undefined && value !== undefined) aux[key] = value;
        } else if (opcode === OPCODE.function2 || opcode === OPCODE.functionPreGa) {
            reader.string();
        } else if (opcode === OPCODE.selectDb) {
            const db = reader.length().value;
            if (reader.byte() !== OPCODE.resizeDb) throw new RdbFormatError(`database ${db} has no size hint (RESIZEDB)`);
            const keys = reader.length().value;
            const expires = reader.length().value;
            return { rdbVersion: Number(match[1]), aux, firstDatabase: { db, keys, expires } };
        } else if (opcode === OPCODE.eof) {
            return { rdbVersion: Number(match[1]), aux };
        } else if (opcode === OPCODE.moduleAux) {
            throw new RdbFormatError("it holds module data, which this stack does not use");
        } else {
            throw new RdbFormatError(`unexpected opcode 0x${opcode.toString(16)} at byte ${reader.offset - 1}`);
        }
    }
}
