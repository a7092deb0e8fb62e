import { commandFailure } from "./errors";

/**
 * What the typed command layer needs of a client: ioredis's `call`, which sends a command as
 * given. Only sentinel-commands.ts, node-commands.ts and access-commands.ts send through it, each
 * reply then read by replies.ts; everything else uses their typed interfaces.
 */
export interface CommandSender {
    call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

/** A connection opened on demand (`lazyConnect`) and closed by its owner. */
export interface Connection {
    connect(): Promise<void>;
    disconnect(): void;
}

/** `command` and its subcommand, the name failures carry: never the arguments, which may hold a password. */
function commandName(command: string, args: readonly (string | number)[]): string {
    const sub = ["SENTINEL", "CONFIG", "CLIENT", "ACL"].includes(command) && args.length > 0 ? ` ${String(args[0])}` : "";
    return `${command}${sub}`;
}

/**
 * Sends one command; a failure comes back as a RedisCommandError with its kind. The command is
 * handed to the client before this returns (as `call` itself does), so commands started together
 * go out in the order they were started.
 */
export async function send(client: CommandSender, command: string, ...args: (string | number)[]): Promise<unknown> {
    try {
        return await client.call(command, ...args);
    } catch (err) {
        throw commandFailure(commandName(command, args), err);
    }
}
