import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { CaPlan, LeafPlan, TLS_KEY_ALGORITHM, TlsPlan } from "../settings/tls-plan";
import { TLS_ENV } from "../contracts/env";
import { ClientCertificate, tlsEnvironment } from "../contracts/tls-env";

/** One certificate and its key, as a later step uploads them into a container or hands them to a client. */
export interface TlsMaterial {
    readonly certPem: pulumi.Output<string>;
    /** Always a secret: in state and in every output it is encrypted. */
    readonly keyPem: pulumi.Output<string>;
}

export interface StackTlsArgs {
    readonly plan: TlsPlan;
}

/**
 * Private keys are secret outputs of the provider already (its SDK lists them in
 * additionalSecretOutputs); listing them here too keeps them secret if a provider release ever
 * stops doing so, and `pulumi.secret` below keeps them secret in every output derived from them.
 */
const KEY_SECRETS = { additionalSecretOutputs: ["privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"] };

/**
 * The stack's CA (two during a rotation, each generation a key and a self-signed certificate of its
 * own) and, per planned leaf (settings/tls-plan.ts), a key, a certificate request and the
 * certificate the signing CA signs. Declares keys and certificates only: nothing here reaches a container.
 */
export class StackTls extends pulumi.ComponentResource {
    /**
     * Every CA the servers and clients trust, concatenated, the signing one first: the stack's CA,
     * or during a rotation both (docs/tls.md "Rotating the CA"). What a server's CA file holds, what
     * every client verifies with, and the `tlsCaCert` output.
     */
    public readonly trustPem: pulumi.Output<string>;
    /** By server name (`redis-0`, `sentinel-2`, ...). */
    public readonly servers: Readonly<Record<string, TlsMaterial>>;
    /** By client (`app`, `warmer`, `exporter`, `tools`); empty with `authClients: optional`. */
    public readonly clients: Readonly<Record<string, TlsMaterial>>;

    constructor(name: string, args: StackTlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("appscreens:redis:StackTls", name, {}, opts);
        const { plan } = args;
        const declareCa = (p: CaPlan) => {
            const key = new tls.PrivateKey(p.keyName, { ...TLS_KEY_ALGORITHM }, { parent: this, ...KEY_SECRETS });
            const cert = new tls.SelfSignedCert(
                p.certName,
                {
                    privateKeyPem: pulumi.secret(key.privateKeyPem),
                    subject: p.subject,
                    isCaCertificate: true,
                    allowedUses: [...p.allowedUses],
                    validityPeriodHours: p.validityHours,
                    // No early renewal: a new CA replaces every leaf it signed (a LocallySignedCert's
                    // ca_cert_pem forces a replacement) while the servers trust only the old one. A CA
                    // is replaced by a rotation through a bundle instead (a new generation).
                },
                // A CA keeps the lifetime it was made with: a change of tls.caValidityHours would
                // otherwise replace the signing CA and every leaf at once, which is the failure the
                // rotation avoids. The new lifetime applies to the next generation.
                { parent: this, ignoreChanges: ["validityPeriodHours"] },
            );
            return { keyPem: pulumi.secret(key.privateKeyPem), certPem: cert.certPem };
        };
        const [signing, ...others] = plan.trusted.map(declareCa);
        if (!signing || plan.trusted[0]?.generation !== plan.ca.generation) throw new Error("the TLS plan must trust its signing CA first");
        this.trustPem = pulumi
            .all([signing.certPem, ...others.map((o) => o.certPem)])
            .apply((pems) => pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join(""));
        const leaf = (p: LeafPlan): TlsMaterial => {
            const key = new tls.PrivateKey(`${p.name}-tls-key`, { ...TLS_KEY_ALGORITHM }, { parent: this, ...KEY_SECRETS });
            const keyPem = pulumi.secret(key.privateKeyPem);
            const request = new tls.CertRequest(
                `${p.name}-tls-csr`,
                { privateKeyPem: keyPem, subject: p.subject, ...(p.ipAddresses.length > 0 ? { ipAddresses: [...p.ipAddresses] } : {}) },
                { parent: this },
            );
            const cert = new tls.LocallySignedCert(
                `${p.name}-tls-cert`,
                {
                    certRequestPem: request.certRequestPem,
                    caPrivateKeyPem: signing.keyPem,
                    caCertPem: signing.certPem,
                    allowedUses: [...p.allowedUses],
                    validityPeriodHours: plan.validityHours,
                    earlyRenewalHours: plan.earlyRenewalHours,
                },
                { parent: this },
            );
            return { certPem: cert.certPem, keyPem };
        };
        this.servers = Object.fromEntries(plan.servers.map((p) => [p.name, leaf(p)]));
        this.clients = Object.fromEntries(plan.clients.map((p) => [p.subject.commonName, leaf(p)]));
        this.registerOutputs({ trustPem: this.trustPem });
    }

    /**
     * The value of TLS_ENV (contracts/tls-env.ts) for the stack's own processes, a secret: the trusted
     * CAs (trustPem), the tools' certificate and, `withWarmer`, the warmer's (each absent with `authClients:
     * optional`), and the expiry check's window.
     */
    clientEnvironment(renewalWindowHours: number, withWarmer: boolean): pulumi.Output<string> {
        const pair = (who: string): pulumi.Output<ClientCertificate | undefined> => {
            const m = this.clients[who];
            return m ? pulumi.all([m.certPem, m.keyPem]).apply(([cert, key]) => ({ cert, key })) : pulumi.output(undefined);
        };
        return pulumi.secret(
            pulumi
                .all([this.trustPem, pair("tools"), withWarmer ? pair("warmer") : pulumi.output(undefined)])
                .apply(
                    ([ca, tools, warmer]) =>
                        tlsEnvironment({ ca, ...(tools ? { tools } : {}), ...(warmer ? { warmer } : {}), renewalWindowHours })[TLS_ENV],
                ),
        );
    }
}
