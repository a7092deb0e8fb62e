import { z } from "zod";
import { TLS_ENV, TLS_SERVER_ENV } from "./env";

/**
 * What a process of a TLS stack (`cluster.tls.enabled`) needs to talk to the servers, as it crosses
 * into a settings step, the post-deploy command or an operator's CLI: a secret environment variable
 * (TLS_ENV) holding JSON, checked against this schema on both sides. Absent on a stack without TLS,
 * whose processes connect in plain text as before.
 *
 * Its own variable rather than a field of USERS_ENV: TLS and users are chosen independently.
 */
// A certificate or a bundle of them (CA rotation goes through one): only PEM blocks, so a value
// cut short or a key pasted in the wrong place is refused here rather than in a handshake.
const PEM_CERTS = /^(\s*-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----)+\s*$/;
const PEM_KEY = /^\s*-----BEGIN (EC |RSA )?PRIVATE KEY-----[A-Za-z0-9+/=\s]+-----END (EC |RSA )?PRIVATE KEY-----\s*$/;
// zod's messages for a failed regex name the pattern, never the value; the parser below reports
// paths only anyway.
const certificates = z.string().regex(PEM_CERTS, { error: "must be PEM certificates" });
const clientCertificate = z.strictObject({
    cert: certificates,
    key: z.string().regex(PEM_KEY, { error: "must be a PEM private key" }),
});
export type ClientCertificate = z.infer<typeof clientCertificate>;

export const tlsClientSchema = z.strictObject({
    /** The CAs the process trusts: the stack's CA, or both CAs during a CA rotation (docs/tls.md "Rotating the CA"). */
    ca: certificates,
    /** The tools' certificate (`CN=tools`); absent with `tls.authClients: optional`, where none is made. */
    tools: clientCertificate.optional(),
    /** The warmer's own (`CN=warmer`): only the post-deploy command and `warm` need it. */
    warmer: clientCertificate.optional(),
    /** `tls.renewalWindowHours`: the verifier fails a server whose certificate has this long or less left. */
    renewalWindowHours: z.number().positive(),
});
export type TlsClientEnv = z.infer<typeof tlsClientSchema>;

export class TlsEnvError extends Error {
    readonly kind = "bad-environment" as const;
}

/** The environment variable, as the program sets it (inside a secret). */
export const tlsEnvironment = (material: TlsClientEnv): Record<string, string> => ({
    [TLS_ENV]: JSON.stringify(tlsClientSchema.parse(material)),
});

/**
 * Reads one of this file's secret JSON variables back against `schema`; undefined when unset.
 * Never echoes a value: not the JSON parser's message (it quotes the text around the error, which
 * may be a key), only the paths of the fields that failed.
 */
function parseSecretJson<S extends z.ZodType>(env: NodeJS.ProcessEnv, name: string, schema: S): z.output<S> | undefined {
    const raw = env[name];
    if (raw === undefined || raw === "") return undefined;
    let json: unknown;
    try {
        json = JSON.parse(raw);
    } catch {
        throw new TlsEnvError(`${name} is not JSON`);
    }
    const parsed = schema.safeParse(json);
    if (!parsed.success)
        throw new TlsEnvError(`${name} is malformed at ${parsed.error.issues.map((i) => i.path.join(".") || "(top)").join(", ")}`);
    return parsed.data;
}

/** Reads the material back, checked; undefined when the variable is unset (a stack without TLS). */
export const parseTlsEnvironment = (env: NodeJS.ProcessEnv): TlsClientEnv | undefined => parseSecretJson(env, TLS_ENV, tlsClientSchema);

/** One process's connection material: the CA and, when the stack made one, `who`'s certificate. */
export function connectionMaterial(
    env: TlsClientEnv,
    who: "tools" | "warmer",
): { readonly ca: string; readonly cert?: string; readonly key?: string } {
    const own = env[who];
    return own ? { ca: env.ca, cert: own.cert, key: own.key } : { ca: env.ca };
}

/**
 * What a server's settings step is given on a TLS stack (TLS_SERVER_ENV): the leaf and key that
 * server must serve. The same shape as a client's pair: a server's leaf is a certificate and its key.
 */
export const tlsServerSchema = clientCertificate;
export type ServerLeaf = ClientCertificate;

/** The step's variable, as the program sets it (inside a secret). */
export const tlsServerEnvironment = (leaf: ServerLeaf): Record<string, string> => ({
    [TLS_SERVER_ENV]: JSON.stringify(tlsServerSchema.parse(leaf)),
});

/** Reads a step's leaf back, checked; undefined when unset (a stack without TLS). */
export const parseTlsServerEnvironment = (env: NodeJS.ProcessEnv): ServerLeaf | undefined =>
    parseSecretJson(env, TLS_SERVER_ENV, tlsServerSchema);
