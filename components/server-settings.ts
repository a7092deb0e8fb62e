import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Endpoint, ServerKind } from "../settings/address-plan";
import { StackSettings } from "../settings/validate";
import { DIRECTIVES, runtimeValues } from "../render/directives";
import { FIRST_RUN_FLAG, settingsEnvironment } from "../contracts/settings-env";
import { DOCKER_TLS_ENV, SETTINGS_ENV } from "../contracts/env";
import { DockerTls, dockerHostRef, dockerTlsEnvironment } from "../contracts/docker-hosts";
import { dockerEndpointKind } from "../settings/schema";
import { StackUsers } from "../render/acl-users";
import { usersCredentials, usersEnvironment } from "../contracts/users-env";
import { TLS_ENV, TLS_SERVER_ENV, USERS_ENV } from "../contracts/env";
import { tlsServerEnvironment } from "../contracts/tls-env";
import type { TlsMaterial } from "./tls";

/** The passwords a server's settings step applies; the `previous` ones only while rotating. */
export interface ServerPasswords {
    readonly redis: pulumi.Input<string>;
    readonly sentinel: pulumi.Input<string>;
    readonly redisPrevious?: pulumi.Input<string>;
    readonly sentinelPrevious?: pulumi.Input<string>;
    /**
     * On a stack with `cluster.users.enabled`: every user's password (a secret). The servers then
     * run on the users, and the step logs in as the tools' user instead of applying passwords.
     */
    readonly users?: pulumi.Output<StackUsers>;
    /**
     * On a stack with `cluster.tls.enabled`: the step's TLS_ENV value (a secret, from
     * StackTls.clientEnvironment): the CA and the tools' certificate it connects with.
     */
    readonly tls?: pulumi.Output<string>;
}

export interface ServerSettingsArgs {
    readonly kind: ServerKind;
    readonly settings: StackSettings;
    readonly endpoint: Endpoint;
    readonly container: docker.Container;
    readonly passwords: ServerPasswords;
    /** Where the project (and its node_modules) lives: the command runs the CLI from there. */
    readonly projectDir: string;
    readonly dependsOn: pulumi.Input<pulumi.Resource>[];
    /** The `hostTls` secret, with `hosts`. */
    readonly hostTls?: pulumi.Output<DockerTls>;
    /** With `cluster.tls.enabled`: the leaf and key the server must serve; a renewed one is installed by the step. */
    readonly leaf?: TlsMaterial;
}

/**
 * The step that applies a server's runtime settings and passwords to the running server, on
 * every deploy that changes them and after every replacement of its container. An in-place
 * update of this resource is the day-2 path: the container itself never sees these values, so
 * changing them replaces nothing. One variable per directive, so `pulumi preview` shows which
 * setting changes on which server; passwords are nested secrets and show as [secret].
 */
export function declareServerSettings(name: string, args: ServerSettingsArgs, parent: pulumi.Resource): command.local.Command {
    const { settings, endpoint, kind, passwords } = args;
    const host = settings.cluster.hosts?.find((h) => h.name === endpoint.host);
    const target = {
        kind,
        name: endpoint.name,
        stack: settings.stack,
        host: endpoint.publishAddress,
        port: endpoint.hostPort,
        masterName: settings.cluster.sentinel.masterName,
        ...(host ? { dockerHost: dockerHostRef(host) } : {}),
    };
    const environment: Record<string, pulumi.Input<string>> = {
        ...settingsEnvironment(
            target,
            runtimeValues(DIRECTIVES[kind], settings, endpoint),
            settings.cluster.deadlines.applySettingsSeconds,
        ),
        [SETTINGS_ENV.container]: args.container.id,
    };
    if (passwords.users) {
        // Only the tools' login crosses, as a secret; the users' passwords are in the initial config.
        environment[USERS_ENV] = pulumi.secret(
            passwords.users.apply((u) => usersEnvironment(usersCredentials(u.passwords, false))[USERS_ENV]),
        );
    } else environment[SETTINGS_ENV.redisPassword] = pulumi.secret(passwords.redis);
    if (kind === "sentinel" && !passwords.users) environment[SETTINGS_ENV.sentinelPassword] = pulumi.secret(passwords.sentinel);
    if (kind === "redis" && passwords.redisPrevious)
        environment[SETTINGS_ENV.redisPasswordPrevious] = pulumi.secret(passwords.redisPrevious);
    if (kind === "sentinel" && passwords.sentinelPrevious) {
        environment[SETTINGS_ENV.sentinelPasswordPrevious] = pulumi.secret(passwords.sentinelPrevious);
    }
    // Set only with TLS on, so a stack without it declares the same step as before.
    if (passwords.tls) environment[TLS_ENV] = pulumi.secret(passwords.tls);
    // The server's own leaf: a renewed one changes this variable only, which re-runs the step (an
    // update), and the step installs it into the running server (ops/cluster/tls-renewal.ts).
    if (args.leaf) {
        const { certPem, keyPem } = args.leaf;
        environment[TLS_SERVER_ENV] = pulumi.secret(
            pulumi.all([certPem, keyPem]).apply(([cert, key]) => tlsServerEnvironment({ cert, key })[TLS_SERVER_ENV]),
        );
    }
    // A tcp:// host's PEMs, for reading the container's log on its engine when the server fails.
    const pems = host && dockerEndpointKind(host.docker) === "tcp" ? args.hostTls?.apply((t) => t[host.name]) : undefined;
    if (host && pems)
        environment[DOCKER_TLS_ENV] = pulumi.secret(pems.apply((p) => dockerTlsEnvironment({ [host.name]: p })[DOCKER_TLS_ENV]));
    // Node with tsx's loader, not npx: npx loads npm first (about 0.4 s of CPU per server and deploy).
    const cli = "node --import tsx cli/apply-settings.ts";
    // `create` runs once per server and state: a server that then refuses every password has never
    // accepted this state's, which on a volume that was not new to its container means a kept
    // volume, not a rotation.
    return new command.local.Command(
        name,
        { create: `${cli} ${FIRST_RUN_FLAG}`, update: cli, dir: args.projectDir, environment, addPreviousOutputInEnv: false },
        { parent, dependsOn: [args.container, ...args.dependsOn] },
    );
}
