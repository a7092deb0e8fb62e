import { HostPlan, RigPlan } from "./plan";
import { run, runQuietly } from "./run";

/**
 * The rig's network: a "switch" namespace holding a bridge, each host's namespace joined to it by
 * a veth pair, and a leg of the root namespace on the same bridge. The bridge is not in the root
 * namespace because a root dockerd sets FORWARD to DROP there; nothing leaves the rig's
 * namespaces and loopback.
 */
export async function createNetwork(plan: RigPlan): Promise<void> {
    const sw = plan.switchNamespace;
    const cidr = (address: string) => `${address}/${plan.prefixLength}`;
    await run("", "ip", ["netns", "add", sw]);
    await run("", "ip", ["-n", sw, "link", "add", plan.bridge, "type", "bridge"]);
    await run("", "ip", ["-n", sw, "link", "set", plan.bridge, "up"]);
    await run("", "ip", ["-n", sw, "link", "set", "lo", "up"]);
    await run("", "ip", ["link", "add", plan.rootLink, "type", "veth", "peer", "name", plan.rootSwitchLink, "netns", sw]);
    await run("", "ip", ["-n", sw, "link", "set", plan.rootSwitchLink, "master", plan.bridge, "up"]);
    await run("", "ip", ["addr", "add", cidr(plan.rootAddress), "dev", plan.rootLink]);
    await run("", "ip", ["link", "set", plan.rootLink, "up"]);
    for (const host of plan.hosts) await createHostNamespace(plan, host);
}

async function createHostNamespace(plan: RigPlan, host: HostPlan): Promise<void> {
    const sw = plan.switchNamespace;
    await run(host.name, "ip", ["netns", "add", host.name]);
    await run(host.name, "ip", ["-n", host.name, "link", "set", "lo", "up"]);
    await run(host.name, "ip", [
        "-n",
        host.name,
        "link",
        "add",
        host.hostLink,
        "type",
        "veth",
        "peer",
        "name",
        host.switchLink,
        "netns",
        sw,
    ]);
    await run(host.name, "ip", ["-n", sw, "link", "set", host.switchLink, "master", plan.bridge, "up"]);
    await run(host.name, "ip", ["-n", host.name, "addr", "add", `${host.address}/${plan.prefixLength}`, "dev", host.hostLink]);
    await run(host.name, "ip", ["-n", host.name, "link", "set", host.hostLink, "up"]);
}

/** The rig's namespaces that exist now, by name (`ip netns list` prints "name (id: n)"). */
export async function rigNamespaces(prefix: string): Promise<string[]> {
    const out = await run("", "ip", ["netns", "list"]);
    return out
        .split("\n")
        .map((l) => l.split(" ")[0])
        .filter((n) => n.startsWith(`${prefix}-`));
}

/**
 * Removes every namespace and the root leg carrying the prefix, whatever run made them.
 * Deleting a namespace deletes the veth ends inside it, and with them their peers.
 */
export async function removeNetwork(prefix: string, rootLink: string): Promise<void> {
    for (const ns of await rigNamespaces(prefix)) await run(ns, "ip", ["netns", "delete", ns]);
    await runQuietly("", "ip", ["link", "delete", rootLink]);
}

/** Takes the switch's end of a host's link down (`up` false) or up again: a cut, or its healing. */
export const setLink = (plan: RigPlan, host: HostPlan, up: boolean): Promise<string> =>
    run(host.name, "ip", ["-n", plan.switchNamespace, "link", "set", host.switchLink, up ? "up" : "down"]);
