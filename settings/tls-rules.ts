// Rules the `tls` block must meet before anything is created, one small pure function per rule.
// Each failure carries a kind (what tests and callers match on) and a message naming the setting
// and the fix. Both are cross-field rules: each value alone is range-checked by the schema.
import { PROJECT, TlsConfig } from "./schema";

export type TlsRuleKind = "renewal-window-too-long" | "ca-expires-before-leaves";

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

/** Every rule of the `tls` block; checked whether or not TLS is on, so turning it on later meets no surprise. */
export const checkTls = (tls: TlsConfig): TlsRuleFailure[] => [...renewalWindowFitsValidity(tls), ...caOutlivesLeaves(tls)];
