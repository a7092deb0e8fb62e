// Migration step 1b on a Docker stack (docs/security.md, "Moving an existing stack onto users"):
// after step 1 every server has `admin`, but the scripts its container runs still log in as
// `default` and, on a node, read `masterauth` as its password, which step 2 hands to the
// `replication` user. So before step 2, each running server container gets the users variants of
// its scripts and a cluster snapshot holding the `admin` login, at the paths it already runs
// them from, through the Engine's archive API: nothing restarts, and the container later created
// from the program (`cluster.users.migrated`) would hold the same files.
import * as path from "node:path";
import type { DockerEngines } from "../docker/engines";
import { execAsRoot, putFiles } from "../docker/container-files";
import { findServerContainers } from "../docker/server-containers";
import { ContainerFile, renderClusterEnv, serverScripts, toolsLogin } from "../../render/container-scripts";
import { CLIENT_USERS } from "../../render/acl-users";
import { CONTAINER_PATHS } from "../../render/paths";
import { HostPort } from "../../settings/connection-info";
import { StackSettings } from "../../settings/validate";
import { withDeadline, DeadlineError } from "../deadline";
import { ClientTlsMaterial } from "../redis/tls-options";
import { UsersStepError } from "./errors";
import { loginTo } from "./login";

export interface ScriptsStepServer {
    readonly name: string;
    readonly kind: "redis" | "sentinel";
    /** Where this process reaches it: step 1b first checks that it accepts `admin`. */
    readonly endpoint: HostPort;
}

export interface ScriptsStepRun {
    readonly settings: StackSettings;
    readonly servers: readonly ScriptsStepServer[];
    /** The `admin` password (APPSCREENS_USER_PASSWORDS): what the snapshot holds. */
    readonly adminPassword: string;
    readonly engines: DockerEngines;
    readonly deadlineSeconds: number;
    readonly tls?: ClientTlsMaterial;
    readonly log?: (line: string) => void;
}

/** Where a file is staged before it is renamed over the one the container runs: beside it, so the rename is atomic. */
const stagedName = (file: string): string => `.appscreens-step1b-${path.basename(file)}`;

/**
 * What step 1b writes into a server's container: the users scripts (render/container-scripts.ts
 * serverScripts, as the program uploads them) and the snapshot with the admin login, 0400 as
 * uploaded. A pure function of the settings and the password.
 */
export function usersContainerFiles(settings: StackSettings, kind: "redis" | "sentinel", adminPassword: string): ContainerFile[] {
    const snapshot = renderClusterEnv({ settings, kind, ...toolsLogin({ [CLIENT_USERS.tools]: adminPassword }) });
    return [
        ...serverScripts(kind, true, settings.cluster.tls.enabled),
        { file: CONTAINER_PATHS.clusterEnv, content: snapshot, mode: 0o400 },
    ];
}

/**
 * The rename of every staged file over its own, in one shell as root. A rename, not a copy: the
 * start script running since the container started keeps reading the file it opened (sh reads a
 * script as it goes), while every later run (health check, hand-over on SIGTERM, a restart) reads
 * the new one. Paths only: no content on the command line.
 */
export function renameCommand(files: readonly ContainerFile[]): string[] {
    const moves = files.map((f) => `mv -f ${path.join(path.dirname(f.file), stagedName(f.file))} ${f.file}`);
    return ["/bin/sh", "-c", moves.join(" && ")];
}

/**
 * Step 1b on every server in order, each within what is left of the deadline: refused (kind
 * `out-of-order`) where the server does not accept `admin` yet (step 1 not run), since scripts
 * logging in as `admin` would make its container unhealthy; then the files, then its own health
 * check run once in the container, which must pass with them.
 */
export async function installUsersScripts(run: ScriptsStepRun): Promise<string[]> {
    const done: string[] = [];
    const stack = run.settings.stack;
    try {
        await withDeadline(run.deadlineSeconds, "step 1b (the users scripts)", async () => {
            const containers = await findServerContainers(run.engines, stack, run.servers);
            for (const server of run.servers) {
                const ref = containers.get(server.name);
                if (!ref?.running) throw new UsersStepError("command-failed", "its container is not running", server.name);
                const login = await loginTo(
                    server.name,
                    server.endpoint,
                    [{ user: CLIENT_USERS.tools, password: run.adminPassword }],
                    run.tls,
                ).catch((err: unknown) => {
                    if (err instanceof UsersStepError && err.kind === "refused-logins")
                        throw new UsersStepError("out-of-order", "does not accept admin yet: run step 1 first", server.name);
                    throw err;
                });
                login.disconnect();
                const files = usersContainerFiles(run.settings, server.kind, run.adminPassword);
                const container = ref.engine.getContainer(ref.id);
                const dir = path.dirname(CONTAINER_PATHS.startScript);
                if (files.some((f) => path.dirname(f.file) !== dir)) throw new Error("step 1b expects every file in one directory");
                try {
                    await putFiles(
                        container,
                        dir,
                        files.map((f) => ({ name: stagedName(f.file), content: f.content, mode: f.mode })),
                    );
                    await execAsRoot(container, renameCommand(files));
                } catch (err) {
                    throw new UsersStepError("command-failed", `writing the users scripts failed (${errorText(err)})`, server.name);
                }
                try {
                    await execAsRoot(container, ["/bin/sh", CONTAINER_PATHS.healthcheckScript]);
                } catch (err) {
                    throw new UsersStepError(
                        "command-failed",
                        `its health check fails with the users scripts (${errorText(err)})`,
                        server.name,
                    );
                }
                run.log?.(`${server.name}: users scripts and snapshot in place (${files.length} files), health check passes`);
                done.push(server.name);
            }
        });
    } catch (err) {
        if (err instanceof DeadlineError)
            throw new UsersStepError(
                "deadline",
                `step 1b did not finish within ${run.deadlineSeconds} s (done: ${done.join(", ") || "none"})`,
            );
        throw err;
    }
    return done;
}

const errorText = (err: unknown): string => (err instanceof Error ? err.message : String(err));
