import Docker from "dockerode";
import { existsSync, readdirSync, rmSync } from "node:fs";
import * as path from "node:path";
import { freezeHost, killHost, removeCgroups, thawQuietly } from "./cgroups";
import { engineClient, killEngine, mountsUnder, startEngine, unmountUnder } from "./engine";
import { RigError } from "./errors";
import { importImage, RigEngine } from "./image";
import { createNetwork, removeNetwork, rigNamespaces, setLink } from "./namespaces";
import { HostPlan, planRig, RigParams, RigPlan, RigSshClient } from "./plan";
import { killSshd, makeRigSsh, startSshd } from "./ssh";
import { makeRigTls, RigClientTls } from "./tls";

export interface RigOptions {
    /** The image every engine gets (the live tests' image). */
    readonly image?: string;
    /** Where the image is copied from when it has it (the machine's own engine); else it is built. */
    readonly imageSource?: Docker;
    /** Hands each step's time to the caller (set-up, teardown), for the test to print. */
    readonly onStep?: (step: string, ms: number) => void;
}

/** Every directory the rig writes outside /run/netns: its state dir and each host's run dir. */
const rigPaths = (plan: RigPlan): string[] => [
    plan.stateDir,
    ...(existsSync("/run") ? readdirSync("/run").filter((e) => e.startsWith(`${plan.prefix}-h`)) : []).map((e) => path.join("/run", e)),
];

async function timed<T>(step: string, onStep: RigOptions["onStep"], work: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const result = await work();
    onStep?.(step, Date.now() - started);
    return result;
}

/**
 * Removes everything carrying the rig's prefix, from this run or an aborted one: engines and
 * their containers (killed), frozen cgroups (thawed first), mounts, namespaces and links, cgroups,
 * data roots. Safe on a clean machine. Never touches the machine's own engine.
 */
export async function sweepRig(plan: RigPlan): Promise<void> {
    // Hosts of an earlier run may have been more than this plan's: find them by name too.
    const known = new Set(plan.hosts.map((h) => h.name));
    const leftover = (await rigNamespaces(plan.prefix)).filter((n) => /-h\d+$/.test(n) && !known.has(n));
    const hosts: HostPlan[] = [
        ...plan.hosts,
        ...planRig({ prefix: plan.prefix, hosts: 200, subnet: "10.0.0.0/24" }).hosts.filter((h) => leftover.includes(h.name)),
    ];
    for (const host of hosts) thawQuietly(host);
    for (const host of hosts) killSshd(host);
    await Promise.all(hosts.map((h) => killEngine(h)));
    const paths = rigPaths(plan);
    await unmountUnder(paths);
    await removeNetwork(plan.prefix, plan.rootLink);
    removeCgroups(plan.prefix);
    for (const p of paths) rmSync(p, { recursive: true, force: true });
}

/** What is left of a rig after teardown: namespaces, mounts, cgroups, engine processes. Empty when clean. */
export async function rigLeftovers(plan: RigPlan): Promise<string[]> {
    const left = [...(await rigNamespaces(plan.prefix)).map((n) => `netns ${n}`), ...mountsUnder(rigPaths(plan)).map((m) => `mount ${m}`)];
    left.push(...removeCgroups(plan.prefix).map((c) => `cgroup ${c}`));
    left.push(
        ...rigPaths(plan)
            .filter((p) => existsSync(p))
            .map((p) => `path ${p}`),
    );
    return left;
}

/**
 * N Docker hosts on one machine: each a network namespace with its own dockerd, joined by a
 * switch the root namespace also has a leg on. Faults act on a whole host, as on a machine:
 * crash (every process killed, the engine started again), freeze, and a cut of its link.
 */
export class Rig {
    readonly engines: readonly RigEngine[];
    /** A client's PEMs for the hosts with a TLS listener (`tlsHosts`); undefined without them. */
    clientTls?: RigClientTls;
    /** The client's key, known_hosts and ssh_config for the hosts with an sshd (`sshHosts`); undefined without them. */
    sshClient?: RigSshClient;

    private constructor(
        readonly plan: RigPlan,
        private readonly onStep: RigOptions["onStep"],
    ) {
        this.engines = plan.hosts.map((host) => ({ host, docker: engineClient(host) }));
    }

    static async up(params: RigParams, options: RigOptions = {}): Promise<Rig> {
        const plan = planRig(params);
        const rig = new Rig(plan, options.onStep);
        const { onStep } = options;
        try {
            await timed("sweep", onStep, () => sweepRig(plan));
            await timed("network", onStep, () => createNetwork(plan));
            // Before the engines: a TLS host's dockerd reads its certificate as it starts.
            rig.clientTls = await makeRigTls(plan);
            rig.sshClient = await makeRigSsh(plan);
            await timed("engines", onStep, () => Promise.all(plan.hosts.map((h) => startEngine(h))));
            if (rig.sshClient) await timed("sshd", onStep, () => Promise.all(plan.hosts.map((h) => startSshd(h))));
            const image = options.image;
            if (image) {
                const started = Date.now();
                const how = await importImage(rig.engines, image, options.imageSource);
                onStep?.(`image (${how})`, Date.now() - started);
            }
        } catch (err) {
            await sweepRig(plan).catch(() => undefined);
            throw err;
        }
        return rig;
    }

    host(index: number): RigEngine {
        const engine = this.engines[index];
        if (!engine) throw new RigError("plan", "", `no host ${index} in a rig of ${this.engines.length}`);
        return engine;
    }

    /**
     * Every process of the host killed at once; then its engine (and its sshd, if it has one)
     * started again with the same command, as a rebooted machine starts its services.
     */
    async crash(index: number): Promise<void> {
        const { host } = this.host(index);
        await killHost(host);
        await startEngine(host);
        await startSshd(host);
    }

    /** Kills every process of the host and leaves its engine down (`up` against a dead host). */
    async kill(index: number): Promise<void> {
        await killHost(this.host(index).host);
    }

    /** Starts the engine (and the sshd) of a host `kill` left down. */
    async start(index: number): Promise<void> {
        const { host } = this.host(index);
        await startEngine(host);
        await startSshd(host);
    }

    /** Stops every process of the host (engine and containers) where it stands; `thaw` resumes them. */
    freeze(index: number): Promise<void> {
        return freezeHost(this.host(index).host, true);
    }

    thaw(index: number): Promise<void> {
        return freezeHost(this.host(index).host, false);
    }

    /** Takes the host's link down at the switch: it and the rest of the rig no longer reach each other. */
    async cut(index: number): Promise<void> {
        await setLink(this.plan, this.host(index).host, false);
    }

    async heal(index: number): Promise<void> {
        await setLink(this.plan, this.host(index).host, true);
    }

    /** Removes everything the rig made and fails, naming it, if anything is left. */
    async down(): Promise<void> {
        await timed("teardown", this.onStep, () => sweepRig(this.plan));
        const left = await rigLeftovers(this.plan);
        if (left.length > 0) throw new RigError("teardown", "", `left behind: ${left.join(", ")}`);
    }
}
