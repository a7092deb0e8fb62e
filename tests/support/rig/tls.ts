import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { HostPlan, RigPlan } from "./plan";
import { run } from "./run";

/** A client's three PEMs for a TLS engine: what a stack's `hostTls.<host>` secret holds. */
export interface RigClientTls {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
}

/** One openssl step; `ext` is the extension file `x509 -req -extfile` reads, when the step signs. */
export interface OpensslStep {
    readonly args: readonly string[];
    readonly ext?: { readonly file: string; readonly text: string };
}

// P-256 keys and two days: the rig lives for one test run.
const NEW_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
const DAYS = "2";

/** A self-signed CA in `dir` (ca.pem, ca-key.pem). */
export const caSteps = (dir: string, name: string): OpensslStep[] => [
    {
        args: [
            "req",
            "-x509",
            ...NEW_KEY,
            "-keyout",
            path.join(dir, "ca-key.pem"),
            "-out",
            path.join(dir, "ca.pem"),
            "-days",
            DAYS,
            "-subj",
            `/CN=${name}`,
        ],
    },
];

/**
 * A key and a certificate signed by the CA in `caDir`, written as `<base>.pem` and `<base>-key.pem`
 * in `dir`. An engine's certificate carries its address as an IP SAN with server auth (the client
 * checks both); the client's carries client auth, which dockerd's `--tlsverify` requires.
 */
export function leafSteps(caDir: string, dir: string, base: string, use: { server: string } | "client"): OpensslStep[] {
    const key = path.join(dir, `${base}-key.pem`);
    const csr = path.join(dir, `${base}.csr`);
    const ext = path.join(dir, `${base}.ext`);
    const text =
        use === "client" ? "extendedKeyUsage = clientAuth\n" : `subjectAltName = IP:${use.server}\nextendedKeyUsage = serverAuth\n`;
    return [
        { args: ["req", ...NEW_KEY, "-keyout", key, "-out", csr, "-subj", `/CN=${use === "client" ? "rig-client" : use.server}`] },
        {
            args: [
                "x509",
                "-req",
                "-in",
                csr,
                "-CA",
                path.join(caDir, "ca.pem"),
                "-CAkey",
                path.join(caDir, "ca-key.pem"),
                "-CAcreateserial",
                "-days",
                DAYS,
                "-extfile",
                ext,
                "-out",
                path.join(dir, `${base}.pem`),
            ],
            ext: { file: ext, text },
        },
    ];
}

async function runSteps(host: string, steps: readonly OpensslStep[]): Promise<void> {
    for (const step of steps) {
        if (step.ext) writeFileSync(step.ext.file, step.ext.text);
        await run(host, "openssl", step.args);
    }
}

/**
 * The rig's CA, a server certificate for each TLS host's engine (at the paths its dockerd reads,
 * plan.ts) and one client certificate. Returns the client's PEMs; undefined without TLS hosts.
 */
export async function makeRigTls(plan: RigPlan): Promise<RigClientTls | undefined> {
    const hosts = plan.hosts.filter((h): h is HostPlan & { tcp: NonNullable<HostPlan["tcp"]> } => h.tcp !== undefined);
    if (hosts.length === 0) return undefined;
    mkdirSync(plan.tlsDir, { recursive: true });
    await runSteps("", caSteps(plan.tlsDir, `${plan.prefix}-rig-ca`));
    for (const host of hosts) {
        const dir = path.dirname(host.tcp.certFile);
        mkdirSync(dir, { recursive: true });
        await runSteps(host.name, leafSteps(plan.tlsDir, dir, "server", { server: host.address }));
    }
    await runSteps("", leafSteps(plan.tlsDir, plan.tlsDir, "client", "client"));
    const read = (file: string) => readFileSync(path.join(plan.tlsDir, file), "utf8");
    return { ca: read("ca.pem"), cert: read("client.pem"), key: read("client-key.pem") };
}

/** Another CA's certificate, unrelated to the rig's: a client trusting it must refuse the engines. */
export async function strangerCa(plan: RigPlan): Promise<string> {
    const dir = path.join(plan.tlsDir, "stranger");
    mkdirSync(dir, { recursive: true });
    await runSteps("", caSteps(dir, "stranger-ca"));
    return readFileSync(path.join(dir, "ca.pem"), "utf8");
}
