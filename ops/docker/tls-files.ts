// A server container's TLS files, as a renewal changes them (ops/cluster/tls-renewal.ts): the new
// leaf and key go into the container through the Engine's archive API (the key never on a command
// line or in an environment), staged beside the old files on the data volume, then a root `exec`
// renames them over (render/tls-conf.ts tlsRenewalCommand). A Sentinel, which cannot reload, is
// restarted through the Engine as `docker restart` would.
import type Docker from "dockerode";
import * as path from "node:path";
import type { ServerLeaf } from "../../contracts/tls-env";
import { stagedTlsFile, TLS_CONTAINER_FILES, tlsRenewalCommand } from "../../render/tls-conf";
import { ArchiveFile, execAsRoot, putFiles } from "./container-files";

/** Writes a leaf and its key over a server's TLS files, and restarts its container. */
export interface LeafInstaller {
    install(leaf: ServerLeaf): Promise<void>;
    restart(): Promise<void>;
}

/** The staged pair, root's and 0400 until the command hands them to the redis user. */
function stagedPair(leaf: ServerLeaf): ArchiveFile[] {
    const entries: [string, string][] = [
        [TLS_CONTAINER_FILES.cert, leaf.cert],
        [TLS_CONTAINER_FILES.key, leaf.key],
    ];
    return entries.map(([file, content]) => ({ name: path.basename(stagedTlsFile(file)), content, mode: 0o400 }));
}

/** The installer a settings step uses for its server's container. `stopSeconds`: how long a restart lets it stop. */
export function dockerLeafInstaller(docker: Docker, containerId: string, stopSeconds: number): LeafInstaller {
    const container = docker.getContainer(containerId);
    return {
        async install(leaf) {
            await putFiles(container, path.dirname(TLS_CONTAINER_FILES.cert), stagedPair(leaf));
            await execAsRoot(container, tlsRenewalCommand());
        },
        async restart() {
            await container.restart({ t: stopSeconds });
        },
    };
}
