import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ExporterEndpoint } from "../settings/address-plan";
import { dockerName } from "../settings/docker-names";
import { StackSettings } from "../settings/validate";
import {
    EXPORTER_ENTRYPOINT,
    EXPORTER_FILE_MODE,
    EXPORTER_PASSWORD_FILE,
    EXPORTER_TLS_FILES,
    EXPORTER_USER,
    exporterArgs,
    ExporterLogin,
    renderExporterPasswordFile,
} from "../render/exporter";
import { stackLabels } from "./server-container";
import { TlsMaterial } from "./tls";

export interface ExporterArgs {
    readonly settings: StackSettings;
    readonly exporter: ExporterEndpoint;
    readonly image: pulumi.Input<string>;
    readonly networkName: pulumi.Input<string>;
    /** The password of the server it watches (the Redis one for a node, the Sentinels' own for a Sentinel). */
    readonly password: pulumi.Input<string>;
    /** On a users stack: the user that password belongs to (render/acl-users.ts CLIENT_USERS.exporter). */
    readonly user?: string;
    /** With `cluster.tls.enabled`: the stack's CA, and the exporter's client certificate with `authClients: yes`. */
    readonly tls?: { readonly caCertPem: pulumi.Output<string>; readonly client?: TlsMaterial };
}

/**
 * One redis_exporter in a container of its own, watching one node or Sentinel over the stack's
 * network and published on the host. It is stateless and no server depends on it: it comes and
 * goes with its server when the stack scales, and any change of its inputs replaces it (delete
 * first: fixed name and host port). The password reaches it only as an uploaded file (secret in
 * state, mode 0440), which it reads once at start: a password rotation changes that file and so
 * replaces the exporter, which then reads the new one (docs/metrics.md#day-2-changes). With TLS
 * its CA and client certificate are uploaded the same way, and a renewed certificate replaces it.
 */
export class Exporter extends pulumi.ComponentResource {
    public readonly container: docker.Container;

    constructor(name: string, args: ExporterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:Exporter", name, {}, opts);
        const { settings, exporter } = args;
        const { tls } = args;
        const passwordFile = pulumi.secret(
            pulumi.output(args.password).apply((p) => renderExporterPasswordFile(exporter, p, tls !== undefined)),
        );
        const login: ExporterLogin = {
            ...(args.user ? { user: args.user } : {}),
            ...(tls
                ? {
                      tls: {
                          caCert: EXPORTER_TLS_FILES.caCert,
                          ...(tls.client ? { clientCert: EXPORTER_TLS_FILES.clientCert, clientKey: EXPORTER_TLS_FILES.clientKey } : {}),
                      },
                  }
                : {}),
        };
        // The key only inside a secret, uploaded like the password file (root-owned, read through
        // the exporter's group); the certificates go with it. Its paths alone reach the command line.
        const tlsUploads = tls
            ? [
                  { file: EXPORTER_TLS_FILES.caCert, content: pulumi.secret(tls.caCertPem), permissions: EXPORTER_FILE_MODE },
                  ...(tls.client
                      ? [
                            {
                                file: EXPORTER_TLS_FILES.clientCert,
                                content: pulumi.secret(tls.client.certPem),
                                permissions: EXPORTER_FILE_MODE,
                            },
                            {
                                file: EXPORTER_TLS_FILES.clientKey,
                                content: pulumi.secret(tls.client.keyPem),
                                permissions: EXPORTER_FILE_MODE,
                            },
                        ]
                      : []),
              ]
            : [];
        this.container = new docker.Container(
            exporter.name,
            {
                name: dockerName(settings, exporter.name),
                hostname: exporter.name,
                image: args.image,
                user: EXPORTER_USER,
                entrypoints: [EXPORTER_ENTRYPOINT],
                command: exporterArgs(exporter, undefined, undefined, login),
                uploads: [{ file: EXPORTER_PASSWORD_FILE, content: passwordFile, permissions: EXPORTER_FILE_MODE }, ...tlsUploads],
                // An address from the network's dynamic half: nothing reaches an exporter by address.
                networksAdvanced: [{ name: args.networkName, aliases: [exporter.name] }],
                // Beside its server: on the interface its server publishes on (its host's address with hosts).
                ports: [{ internal: exporter.port, external: exporter.hostPort, ip: exporter.server.publishAddress, protocol: "tcp" }],
                restart: "unless-stopped",
                // Nothing to hand over or flush: a short grace is enough.
                destroyGraceSeconds: 5,
                stopTimeout: 5,
                labels: stackLabels(settings, "exporter", exporter.server.name, exporter.server.host),
            },
            { parent: this, deleteBeforeReplace: true },
        );
        this.registerOutputs({ containerName: this.container.name, hostPort: exporter.hostPort });
    }
}
