import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { StackSettings } from "../settings/validate";
import { buildPostDeployPlan, postDeployEnvironment } from "../contracts/plan";
import { usersCredentials } from "../contracts/users-env";
import { parsePostDeployReport, PostDeployReport } from "../contracts/report";
import { DockerTls, dockerTlsEnvironment } from "../contracts/docker-hosts";
import { RedisCluster } from "./redis-cluster";
import { TLS_ENV } from "../contracts/env";

export interface PostDeployArgs {
    readonly settings: StackSettings;
    readonly cluster: RedisCluster;
    /** Where the project (and its node_modules) lives: the command runs the CLI from there. */
    readonly projectDir: string;
    /** The `hostTls` secret, with `hosts`: the tools reach a tcp:// host's engine with it. */
    readonly hostTls?: pulumi.Output<DockerTls>;
}

/** The post-deploy report (contracts/report.ts); empty before the command has run (a preview, a mock). */
export type PostDeployOutput = Partial<PostDeployReport>;

/** Hash of the file sources' snapshots: new data re-runs the warmer. */
function sourceFingerprint(settings: StackSettings, projectDir: string): string {
    const hash = createHash("sha256");
    for (const source of [settings.cluster.warmer.appstore, settings.cluster.warmer.playstore]) {
        if (source.kind !== "file") continue;
        const file = path.resolve(projectDir, source.path);
        hash.update(existsSync(file) ? readFileSync(file) : `missing ${file}`);
    }
    return hash.digest("hex");
}

/**
 * Retires servers a scale-down removed, warms the cache, verifies the live cluster and, with
 * cluster.drill.afterDeploy, runs the failover drill, after every container is healthy and every
 * settings step has run. It runs on `pulumi up` (never on
 * preview), again whenever a container, the plan or a snapshot changes; a failed verification
 * or a missed deadline (cluster.deadlines.postDeploySeconds) fails the deploy.
 */
export class PostDeploy extends pulumi.ComponentResource {
    public readonly command: command.local.Command;
    /** The post-deploy report: membership, warm summary, verification, drill summary; none holds a secret. */
    public readonly result: pulumi.Output<PostDeployOutput>;

    constructor(name: string, args: PostDeployArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:PostDeploy", name, {}, opts);
        const plan = buildPostDeployPlan(args.settings);
        const servers = [...args.cluster.nodes, ...args.cluster.sentinels];
        const containers = servers.map((s) => s.container);
        const tlsSettings = args.settings.cluster.tls;
        const clientTls = args.cluster.tls?.clientEnvironment(tlsSettings.renewalWindowHours, true);
        this.command = new command.local.Command(
            "warm-and-verify",
            {
                create: "node --import tsx cli/post-deploy.ts",
                dir: args.projectDir,
                // The passwords reach the process only here, as secrets; the plan holds none.
                // With `hosts`, so do the tcp:// hosts' PEMs (absent otherwise: a single host's command is unchanged).
                environment: pulumi
                    .all([args.cluster.redisPassword, args.cluster.sentinelPassword, args.hostTls, args.cluster.users, clientTls])
                    .apply(([redisPassword, sentinelPassword, hostTls, users, tls]) => ({
                        ...postDeployEnvironment(
                            plan,
                            // A users stack: the tools' and the warmer's logins, nothing of `default`.
                            users
                                ? { users: usersCredentials(users.passwords, true) }
                                : { redisPassword: redisPassword ?? "", sentinelPassword: sentinelPassword ?? "" },
                        ),
                        ...(hostTls ? dockerTlsEnvironment(hostTls) : {}),
                        // With TLS: the CA, the tools' and the warmer's certificates, the expiry window.
                        ...(tls ? { [TLS_ENV]: tls } : {}),
                    })),
                triggers: [
                    createHash("sha256").update(JSON.stringify(plan)).digest("hex"),
                    sourceFingerprint(args.settings, args.projectDir),
                    ...containers.map((c) => c.id),
                ],
            },
            // After every settings step: the verifier expects the settings they apply.
            { parent: this, dependsOn: [...containers, ...servers.map((s) => s.settingsStep)] },
        );
        // stdout is the CLI's report, written without secrets (the live tests check it) and checked
        // against the report's schema here as well as where the CLI emits it.
        this.result = pulumi
            .unsecret(this.command.stdout)
            .apply((stdout): PostDeployOutput => (stdout ? parsePostDeployReport(stdout) : {}));
        this.registerOutputs({ result: this.result });
    }
}
