import Docker from "dockerode";
import Redis from "ioredis";
import { HostPort, StackOutputs } from "../../../settings/connection-info";
import { mergeConfig, readStackFile, settingsFromStackFile, StackConfigObject } from "../../../settings/stack-file";
import { dockerName } from "../../../settings/docker-names";
import { Credentials } from "../../../ops/redis/connect";
import { sentinelCommands } from "../../../ops/redis/sentinel-commands";
import { buildPostDeployPlan, PostDeployPlan } from "../../../contracts/plan";
import { VerificationReport } from "../../../ops/verify/report";
import { validateStackConfig } from "../../../settings/validate";
import { createDeployer } from "../create-deployer";
import { Deployer, UpResult } from "../deployer";
import { sweepStale } from "../replay/docker-apply";
import { serverLogs } from "../server-logs";
import { requireProgram } from "../require-program";
import { waitFor } from "./wait";

export const TEST_STACK = "test";
export const testRunId = (): string => `${Date.now().toString(36)}-${process.pid}`;

/** Skips (laptop) or fails (CI) a live suite when no Docker Engine answers. */
export function requireDocker(ctx: Mocha.Context): void {
    requireProgram(ctx, "docker", ["info"], "a running Docker Engine");
}

/** The test stack's config with a suite's overrides. */
export const testStackConfig = (overrides: StackConfigObject = {}): StackConfigObject => mergeConfig(readStackFile(TEST_STACK), overrides);

/** The post-deploy plan of the test stack with `overrides`, as a deploy builds it. */
export const testPlan = (overrides: StackConfigObject = {}): PostDeployPlan =>
    buildPostDeployPlan(
        validateStackConfig({ stack: TEST_STACK, keys: ["cluster"], cluster: testStackConfig(overrides).cluster, secrets: {} }),
    );

/** One deployed test cluster, with the clients and Docker handles a live test needs. */
export class LiveCluster {
    readonly docker = new Docker();
    private readonly clients: Redis[] = [];
    outputs!: StackOutputs;
    /** The `verification` output of the last `up` (the post-deploy step's report). */
    verification?: VerificationReport;
    /** Seconds from `up` to every container healthy (the deployer waits for health). */
    deploySeconds = 0;

    private constructor(
        readonly deployer: Deployer,
        readonly runId: string,
    ) {}

    static async deploy(overrides: StackConfigObject = {}): Promise<LiveCluster> {
        const runId = testRunId();
        const cluster = new LiveCluster(await createDeployer(TEST_STACK, runId), runId);
        await sweepStale(cluster.docker, runId);
        const started = Date.now();
        await cluster.up(overrides);
        cluster.deploySeconds = (Date.now() - started) / 1000;
        return cluster;
    }

    async up(overrides: StackConfigObject = {}): Promise<UpResult> {
        const result = await this.deployer.up(testStackConfig(overrides));
        this.outputs = result.outputs as unknown as StackOutputs;
        this.verification = result.outputs.verification as VerificationReport | undefined;
        return result;
    }

    /** The passwords from the stack outputs, as the operations tools take them. */
    get credentials(): Credentials {
        return { redisPassword: this.outputs.redisPassword, sentinelPassword: this.outputs.sentinelPassword };
    }

    async destroy(): Promise<void> {
        for (const c of this.clients) c.disconnect();
        await this.deployer.destroy();
        await sweepStale(this.docker, "none");
    }

    /** An operator's destroy: containers, network and state go, the data volumes stay; `up` then re-creates the stack. */
    async destroyKeepingVolumes(): Promise<void> {
        for (const c of this.clients.splice(0)) c.disconnect();
        await this.deployer.destroy({ keepVolumes: true });
    }

    containerName(node: string): string {
        return dockerName(settingsFromStackFile(TEST_STACK), node);
    }

    container(node: string): Docker.Container {
        return this.docker.getContainer(this.containerName(node));
    }

    /** Every server's log since `since` (ms since the epoch), passwords masked (tests/support/server-logs.ts). */
    logsSince(since: number): Promise<string> {
        const { redisPassword, sentinelPassword } = this.credentials;
        const containers = [...this.nodeNames, ...this.sentinelNames].map((name) => ({ name, container: this.containerName(name) }));
        return serverLogs(containers, since, [redisPassword, sentinelPassword], this.docker);
    }

    get nodeNames(): string[] {
        return Object.keys(this.outputs.publishedPorts).filter((n) => n.startsWith("redis-"));
    }

    get sentinelNames(): string[] {
        return Object.keys(this.outputs.publishedPorts).filter((n) => n.startsWith("sentinel-"));
    }

    private track(client: Redis): Redis {
        client.on("error", () => undefined);
        this.clients.push(client);
        return client;
    }

    /**
     * A direct connection to one node or Sentinel through its published port. Commands give up
     * after `commandTimeout` ms, so a test never hangs on a node it has just killed.
     */
    direct(name: string, commandTimeout = 5000): Redis {
        const password = name.startsWith("sentinel-") ? this.outputs.sentinelPassword : this.outputs.redisPassword;
        return this.track(
            new Redis({ host: "127.0.0.1", port: this.outputs.publishedPorts[name], password, maxRetriesPerRequest: 1, commandTimeout }),
        );
    }

    /** A Sentinel-mode client as an app on the host would make it from the stack outputs. */
    viaSentinel(): Redis {
        return this.track(
            new Redis({
                sentinels: this.outputs.sentinelEndpoints as HostPort[],
                name: this.outputs.masterName,
                password: this.outputs.redisPassword,
                sentinelPassword: this.outputs.sentinelPassword,
                natMap: this.outputs.natMap,
                failoverDetector: true,
            }),
        );
    }

    /** Runs `cmd` in a container; `env` keeps a password off its command line (REDISCLI_AUTH). */
    async exec(node: string, cmd: string[], env: Record<string, string> = {}): Promise<string> {
        const exec = await this.container(node).exec({
            Cmd: cmd,
            Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
            AttachStdout: true,
            AttachStderr: true,
        });
        const stream = await exec.start({});
        const chunks: Buffer[] = [];
        await new Promise<void>((resolve, reject) => {
            this.docker.modem.demuxStream(
                stream,
                { write: (c: Buffer) => chunks.push(c) } as never,
                { write: (c: Buffer) => chunks.push(c) } as never,
            );
            stream.on("end", resolve);
            stream.on("error", reject);
        });
        return Buffer.concat(chunks).toString("utf8");
    }

    /** The master address every Sentinel (of `names`: the running ones) reports, once they all agree. */
    async agreedMaster(timeoutMs = 30_000, names = this.sentinelNames): Promise<string> {
        const sentinels = names.map((s) => sentinelCommands(this.direct(s)));
        return waitFor(
            "all Sentinels to agree on the master",
            async () => {
                const answers = await Promise.all(sentinels.map((s) => s.masterAddress(this.outputs.masterName)));
                return new Set(answers).size === 1 ? answers[0] : undefined;
            },
            timeoutMs,
        );
    }

    /** Moves the master role with SENTINEL FAILOVER and waits until the cluster settles on another node. */
    async failover(): Promise<string> {
        const before = await this.settled();
        await sentinelCommands(this.direct(this.sentinelNames[0])).failover(this.outputs.masterName);
        return waitFor(
            `a master other than ${before} with every replica linked`,
            async () => {
                const now = await this.settled();
                return now !== before ? now : undefined;
            },
            60_000,
            500,
        );
    }

    /** The announced IP address of node `name` (the inverse of nodeAt). */
    nodeAddress(name: string): string {
        const entry = Object.entries(this.outputs.natMap).find(([, hp]) => hp.port === this.outputs.publishedPorts[name]);
        if (!entry) throw new Error(`no node ${name} in natMap`);
        return entry[0].split(":")[0];
    }

    /** The node name whose announced address is `address:port`. */
    nodeAt(addressPort: string): string {
        const published = this.outputs.natMap[addressPort];
        const name = Object.entries(this.outputs.publishedPorts).find(([, port]) => port === published?.port)?.[0];
        if (!name) throw new Error(`no node announces ${addressPort}`);
        return name;
    }

    /** Waits until one master has every other node attached with its link up, and the Sentinels of `sentinels` name it. */
    async settled(timeoutMs = 60_000, sentinels = this.sentinelNames): Promise<string> {
        return waitFor(
            "one master with every replica linked",
            async () => {
                const master = this.nodeAt(await this.agreedMaster(timeoutMs, sentinels));
                const info = await this.direct(master).info("replication");
                if (!info.includes("role:master") || !info.includes(`connected_slaves:${this.nodeNames.length - 1}`)) return undefined;
                for (const replica of this.nodeNames.filter((n) => n !== master)) {
                    if (!(await this.direct(replica).info("replication")).includes("master_link_status:up")) return undefined;
                }
                return master;
            },
            timeoutMs,
            500,
        );
    }
}

/** The product's own parsers of `INFO` text and flat `[k, v, ...]` replies. */
export { parseInfo as infoFields, parsePairs as pairs } from "../../../ops/redis/replies";
