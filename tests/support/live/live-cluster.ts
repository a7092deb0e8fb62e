import Docker from "dockerode";
import Redis, { RedisOptions } from "ioredis";
import { HostPort, StackOutputs } from "../../../settings/connection-info";
import { mergeConfig, readStackFile, settingsFromStackFile, StackConfigObject } from "../../../settings/stack-file";
import { dockerName } from "../../../settings/docker-names";
import { ClientTls, Credentials } from "../../../ops/redis/connect";
import { directTlsOptions, sentinelTlsOptions } from "../../../ops/redis/tls-options";
import { retireDetectorOnClose } from "../../../ops/redis/failover-detector";
import { TLS_ENV } from "../../../contracts/env";
import { connectionMaterial, parseTlsEnvironment } from "../../../contracts/tls-env";
import { sentinelCommands } from "../../../ops/redis/sentinel-commands";
import { buildPostDeployPlan, nodesOf, PostDeployPlan, sentinelsOf } from "../../../contracts/plan";
import { plannedFailover } from "../../../ops/cluster/planned-failover";
import { waitForMasterMoved, waitForSettledCluster } from "../../../ops/cluster/settle";
import { VerificationReport } from "../../../ops/verify/report";
import { validateStackConfig } from "../../../settings/validate";
import { createDeployer } from "../create-deployer";
import { Deployer, UpOptions, UpResult } from "../deployer";
import { sweepStale } from "../replay/docker-apply";
import { serverLogs } from "../server-logs";
import { requireProgram } from "../require-program";
import { waitFor } from "./wait";
import { execIn } from "./container-exec";
import { redisCliTlsArgs } from "../../../render/tls-conf";

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
    /** The overrides of the last `up`: what is deployed now (day-2 steps scale and change it). */
    private overrides: StackConfigObject = {};

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

    /** `options.replace`: resources to replace whatever changed (`pulumi up --replace`). */
    async up(overrides: StackConfigObject = {}, options: UpOptions = {}): Promise<UpResult> {
        const result = await this.deployer.up(testStackConfig(overrides), options);
        this.overrides = overrides;
        this.outputs = result.outputs as unknown as StackOutputs;
        this.verification = result.outputs.verification as VerificationReport | undefined;
        return result;
    }

    /** The passwords from the stack outputs, as the operations tools take them. */
    get credentials(): Credentials {
        const { adminUser, adminPassword } = this.outputs;
        const tls = this.toolsTls ? { tls: this.toolsTls } : {};
        // A users stack: the tools' login on both kinds of server, as the operations CLIs read it.
        if (adminUser && adminPassword)
            return { redisUser: adminUser, redisPassword: adminPassword, sentinelUser: adminUser, sentinelPassword: adminPassword, ...tls };
        return { redisPassword: this.outputs.redisPassword, sentinelPassword: this.outputs.sentinelPassword, ...tls };
    }

    /**
     * On a TLS stack, the tools' CA and certificate from the `tlsToolsEnvironment` output, read
     * through the contract an operator's TLS_ENV goes through (contracts/tls-env.ts).
     */
    get toolsTls(): ClientTls | undefined {
        const text = (this.outputs as { tlsToolsEnvironment?: string }).tlsToolsEnvironment;
        const env = text ? parseTlsEnvironment({ [TLS_ENV]: text }) : undefined;
        return env && { ...connectionMaterial(env, "tools"), renewalWindowHours: env.renewalWindowHours };
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
        return this.track(new Redis({ ...this.directOptions(name), maxRetriesPerRequest: 1, commandTimeout }));
    }

    /** Where and how the tools reach one node or Sentinel through its published port: its address, their login, their TLS. */
    directOptions(name: string): RedisOptions {
        const { redisUser, redisPassword, sentinelUser, sentinelPassword } = this.credentials;
        const [username, password] = name.startsWith("sentinel-") ? [sentinelUser, sentinelPassword] : [redisUser, redisPassword];
        return {
            host: "127.0.0.1",
            port: this.outputs.publishedPorts[name],
            ...(username ? { username } : {}),
            password,
            ...(this.toolsTls ? directTlsOptions(this.toolsTls) : {}),
        };
    }

    /**
     * redis-cli inside a node's container as the container scripts run it (render/container-scripts.ts):
     * as the tools' user on a users stack, over TLS with the node's own files on a TLS stack. The
     * password goes in `env` (REDISCLI_AUTH), never on the command line.
     */
    redisCliInContainer(): { argv: string[]; env: Record<string, string> } {
        const { redisUser, redisPassword } = this.credentials;
        return {
            argv: [
                "redis-cli",
                "--no-auth-warning",
                ...(redisUser ? ["--user", redisUser] : []),
                ...(this.toolsTls ? redisCliTlsArgs() : []),
            ],
            env: { REDISCLI_AUTH: redisPassword },
        };
    }

    /** A Sentinel-mode client as an app on the host would make it from the stack outputs. */
    viaSentinel(commandTimeout = 30_000): Redis {
        // The tools' logins (admin on a users stack, where the `default` passwords are no outputs),
        // and a bound on every command: a client refused at AUTH would otherwise retry for ever.
        const { redisUser, redisPassword, sentinelUser, sentinelPassword } = this.credentials;
        return this.track(
            retireDetectorOnClose(
                new Redis({
                    sentinels: this.outputs.sentinelEndpoints as HostPort[],
                    name: this.outputs.masterName,
                    ...(redisUser ? { username: redisUser } : {}),
                    password: redisPassword,
                    ...(sentinelUser ? { sentinelUsername: sentinelUser } : {}),
                    sentinelPassword,
                    ...(this.toolsTls ? sentinelTlsOptions(this.toolsTls) : {}),
                    natMap: this.outputs.natMap,
                    failoverDetector: true,
                    commandTimeout,
                }),
            ),
        );
    }

    /** Runs `cmd` in a container; `env` keeps a password off its command line (REDISCLI_AUTH). */
    async exec(node: string, cmd: string[], env: Record<string, string> = {}): Promise<string> {
        return execIn(this.docker, this.container(node), cmd, env);
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

    /**
     * The post-deploy plan of what is deployed now, as the operations tools read it; with `extra`,
     * of what is deployed plus those settings (a fault case's warmer sources).
     */
    plan(extra: StackConfigObject = {}): PostDeployPlan {
        return testPlan(mergeConfig(this.overrides, extra));
    }

    /** The plan's Sentinels of `names` (default all of them): a fault test asks only the running ones. */
    private sentinelScope(names: readonly string[]) {
        return { sentinels: sentinelsOf(this.plan()).filter((s) => names.includes(s.name)) };
    }

    /**
     * Moves the master role with the product's planned failover (bare SENTINEL FAILOVER: settled
     * first, resent to the same Sentinel on -INPROG / -NOGOODSLAVE, confirmed), then waits until
     * the old master has rejoined, so the next step starts from a settled cluster.
     */
    async failover(): Promise<string> {
        const { to } = await plannedFailover(this.plan(), this.credentials, { method: "sentinel", timeoutMs: 90_000 });
        const settled = await this.settled(90_000);
        if (settled !== to.name) throw new Error(`the failover promoted ${to.name}, but the cluster settled on ${settled}`);
        return settled;
    }

    /**
     * The fault took effect: every Sentinel of `sentinels` names a master other than `from` (a
     * node name). Returns the new master's name; fails with the Sentinels' view otherwise.
     */
    async masterMovedFrom(from: string, timeoutMs = 60_000, sentinels = this.sentinelNames): Promise<string> {
        const plan = this.plan();
        const announced = nodesOf(plan).find((n) => n.name === from)?.announced ?? from;
        return this.nodeAt(await waitForMasterMoved(plan, this.credentials, announced, timeoutMs, this.sentinelScope(sentinels)));
    }

    /**
     * The fault injected on container `node` shows in Docker's own state: `stopped` (not running,
     * whatever stopped it), `paused`, or `restarted` (running with a StartedAt other than `since`).
     */
    async faultShows(node: string, fault: "stopped" | "paused" | "restarted", since?: string, timeoutMs = 30_000): Promise<void> {
        await waitFor(
            `${node} ${fault} (Docker's container state)`,
            async () => {
                const state = (await this.container(node).inspect()).State;
                if (fault === "stopped") return state.Running ? undefined : true;
                if (fault === "paused") return state.Paused ? true : undefined;
                return state.Running && state.StartedAt !== since ? true : undefined;
            },
            timeoutMs,
            100,
        );
    }

    /** When Docker last started container `node`: `faultShows(node, "restarted", since)` compares with it. */
    async startedAt(node: string): Promise<string> {
        return (await this.container(node).inspect()).State.StartedAt;
    }

    /** Container `node` is attached to no network: the cut took effect. */
    async cutShows(node: string): Promise<void> {
        const networks = (await this.container(node).inspect()).NetworkSettings.Networks;
        if (Object.keys(networks).length > 0) throw new Error(`${node} is still on ${Object.keys(networks).join(", ")} after the cut`);
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

    /**
     * Waits until the cluster has settled (the product's judgement, ops/cluster/settle.ts): the
     * Sentinels of `sentinels` name one master with no failover in progress, every replica of the
     * deployed plan is linked and reports the replica role, and the master counts them. Returns
     * the master's name.
     */
    async settled(timeoutMs = 60_000, sentinels = this.sentinelNames): Promise<string> {
        const master = await waitForSettledCluster(this.plan(), this.credentials, { timeoutMs, ...this.sentinelScope(sentinels) });
        return master.name;
    }
}

/** The product's own parsers of `INFO` text and flat `[k, v, ...]` replies. */
export { parseInfo as infoFields, parsePairs as pairs } from "../../../ops/redis/replies";
