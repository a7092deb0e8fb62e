import { z } from "zod";
import { SERVER_KINDS } from "../settings/address-plan";
import { VOLUME_CHECK_ENV } from "./env";
import { dockerHostRefSchema } from "./docker-hosts";

/**
 * The request of the stack's volume check (components/volume-check.ts declares it, cli/check-volumes.ts
 * runs it): the data volumes this deploy declares and, for each kind of password, only whether the
 * stack generates it and whether its `...Previous` key is set. Never a password.
 */
const kindFlags = z.strictObject({ redis: z.boolean(), sentinel: z.boolean() });

export const volumeCheckRequestSchema = z.strictObject({
    stack: z.string().min(1),
    /** The data volumes of the servers this deploy declares. */
    volumes: z.array(
        z.strictObject({
            server: z.string().min(1),
            kind: z.enum(SERVER_KINDS),
            name: z.string().min(1),
            /** With `hosts`: the host the volume is made on (its server's). */
            dockerHost: z.string().min(1).optional(),
        }),
    ),
    /** With `hosts`: each host's endpoint, so the check reads each volume on its own host's engine. */
    dockerHosts: z.array(dockerHostRefSchema).optional(),
    /** Passwords the stack generates (no config key): new with each state, so no kept volume holds them. */
    generated: kindFlags,
    /** Whether `redisPasswordPrevious` / `sentinelPasswordPrevious` are set. */
    previous: kindFlags,
    deadlineSeconds: z.number().positive(),
    /**
     * The users check (components/volume-check.ts), declared only with `cluster.users.enabled`: any
     * of the declared volumes existing means the stack was deployed, or left volumes, without the
     * users, and the deploy stops before anything changes.
     */
    users: z.literal(true).optional(),
});
export type VolumeCheckRequest = z.infer<typeof volumeCheckRequestSchema>;

/** The check's environment is missing or malformed: it runs only from the stack's volume check. */
export class VolumeCheckEnvError extends Error {
    readonly kind = "bad-environment";
}

/** The check's environment, as the program sets it. */
export const volumeCheckEnvironment = (request: VolumeCheckRequest): Record<string, string> => ({
    [VOLUME_CHECK_ENV]: JSON.stringify(request),
});

/** Reads the check's request back, checked: it crosses a process boundary. */
export function parseVolumeCheckRequest(env: NodeJS.ProcessEnv): VolumeCheckRequest {
    const raw = env[VOLUME_CHECK_ENV];
    if (!raw) throw new VolumeCheckEnvError(`${VOLUME_CHECK_ENV} is not set: this CLI runs from the stack's volume check`);
    let json: unknown;
    try {
        json = JSON.parse(raw);
    } catch {
        throw new VolumeCheckEnvError(`${VOLUME_CHECK_ENV} is not JSON`);
    }
    const parsed = volumeCheckRequestSchema.safeParse(json);
    if (!parsed.success) throw new VolumeCheckEnvError(`${VOLUME_CHECK_ENV} is malformed: ${parsed.error.message}`);
    return parsed.data;
}
