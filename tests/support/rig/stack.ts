import { StackConfigObject } from "../../../settings/stack-file";
import { RigPlan } from "./plan";
import { RigClientTls } from "./tls";

/**
 * A stack config placing its servers on the rig's hosts: one `hosts` entry per rig host (its
 * engine's socket, its address on the switch), and `publish.host` dropped, which a hosts stack
 * must not set (each server publishes on its own host's address). `count` takes only the first
 * hosts, leaving the others' engines for a later change of the hosts list. With `clientTls`, a
 * host that has a TLS listener is reached at its tcp:// endpoint, its PEMs in the `hostTls`
 * secret, as a remote engine would be. Pure.
 */
export function onRigHosts(
    config: StackConfigObject,
    plan: RigPlan,
    count = plan.hosts.length,
    clientTls?: RigClientTls,
): StackConfigObject {
    const cluster = { ...((config.cluster as StackConfigObject | undefined) ?? {}) };
    if (cluster.publish && typeof cluster.publish === "object") {
        const publish = { ...(cluster.publish as StackConfigObject) };
        delete publish.host;
        cluster.publish = publish;
    }
    const hosts = plan.hosts.slice(0, count);
    const overTls = clientTls ? hosts.filter((h) => h.tcp) : [];
    cluster.hosts = hosts.map((h) => ({
        name: h.name,
        docker: overTls.includes(h) ? (h.tcp?.endpoint as string) : h.endpoint,
        address: h.address,
    }));
    const hostTls = clientTls && overTls.length ? { hostTls: Object.fromEntries(overTls.map((h) => [h.name, { ...clientTls }])) } : {};
    return { ...config, cluster, ...hostTls };
}
