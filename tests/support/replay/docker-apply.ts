import Docker from "dockerode";
import { spawn } from "node:child_process";
import { pack } from "tar-stream";
import { parseGoDuration } from "../provider-normalise";
import { CONTAINER, UpdateEffect } from "./property-table";
import { tlsResourceState } from "./tls-model";

/** Label every object the replay deployer creates carries, valued with the test run's id. */
export const RUN_LABEL = "appscreens.test-run";

type Inputs = Record<string, unknown>;
type Outputs = Record<string, unknown>;

interface Upload {
    file: string;
    content?: string;
    owner?: string;
    group?: string;
    permissions?: string;
    executable?: boolean;
}

const labelsOf = (inputs: Inputs, runId: string): Record<string, string> => ({
    ...Object.fromEntries(((inputs.labels as { label: string; value: string }[] | undefined) ?? []).map((l) => [l.label, l.value])),
    [RUN_LABEL]: runId,
});

/** A Go duration ("2s", "1m0s", "500ms") -> nanoseconds, as the Engine API wants durations. */
export function durationNs(text: string | undefined): number | undefined {
    return text === undefined ? undefined : parseGoDuration(text);
}

/**
 * A tar of the uploads, each under its full path, copied to "/" as the provider does (Docker
 * creates missing directories). Modes as the provider sets them: `permissions`, else 0744 when
 * `executable`, else 0644. Unlike terraform-provider-docker v4.5.0, which writes no owner (so
 * root:root), the entries carry `owner`/`group` when given (docs/provider-behaviour.md, gap 5).
 */
async function uploadArchive(uploads: Upload[]): Promise<Buffer> {
    const tar = pack();
    const chunks: Buffer[] = [];
    tar.on("data", (c: unknown) => chunks.push(c as Buffer));
    const done = new Promise<void>((resolve, reject) => {
        tar.on("end", () => resolve());
        tar.on("error", reject);
    });
    for (const u of uploads) {
        const mode = u.permissions ? parseInt(u.permissions, 8) : u.executable ? 0o744 : 0o644;
        tar.entry({ name: u.file.replace(/^\/+/, ""), mode, uid: Number(u.owner ?? 0), gid: Number(u.group ?? 0) }, u.content ?? "");
    }
    tar.finalize();
    await done;
    return Buffer.concat(chunks);
}

/**
 * A container that was created but did not get healthy in time. Like the provider, the object
 * exists and is recorded (the Pulumi bridge reports a partial create: the engine keeps the
 * resource with init errors), so the caller records it before failing.
 */
export class ContainerInitError extends Error {
    readonly kind = "container-init-failed" as const;
    constructor(
        readonly outputs: Outputs,
        message: string,
    ) {
        super(message);
        this.name = "ContainerInitError";
    }
}

/**
 * The provider's `wait` (resourceDockerContainerCreate, waitForHealthyState): inspect once a
 * second until the health status is "healthy", for `waitTimeout` seconds. It does not notice a
 * container that exited or keeps restarting, and shows no logs: after the timeout it fails
 * with "container failed to be in healthy state".
 */
async function waitHealthy(container: Docker.Container, timeoutSeconds: number, outputs: Outputs): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const info = await container.inspect();
        if (!info.State.Health) {
            throw new ContainerInitError(
                outputs,
                "you have supplied a 'wait' argument, but the container does not have a healthcheck defined. " +
                    "Please remove the 'wait' argument or add a 'healthcheck' attribute",
            );
        }
        if (info.State.Health.Status === "healthy") return;
        if (Date.now() > deadline) throw new ContainerInitError(outputs, "container failed to be in healthy state");
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * Container inputs this replay turns into Docker settings (or, for the rest, whose effect it
 * models). Anything else the program declares is an error rather than silently missing.
 */
const CONTAINER_INPUTS_APPLIED = new Set([
    "name",
    "image",
    "hostname",
    "user",
    "entrypoints",
    "command",
    "envs",
    "labels",
    "ports",
    "healthcheck",
    "volumes",
    "restart",
    "ulimits",
    "networksAdvanced",
    "uploads",
    "start",
    "wait",
    "waitTimeout",
    "destroyGraceSeconds",
    "stopTimeout",
    "mustRun",
]);

export function checkAppliedContainerInputs(inputs: Inputs): void {
    const missing = Object.keys(inputs).filter((k) => inputs[k] !== undefined && !CONTAINER_INPUTS_APPLIED.has(k));
    if (missing.length > 0) {
        throw new Error(
            `the replay deployer does not apply docker.Container input(s) ${missing.join(", ")}; add them to tests/support/replay/docker-apply.ts`,
        );
    }
}

async function createContainer(docker: Docker, inputs: Inputs, runId: string): Promise<Outputs> {
    checkAppliedContainerInputs(inputs);
    const ports = (inputs.ports as { internal: number; external: number; ip?: string; protocol?: string }[] | undefined) ?? [];
    const networks = (inputs.networksAdvanced as { name: string; ipv4Address?: string; aliases?: string[] }[] | undefined) ?? [];
    const volumes =
        (inputs.volumes as { volumeName?: string; hostPath?: string; containerPath: string; readOnly?: boolean }[] | undefined) ?? [];
    const healthcheck = inputs.healthcheck as
        { tests: string[]; interval?: string; timeout?: string; retries?: number; startPeriod?: string } | undefined;
    const ulimits = (inputs.ulimits as { name: string; soft: number; hard: number }[] | undefined) ?? [];
    const [firstNetwork, ...otherNetworks] = networks;
    const endpoint = (n: (typeof networks)[number]) => ({
        IPAMConfig: n.ipv4Address ? { IPv4Address: n.ipv4Address } : undefined,
        Aliases: n.aliases,
    });
    const created = await docker.createContainer({
        name: inputs.name as string,
        Image: inputs.image as string,
        Hostname: inputs.hostname as string | undefined,
        User: inputs.user as string | undefined,
        Entrypoint: inputs.entrypoints as string[] | undefined,
        Cmd: inputs.command as string[] | undefined,
        Env: inputs.envs as string[] | undefined,
        Labels: labelsOf(inputs, runId),
        StopTimeout: inputs.stopTimeout as number | undefined,
        ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, {}])),
        Healthcheck: healthcheck && {
            Test: healthcheck.tests,
            Interval: durationNs(healthcheck.interval),
            Timeout: durationNs(healthcheck.timeout),
            Retries: healthcheck.retries,
            StartPeriod: durationNs(healthcheck.startPeriod),
        },
        HostConfig: {
            Mounts: volumes.map((v) =>
                v.hostPath
                    ? { Type: "bind" as const, Source: v.hostPath, Target: v.containerPath, ReadOnly: v.readOnly }
                    : { Type: "volume" as const, Source: v.volumeName ?? "", Target: v.containerPath, ReadOnly: v.readOnly },
            ),
            PortBindings: Object.fromEntries(
                ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, [{ HostIp: p.ip ?? "", HostPort: String(p.external) }]]),
            ),
            RestartPolicy: { Name: (inputs.restart as string | undefined) ?? "no" },
            Ulimits: ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })),
            NetworkMode: firstNetwork?.name,
        },
        NetworkingConfig: firstNetwork ? { EndpointsConfig: { [firstNetwork.name]: endpoint(firstNetwork) } } : undefined,
    });
    for (const n of otherNetworks) await docker.getNetwork(n.name).connect({ Container: created.id, EndpointConfig: endpoint(n) });
    // Uploads land before the first start, as the provider does.
    const uploads = (inputs.uploads as Upload[] | undefined) ?? [];
    if (uploads.length > 0) await created.putArchive(await uploadArchive(uploads), { path: "/" });
    if (inputs.start !== false) {
        await created.start();
        if (inputs.wait) await waitHealthy(created, (inputs.waitTimeout as number | undefined) ?? 60, { ...inputs, id: created.id });
    }
    return { ...inputs, id: created.id };
}

/**
 * Runs one of a local.Command's scripts as pulumi-command 1.2.1 does (local/commandOutputs.go
 * `run`): `/bin/sh -c` in `dir`, the process environment plus `environment`, `stdin` on
 * standard input, and the previous run's stdout/stderr as PULUMI_COMMAND_STDOUT/STDERR.
 */
function runCommand(inputs: Inputs, script: string | undefined, previous?: Outputs): Promise<Outputs> {
    if (!script) return Promise.resolve({ ...inputs, stdout: previous?.stdout ?? "", stderr: previous?.stderr ?? "" });
    const previousOutput: Record<string, string> = {};
    if (inputs.addPreviousOutputInEnv !== false) {
        if (previous?.stdout) previousOutput.PULUMI_COMMAND_STDOUT = String(previous.stdout);
        if (previous?.stderr) previousOutput.PULUMI_COMMAND_STDERR = String(previous.stderr);
    }
    const interpreter = (inputs.interpreter as string[] | undefined) ?? ["/bin/sh", "-c"];
    const stdin = inputs.stdin as string | undefined;
    return new Promise((resolve, reject) => {
        const child = spawn(interpreter[0], [...interpreter.slice(1), script], {
            cwd: (inputs.dir as string | undefined) ?? process.cwd(),
            env: { ...process.env, ...((inputs.environment as Record<string, string> | undefined) ?? {}), ...previousOutput },
            stdio: [stdin ? "pipe" : "ignore", "pipe", "pipe"],
        });
        if (stdin && child.stdin) child.stdin.end(stdin);
        let stdout = "";
        let stderr = "";
        child.stdout?.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
        child.stderr?.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
        child.on("error", reject);
        child.on("close", (code) => {
            if (code === 0) resolve({ ...inputs, stdout: stdout.replace(/\n$/, ""), stderr: stderr.replace(/\n$/, "") });
            else reject(new Error(`command exited ${code}: running ${JSON.stringify(script)}:\n${stderr || stdout}`));
        });
    });
}

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/**
 * Creates the real object behind a declared resource and returns what the provider would output;
 * `now` is the providers' clock (a certificate's not-before).
 */
export async function createResource(docker: Docker, type: string, inputs: Inputs, runId: string, now = new Date()): Promise<Outputs> {
    switch (type) {
        case "random:index/randomPassword:RandomPassword": {
            const { randomInt } = await import("node:crypto");
            const length = (inputs.length as number | undefined) ?? 16;
            return { ...inputs, result: Array.from({ length }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join("") };
        }
        case "docker:index/remoteImage:RemoteImage": {
            // Replay never pulls: the image must already be on the engine (the test image is built locally).
            const info = await docker
                .getImage(inputs.name as string)
                .inspect()
                .catch(() => {
                    throw new Error(
                        `image ${String(inputs.name)} is not on the local engine and the replay deployer never pulls; build or load it first`,
                    );
                });
            return { ...inputs, imageId: info.Id, repoDigest: info.RepoDigests?.[0] ?? info.Id };
        }
        case "docker:index/network:Network": {
            const ipam = ((inputs.ipamConfigs as { subnet?: string; gateway?: string; ipRange?: string }[] | undefined) ?? []).map((c) => ({
                Subnet: c.subnet,
                Gateway: c.gateway,
                IPRange: c.ipRange,
            }));
            const network = await docker.createNetwork({
                Name: inputs.name as string,
                Driver: (inputs.driver as string | undefined) ?? "bridge",
                CheckDuplicate: true,
                IPAM: { Driver: "default", Config: ipam },
                Labels: labelsOf(inputs, runId),
            });
            return { ...inputs, id: network.id };
        }
        case "docker:index/volume:Volume": {
            await docker.createVolume({ Name: inputs.name as string, Labels: labelsOf(inputs, runId) });
            return { ...inputs, id: inputs.name };
        }
        case "docker:index/container:Container":
            return createContainer(docker, inputs, runId);
        case "command:local:Command":
            return runCommand(inputs, inputs.create as string | undefined);
        default: {
            // Keys and certificates: made as the tls provider makes them (tls-model.ts); nothing on Docker.
            const tls = await tlsResourceState(type, inputs, now);
            if (tls) return tls;
            throw new Error(`the replay deployer does not know how to create ${type}`);
        }
    }
}

/**
 * Applies an in-place update the way the provider's update function does (see
 * property-table.ts for which properties get which effect), and returns the new outputs:
 * the new inputs over what the provider computed before.
 */
export async function updateResource(
    docker: Docker,
    type: string,
    previous: { inputs: Inputs; outputs: Outputs },
    inputs: Inputs,
    effects: readonly UpdateEffect[],
): Promise<Outputs> {
    const carried = Object.fromEntries(Object.entries(previous.outputs).filter(([k]) => !(k in previous.inputs)));
    let outputs: Outputs = { ...carried, ...inputs };
    for (const effect of effects) {
        switch (effect) {
            case "state-only":
                break;
            case "container-update": {
                if (type === CONTAINER) checkAppliedContainerInputs(inputs);
                const mb = (key: string) => (typeof inputs[key] === "number" ? (inputs[key] as number) * 1024 * 1024 : undefined);
                await docker.getContainer(previous.outputs.id as string).update({
                    RestartPolicy: {
                        Name: (inputs.restart as string | undefined) ?? "no",
                        MaximumRetryCount: (inputs.maxRetryCount as number | undefined) ?? 0,
                    },
                    CpuShares: inputs.cpuShares as number | undefined,
                    CpusetCpus: inputs.cpuSet as string | undefined,
                    Memory: mb("memory"),
                    MemoryReservation: mb("memoryReservation"),
                    MemorySwap: mb("memorySwap"),
                });
                break;
            }
            case "rerun-command": {
                // Command.Update: `update` if set, else `create`, with the new inputs' dir, environment and stdin.
                const script = (inputs.update as string | undefined) ?? (inputs.create as string | undefined);
                outputs = { ...outputs, ...(await runCommand(inputs, script, previous.outputs)) };
                break;
            }
            case "reread-image": {
                const info = await docker.getImage(inputs.name as string).inspect();
                outputs = { ...outputs, imageId: info.Id, repoDigest: info.RepoDigests?.[0] ?? info.Id };
                break;
            }
        }
    }
    return outputs;
}

const ignoreMissing = (err: { statusCode?: number }) => {
    if (err.statusCode !== 404) throw err;
};

export async function deleteResource(docker: Docker, type: string, state: { inputs: Inputs; outputs: Outputs }): Promise<void> {
    switch (type) {
        case "docker:index/container:Container": {
            const container = docker.getContainer(state.outputs.id as string);
            // Like resourceDockerContainerDelete: `docker stop` with destroyGraceSeconds as the
            // timeout, 0 (SIGTERM then SIGKILL at once) when it is unset.
            await container
                .stop({ t: Math.max(0, (state.inputs.destroyGraceSeconds as number | undefined) ?? 0) })
                .catch((err: { statusCode?: number }) => {
                    if (err.statusCode !== 304) ignoreMissing(err);
                });
            await container.remove({ force: true }).catch(ignoreMissing);
            return;
        }
        case "docker:index/network:Network":
            await docker
                .getNetwork(state.outputs.id as string)
                .remove()
                .catch(ignoreMissing);
            return;
        case "docker:index/volume:Volume":
            await docker
                .getVolume(state.inputs.name as string)
                .remove()
                .catch(ignoreMissing);
            return;
        case "command:local:Command":
            // Delete runs with the old state's inputs (pulumi-command Command.Delete).
            await runCommand(state.inputs, state.inputs.delete as string | undefined, state.outputs);
            return;
        default:
            // Images are kept (keepLocally) and random values vanish with the state.
            return;
    }
}

/** Removes every object an earlier, aborted test run left behind (all runs but `keepRunId`). */
export async function sweepStale(docker: Docker, keepRunId?: string): Promise<number> {
    const filters = JSON.stringify({ label: [RUN_LABEL] });
    const stale = (labels: Record<string, string> | undefined) => labels?.[RUN_LABEL] !== undefined && labels[RUN_LABEL] !== keepRunId;
    let removed = 0;
    for (const c of await docker.listContainers({ all: true, filters })) {
        if (!stale(c.Labels)) continue;
        await docker.getContainer(c.Id).remove({ force: true }).catch(ignoreMissing);
        removed++;
    }
    for (const n of await docker.listNetworks({ filters })) {
        if (!stale(n.Labels)) continue;
        await docker.getNetwork(n.Id).remove().catch(ignoreMissing);
        removed++;
    }
    for (const v of (await docker.listVolumes({ filters })).Volumes ?? []) {
        if (!stale(v.Labels ?? undefined)) continue;
        await docker.getVolume(v.Name).remove().catch(ignoreMissing);
        removed++;
    }
    return removed;
}
