// A server container's TLS files, as a renewal changes them (ops/cluster/tls-renewal.ts): the new
// leaf and key go into the container through the Engine's archive API (the key never on a command
// line or in an environment), staged beside the old files on the data volume, then a root `exec`
// renames them over (render/tls-conf.ts tlsRenewalCommand). A CA rotation's bundle goes the same
// way (tlsTrustInstallCommand), and is read back through the same API to compare. A Sentinel,
// which cannot reload, is restarted through the Engine as `docker restart` would.
import type Docker from "dockerode";
import * as path from "node:path";
import type { ServerLeaf } from "../../contracts/tls-env";
import {
    stagedTlsFile,
    TLS_CONTAINER_FILES,
    tlsRenewalCommand,
    tlsTrustInstallCommand,
    tlsTrustLoadedCommand,
    tlsTrustPendingFile,
} from "../../render/tls-conf";
import { ArchiveFile, execAsRoot, putFiles, readFile } from "./container-files";

/** The CA file a server reads, as its container holds it. */
export interface TrustFile {
    /** Its PEM certificates; undefined when the file is missing. */
    readonly pem: string | undefined;
    /** Written by a rotation that has not seen the server load it yet (render/tls-conf.ts tlsTrustPendingFile). */
    readonly pending: boolean;
}

/** Writes a leaf and its key, or the CAs it trusts, over a server's TLS files, and restarts its container. */
export interface LeafInstaller {
    install(leaf: ServerLeaf): Promise<void>;
    restart(): Promise<void>;
    /** The CA file as it is now. */
    readTrust(): Promise<TrustFile>;
    /** Writes `pem` over the CA file, marked pending until `trustLoaded`. */
    installTrust(pem: string): Promise<void>;
    /** The server has loaded its CA file (reloaded or restarted): clears the pending mark. */
    trustLoaded(): Promise<void>;
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
        async readTrust() {
            const pem = await readFile(container, TLS_CONTAINER_FILES.caCert);
            // The mark is empty: whether it exists is all it says.
            const pending = (await readFile(container, tlsTrustPendingFile())) !== undefined;
            return { pem, pending };
        },
        async installTrust(pem) {
            const staged = path.basename(stagedTlsFile(TLS_CONTAINER_FILES.caCert));
            await putFiles(container, path.dirname(TLS_CONTAINER_FILES.caCert), [{ name: staged, content: pem, mode: 0o400 }]);
            await execAsRoot(container, tlsTrustInstallCommand());
        },
        async trustLoaded() {
            await execAsRoot(container, tlsTrustLoadedCommand());
        },
    };
}
