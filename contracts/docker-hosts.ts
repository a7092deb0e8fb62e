import { z } from "zod";
import { hostTlsSchema } from "../settings/schema";
import { parseCheckedJson } from "./checked-json";
import { DOCKER_TLS_ENV } from "./env";

/**
 * A host as the tools need it, in the post-deploy plan and a settings step's target: its name and
 * Docker endpoint, never its PEMs (those cross in DOCKER_TLS_ENV, a secret).
 */
export const dockerHostRefSchema = z
    .strictObject({
        name: z.string().min(1),
        docker: z.string().min(1),
        sshOpts: z.array(z.string()).readonly().optional(),
    })
    .readonly();
export type DockerHostRefData = z.infer<typeof dockerHostRefSchema>;

/** A `cluster.hosts` entry as the tools get it: only what reaches its engine. */
export const dockerHostRef = (h: { name: string; docker: string; sshOpts?: readonly string[] }): DockerHostRefData => ({
    name: h.name,
    docker: h.docker,
    ...(h.sshOpts ? { sshOpts: h.sshOpts } : {}),
});

/** Each tcp:// host's PEMs, by host name: the `hostTls` secret's own schema, checked where it is read back. */
export type DockerTls = z.infer<typeof hostTlsSchema>;

/** The environment that hands the tools the hosts' TLS material; Pulumi keeps it secret. */
export function dockerTlsEnvironment(tls: DockerTls): Record<string, string> {
    return { [DOCKER_TLS_ENV]: JSON.stringify(tls) };
}

/** Why DOCKER_TLS_ENV was refused; the message names the field, never a value. */
export class DockerTlsError extends Error {
    constructor(
        readonly kind: "not-json" | "malformed",
        message: string,
    ) {
        super(message);
        this.name = "DockerTlsError";
    }
}

/** DOCKER_TLS_ENV as the tools read it back; unset is `{}` (no tcp:// host can then be reached). */
export function parseDockerTls(text: string | undefined): DockerTls {
    if (text === undefined || text === "") return {};
    const checked = parseCheckedJson(hostTlsSchema, text, "(the whole value)");
    if (checked.ok) return checked.data;
    const fix = "it is set by the stack's post-deploy command from the hostTls secret; unset it, or set it to that secret's JSON";
    // Never the parser's detail for non-JSON: it may quote the text, which holds keys.
    throw checked.refusal.kind === "not-json"
        ? new DockerTlsError("not-json", `${DOCKER_TLS_ENV} is not JSON; ${fix}`)
        : new DockerTlsError("malformed", `${DOCKER_TLS_ENV} is malformed at ${checked.refusal.field}: ${checked.refusal.detail}; ${fix}`);
}
