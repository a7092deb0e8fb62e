import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { declaredDataVolumes } from "../settings/docker-names";
import { StackSettings } from "../settings/validate";
import { VolumeCheckRequest, volumeCheckEnvironment } from "../contracts/volume-check";
import { DockerTls, dockerHostRef, dockerTlsEnvironment } from "../contracts/docker-hosts";

export interface VolumeCheckArgs {
    readonly settings: StackSettings;
    /** Which passwords the stack generates (no config key) and which have a `...Previous` key: presence only, never a value. */
    readonly generated: VolumeCheckRequest["generated"];
    readonly previous: VolumeCheckRequest["previous"];
    readonly projectDir: string;
    /** The `hostTls` secret, with `hosts`: the check reads a tcp:// host's volumes with it. */
    readonly hostTls?: pulumi.Output<DockerTls>;
}

/**
 * With `usersCheck`, the same check as the users check instead: declared only with
 * `cluster.users.enabled`, after the volume check, and like it run only when it is first declared,
 * which is the first deploy with users on. It refuses any existing data volume of the stack, so
 * turning users on for a deployed stack stops before its network, volumes or containers change
 * (they all wait for it); see docs/security.md, "A creation-time choice".
 *
 * The stack's first step: before any data volume, the network or a container exists, it stops a
 * deploy whose servers would start on data volumes an earlier deploy left (destroy keeps them)
 * with passwords this state generated anew (cli/check-volumes.ts, ops/cluster/kept-volumes.ts).
 * It runs on a state's first deploy only: its inputs are ignored afterwards (no update ever runs),
 * because later deploys find the volumes mounted by the stack's own servers. What it printed
 * stays in the state as the record of how the state began.
 */
export function declareVolumeCheck(
    name: string,
    args: VolumeCheckArgs,
    parent: pulumi.Resource,
    usersCheck?: { readonly after: pulumi.Resource },
): command.local.Command {
    const { hosts } = args.settings.cluster;
    const hostOf = new Map([...args.settings.plan.nodes, ...args.settings.plan.sentinels].map((e) => [e.name, e.host]));
    const request: VolumeCheckRequest = {
        stack: args.settings.stack,
        // With hosts, each volume is looked for on its own server's host; without, as before.
        volumes: declaredDataVolumes(args.settings).map((v) => {
            const host = hostOf.get(v.server);
            return host ? { ...v, dockerHost: host } : v;
        }),
        ...(hosts ? { dockerHosts: hosts.map(dockerHostRef) } : {}),
        generated: args.generated,
        previous: args.previous,
        deadlineSeconds: args.settings.cluster.deadlines.applySettingsSeconds,
        ...(usersCheck ? { users: true as const } : {}),
    };
    return new command.local.Command(
        name,
        {
            // Node with tsx's loader, not npx: npx loads npm first.
            create: "node --import tsx cli/check-volumes.ts",
            dir: args.projectDir,
            environment: args.hostTls
                ? pulumi.all([args.hostTls]).apply(([tls]) => ({ ...volumeCheckEnvironment(request), ...dockerTlsEnvironment(tls) }))
                : volumeCheckEnvironment(request),
            addPreviousOutputInEnv: false,
        },
        { parent, ignoreChanges: ["create", "dir", "environment"], ...(usersCheck ? { dependsOn: [usersCheck.after] } : {}) },
    );
}
