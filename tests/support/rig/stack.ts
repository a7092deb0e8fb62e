import { StackConfigObject } from "../../../settings/stack-file";
import { RigPlan } from "./plan";

/**
 * A stack config placing its servers on the rig's hosts: one `hosts` entry per rig host (its
 * engine's socket, its address on the switch), and `publish.host` dropped, which a hosts stack
 * must not set (each server publishes on its own host's address). `count` takes only the first
 * hosts, leaving the others' engines for a later change of the hosts list. Pure.
 */
export function onRigHosts(config: StackConfigObject, plan: RigPlan, count = plan.hosts.length): StackConfigObject {
    const cluster = { ...((config.cluster as StackConfigObject | undefined) ?? {}) };
    if (cluster.publish && typeof cluster.publish === "object") {
        const publish = { ...(cluster.publish as StackConfigObject) };
        delete publish.host;
        cluster.publish = publish;
    }
    cluster.hosts = plan.hosts.slice(0, count).map((h) => ({ name: h.name, docker: h.endpoint, address: h.address }));
    return { ...config, cluster };
}
