import { RigError } from "./errors";

/** What a rig is made of, decided before anything is created: names, addresses and paths only. */
export interface RigParams {
    /**
     * Carried by every name the rig makes (namespaces, links, cgroups, paths), so that set-up can
     * find and remove what an aborted run left. Short: Linux link names hold 15 characters.
     */
    readonly prefix: string;
    readonly hosts: number;
    /** A /24 the rig's hosts live in; pick one no other network of the machine uses. */
    readonly subnet: string;
    /**
     * Hosts (by index) whose engine also listens on `tcp://<address>:2376` with TLS verified both
     * ways, as a remote engine is reached: the stack's tcp:// path run against a real engine.
     */
    readonly tlsHosts?: readonly number[];
    /**
     * Hosts (by index) that also run an sshd on `<address>:22` whose one key may only run
     * `docker system dial-stdio` against that host's engine: the stack's ssh:// path run against a
     * real engine, as the provider's `ssh` and the tools' ssh2 reach a remote one.
     */
    readonly sshHosts?: readonly number[];
}

/** A host engine's TLS listener and the server side of its TLS material (written by tls.ts). */
export interface HostTcp {
    /** `tcp://<address>:2376`: what a stack's `hosts[].docker` names for this engine. */
    readonly endpoint: string;
    readonly caFile: string;
    readonly certFile: string;
    readonly keyFile: string;
}

/** A host's sshd: where it listens and the files it reads and writes (written by ssh.ts). */
export interface HostSsh {
    /** `ssh://root@<address>:22`: what a stack's `hosts[].docker` names for this engine over SSH. */
    readonly endpoint: string;
    readonly configFile: string;
    readonly hostKeyFile: string;
    readonly authorizedKeysFile: string;
    /** The forced command of the client's key: the only thing a login may run. */
    readonly dialScript: string;
    readonly pidFile: string;
    readonly logFile: string;
    /** Under the host's cgroup, so a crash, freeze or teardown of the host takes its sshd too. */
    readonly cgroup: string;
}

/** The client side of the rig's SSH: one key for every ssh host, and the host keys it trusts. */
export interface RigSshClient {
    readonly dir: string;
    readonly keyFile: string;
    readonly knownHostsFile: string;
    /**
     * An ssh_config standing for the deploy machine's own (~/.ssh/config): it trusts only the rig's
     * host keys and never prompts. Handed to the `ssh` binary with -F; never written to ~/.ssh.
     */
    readonly configFile: string;
}

export interface HostPlan {
    /** `<prefix>-h<i>`: the host's network namespace, cgroup, and the root of its paths. */
    readonly name: string;
    readonly index: number;
    /** The host's private address on the rig's switch: what its containers publish on. */
    readonly address: string;
    /** The host's end of its link, inside its namespace. */
    readonly hostLink: string;
    /** The switch's end of the host's link: taking it down cuts the host off. */
    readonly switchLink: string;
    readonly runDir: string;
    readonly socket: string;
    /** The `host` a docker.Provider (and dockerode) uses for this engine. */
    readonly endpoint: string;
    readonly pidFile: string;
    readonly configFile: string;
    readonly stateDir: string;
    readonly dataRoot: string;
    readonly logFile: string;
    /** The cgroup (same path under every v1 controller) holding the engine and its containers. */
    readonly cgroup: string;
    /** Where the engine's own processes (dockerd, containerd, shims) live, beside the containers. */
    readonly engineCgroup: string;
    /** Only for the `tlsHosts`: the engine's TLS listener. */
    readonly tcp?: HostTcp;
    /** Only for the `sshHosts`: the host's sshd. */
    readonly ssh?: HostSsh;
}

export interface RigPlan {
    readonly prefix: string;
    readonly switchNamespace: string;
    readonly bridge: string;
    /** The root namespace's leg on the switch, so tests reach every host address. */
    readonly rootLink: string;
    readonly rootSwitchLink: string;
    readonly rootAddress: string;
    readonly prefixLength: number;
    /** Everything under it belongs to the rig: data roots, logs. */
    readonly stateDir: string;
    /** The rig's CA and client material, when any host has a TLS listener. */
    readonly tlsDir: string;
    /** The client's key, known hosts and ssh_config, when any host has an sshd. */
    readonly sshClient: RigSshClient;
    readonly hosts: readonly HostPlan[];
}

/** The port Docker's documentation uses for an engine's TLS listener. */
export const RIG_TLS_PORT = 2376;

/** SSH's own port: an ssh:// endpoint without a port means it, and each host has its own address. */
export const RIG_SSH_PORT = 22;

/** The v1 controllers the rig makes its cgroups in: pids to find every process, freezer to freeze. */
export const RIG_CGROUP_CONTROLLERS = ["pids", "freezer"] as const;

const PREFIX = /^[a-z][a-z0-9]{1,7}$/;
const SUBNET = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.0\/24$/;
/** Host addresses start past the root leg (.1) so that `.10 + i` reads as "host i". */
const FIRST_HOST_OCTET = 10;

/** The whole rig's layout. Pure: the same parameters always give the same names. */
export function planRig(params: RigParams): RigPlan {
    const { prefix, hosts, subnet, tlsHosts = [], sshHosts = [] } = params;
    // `<prefix>-rs` must fit Linux's 15-character link names with room for the host index.
    if (!PREFIX.test(prefix))
        throw new RigError("plan", "", `prefix ${JSON.stringify(prefix)} must be 2-8 lowercase letters or digits, starting with a letter`);
    const m = SUBNET.exec(subnet);
    if (!m || m.slice(1).some((o) => Number(o) > 255))
        throw new RigError("plan", "", `subnet ${JSON.stringify(subnet)} must be a /24 like 10.77.0.0/24`);
    if (!Number.isInteger(hosts) || hosts < 1 || hosts > 200) throw new RigError("plan", "", `hosts must be 1-200, got ${hosts}`);
    for (const [option, indexes] of [
        ["tlsHosts", tlsHosts],
        ["sshHosts", sshHosts],
    ] as const) {
        const outside = indexes.filter((i) => !Number.isInteger(i) || i < 0 || i >= hosts);
        if (outside.length) throw new RigError("plan", "", `${option} ${outside.join(", ")} are not hosts of a rig of ${hosts}`);
    }
    const net = m.slice(1, 4).join(".");
    const stateDir = `/var/lib/${prefix}-rig`;
    return {
        prefix,
        switchNamespace: `${prefix}-switch`,
        bridge: `${prefix}-br`,
        rootLink: `${prefix}-r`,
        rootSwitchLink: `${prefix}-rs`,
        rootAddress: `${net}.1`,
        prefixLength: 24,
        stateDir,
        tlsDir: `${stateDir}/tls`,
        sshClient: {
            dir: `${stateDir}/ssh`,
            keyFile: `${stateDir}/ssh/client-key`,
            knownHostsFile: `${stateDir}/ssh/known_hosts`,
            configFile: `${stateDir}/ssh/ssh_config`,
        },
        hosts: Array.from({ length: hosts }, (_, index) => {
            const name = `${prefix}-h${index}`;
            const runDir = `/run/${name}`;
            const hostState = `${stateDir}/${name}`;
            const address = `${net}.${FIRST_HOST_OCTET + index}`;
            const tcp: HostTcp | undefined = tlsHosts.includes(index)
                ? {
                      endpoint: `tcp://${address}:${RIG_TLS_PORT}`,
                      caFile: `${stateDir}/tls/ca.pem`,
                      certFile: `${hostState}/tls/server.pem`,
                      keyFile: `${hostState}/tls/server-key.pem`,
                  }
                : undefined;
            const ssh: HostSsh | undefined = sshHosts.includes(index)
                ? {
                      endpoint: `ssh://root@${address}:${RIG_SSH_PORT}`,
                      configFile: `${hostState}/ssh/sshd_config`,
                      hostKeyFile: `${hostState}/ssh/host-key`,
                      authorizedKeysFile: `${hostState}/ssh/authorized_keys`,
                      dialScript: `${hostState}/ssh/dial-stdio`,
                      pidFile: `${runDir}/sshd.pid`,
                      logFile: `${hostState}/sshd.log`,
                      cgroup: `/${name}/sshd`,
                  }
                : undefined;
            return {
                name,
                index,
                address,
                hostLink: `${prefix}-h${index}`,
                switchLink: `${prefix}-s${index}`,
                runDir,
                socket: `${runDir}/docker.sock`,
                endpoint: `unix://${runDir}/docker.sock`,
                pidFile: `${runDir}/docker.pid`,
                configFile: `${runDir}/daemon.json`,
                stateDir: hostState,
                dataRoot: `${hostState}/data`,
                logFile: `${hostState}/dockerd.log`,
                cgroup: `/${name}`,
                engineCgroup: `/${name}/engine`,
                ...(tcp ? { tcp } : {}),
                ...(ssh ? { ssh } : {}),
            };
        }),
    };
}

/**
 * The dockerd command line of one host: everything it keeps (data, exec state, pid file,
 * socket, containerd namespaces, cgroups) is the host's own, so engines never see each other.
 */
export function dockerdArgs(host: HostPlan): string[] {
    return [
        "--data-root",
        host.dataRoot,
        "--exec-root",
        `${host.runDir}/exec`,
        "--pidfile",
        host.pidFile,
        "-H",
        host.endpoint,
        "--config-file",
        host.configFile,
        "--cgroup-parent",
        host.cgroup,
        "--containerd-namespace",
        host.name,
        "--containerd-plugins-namespace",
        `${host.name}-plugins`,
        // A second listener, as on a remote host: only clients with a certificate from the rig's
        // CA get in, and they check the engine's against it.
        ...(host.tcp
            ? [
                  "-H",
                  host.tcp.endpoint,
                  "--tlsverify",
                  "--tlscacert",
                  host.tcp.caFile,
                  "--tlscert",
                  host.tcp.certFile,
                  "--tlskey",
                  host.tcp.keyFile,
              ]
            : []),
    ];
}

/**
 * The engine's daemon.json. Containers' own bridge stays private to the host's namespace (each
 * namespace has its own iptables), so every host may use Docker's default pools.
 */
export const daemonConfig = (): Record<string, unknown> => ({ "log-driver": "json-file", "storage-driver": "overlay2" });
