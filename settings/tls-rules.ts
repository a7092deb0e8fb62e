// Rules the `tls` block must meet before anything is created, one small pure function per rule.
// Each failure carries a kind (what tests and callers match on) and a message naming the setting
// and the fix. Both are cross-field rules: each value alone is range-checked by the schema.
import { PROJECT, TlsConfig } from "./schema";

export type TlsRuleKind =
    | "renewal-window-too-long"
    | "ca-expires-before-leaves"
    /** caNextGeneration and caPreviousGeneration together: two rotation phases at once. */
    | "ca-rotation-overlap"
    /** caNextGeneration not above caGeneration, or caPreviousGeneration not below it. */
    | "ca-generation-order"
    /** A rotation setting on a stack without TLS. */
    | "ca-rotation-without-tls";

export interface TlsRuleFailure {
    readonly kind: TlsRuleKind;
    readonly message: string;
}

const at = (setting: string, message: string) => `${PROJECT}:cluster.tls.${setting}: ${message}`;

/**
 * The provider replaces a certificate at the first deploy inside its renewal window
 * (`early_renewal_hours`, terraform-provider-tls common_cert.go modifyPlanIfCertificateReadyForRenewal).
 * A window of half the validity or more would renew a certificate at most a few deploys after it was
 * made, and one as long as the validity on every deploy.
 */
export function renewalWindowFitsValidity(tls: TlsConfig): TlsRuleFailure[] {
    if (tls.renewalWindowHours * 2 < tls.validityHours) return [];
    return [
        {
            kind: "renewal-window-too-long",
            message: at(
                "renewalWindowHours",
                `${tls.renewalWindowHours} h is not less than half of tls.validityHours (${tls.validityHours} h), so certificates would be renewed soon after they are made; set it below ${Math.ceil(tls.validityHours / 2)}, e.g. ${Math.floor(tls.validityHours / 12)}`,
            ),
        },
    ];
}

/**
 * A leaf stops verifying when its CA expires, whatever its own dates. The CA must outlive a leaf
 * made on its last day before renewal: the leaves' validity plus their renewal window.
 */
export function caOutlivesLeaves(tls: TlsConfig): TlsRuleFailure[] {
    const needed = tls.validityHours + tls.renewalWindowHours;
    if (tls.caValidityHours >= needed) return [];
    return [
        {
            kind: "ca-expires-before-leaves",
            message: at(
                "caValidityHours",
                `${tls.caValidityHours} h is shorter than tls.validityHours + tls.renewalWindowHours (${needed} h), so certificates would outlive the CA that signed them; set it to at least ${needed}`,
            ),
        },
    ];
}

/**
 * A CA rotation (docs/tls.md "Rotating the CA") is three deploys, each a state of the config:
 * 1. `caNextGeneration: N`: CA N is made and trusted beside `caGeneration` G, which still signs;
 * 2. `caGeneration: N`, `caPreviousGeneration: G`: N signs (every leaf re-issued), G still trusted;
 * 3. `caGeneration: N` alone: G is dropped.
 * What the config alone shows to be wrong is refused here. Whether deploy 1 ran before deploy 2
 * the config cannot show (deploy 2 looks the same either way): the settings step refuses to install
 * a leaf of a CA its server does not trust yet (ops/cluster/tls-renewal.ts, kind `ca-not-trusted`).
 */
export function caRotationPhase(tls: TlsConfig): TlsRuleFailure[] {
    const { caGeneration: current, caNextGeneration: next, caPreviousGeneration: previous } = tls;
    if (next === undefined && previous === undefined) return [];
    if (!tls.enabled)
        return [
            {
                kind: "ca-rotation-without-tls",
                message: at(
                    next !== undefined ? "caNextGeneration" : "caPreviousGeneration",
                    "a CA rotation needs cluster.tls.enabled: true; remove it (a stack without TLS has no CA)",
                ),
            },
        ];
    if (next !== undefined && previous !== undefined)
        return [
            {
                kind: "ca-rotation-overlap",
                message: at(
                    "caNextGeneration",
                    `is set together with tls.caPreviousGeneration (${previous}): one rotation at a time. Finish the last one first ` +
                        `(remove caPreviousGeneration and deploy: its CA is dropped), then set caNextGeneration: ${next} and deploy`,
                ),
            },
        ];
    if (next !== undefined && next <= current)
        return [
            {
                kind: "ca-generation-order",
                message: at(
                    "caNextGeneration",
                    `${next} is not above tls.caGeneration (${current}): a rotation makes a new CA, so set caNextGeneration: ${current + 1}`,
                ),
            },
        ];
    if (previous !== undefined && previous >= current)
        return [
            {
                kind: "ca-generation-order",
                message: at(
                    "caPreviousGeneration",
                    `${previous} is not below tls.caGeneration (${current}): the switch raises caGeneration to the new CA's generation ` +
                        `and names the old one here, e.g. caGeneration: ${previous + 1} with caPreviousGeneration: ${previous}, ` +
                        `after a deploy with caGeneration: ${previous} and caNextGeneration: ${previous + 1}`,
                ),
            },
        ];
    return [];
}

/** Every rule of the `tls` block; checked whether or not TLS is on, so turning it on later meets no surprise. */
export const checkTls = (tls: TlsConfig): TlsRuleFailure[] => [
    ...renewalWindowFitsValidity(tls),
    ...caOutlivesLeaves(tls),
    ...caRotationPhase(tls),
];
