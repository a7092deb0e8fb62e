import { SERVER_KINDS, ServerKind } from "../../settings/address-plan";
import type { StackDataVolume } from "../../settings/docker-names";
import { PREVIOUS_KEY, PreviousKey, PROJECT } from "../../settings/validate";
import { EMPTY_VOLUME_LOG } from "../../render/container-scripts";
import type { VolumeCheckRequest } from "../../contracts/volume-check";
import type { VolumeFacts } from "../docker/data-volumes";

/**
 * Data volumes a stack finds already there when it deploys: what `destroy` and a scale-down
 * leave behind on purpose (`retainOnDelete`). Their servers keep the passwords they were
 * deployed with, in the config files on the volume; a stack re-created with generated passwords
 * cannot know those. Pure decisions here; Docker reads in ops/docker/data-volumes.ts, the request
 * the program sends in contracts/volume-check.ts, the CLIs in cli/ (check-volumes, volumes,
 * apply-settings through ./kept-volume-refusal.ts).
 *
 * Two places decide:
 *   1. The volume check (cli/check-volumes.ts), the stack's first step: on a state's first deploy,
 *      before any volume, network or container exists, it looks for the declared data volumes.
 *      If some exist, none is mounted (the stack's servers are gone: a destroyed stack, not one
 *      that runs), and a password their servers need is one this state generates with no
 *      `...Previous` key set, the deploy stops there, naming the volumes (kept-volumes).
 *   2. A settings step whose server refuses every configured password: on the step's first run
 *      in this state, on a volume that was not empty when the server's container first started,
 *      that is a kept volume (explicit passwords that differ from the kept ones, a scale-up onto
 *      a volume a scale-down left), not a rotation done wrong.
 */

/**
 * Why the volume check failed (never read back from a message); a missing or malformed request is
 * contracts/volume-check.ts's `bad-environment`.
 */
export type VolumeCheckFailureKind = "kept-volumes" | "unreachable" | "users-on-existing-stack";

export class VolumeCheckError extends Error {
    constructor(
        readonly kind: VolumeCheckFailureKind,
        message: string,
    ) {
        super(message);
        this.name = "VolumeCheckError";
    }
}

export interface KeptVolume extends StackDataVolume {
    readonly createdAt?: string;
}

export type VolumeJudgement =
    /** None of the declared volumes exists: a new stack. */
    | { readonly verdict: "new" }
    /** Some are mounted: the stack's servers run on them (an existing stack); nothing to judge here. */
    | { readonly verdict: "in-use"; readonly inUse: readonly string[] }
    /** Kept volumes whose passwords the config may know (set explicitly, or the earlier ones as `...Previous`). */
    | { readonly verdict: "adopt"; readonly kept: readonly KeptVolume[] }
    /** Kept volumes whose servers cannot accept this state's generated passwords: stop before anything is made. */
    | { readonly verdict: "kept-volumes"; readonly kept: readonly KeptVolume[]; readonly missingKeys: readonly PreviousKey[] };

/** The volume check's decision from the request and what Docker has of the declared volumes. */
export function judgeDataVolumes(
    request: Pick<VolumeCheckRequest, "volumes" | "generated" | "previous">,
    found: readonly VolumeFacts[],
): VolumeJudgement {
    const byName = new Map(found.map((f) => [f.name, f]));
    const existing = request.volumes.flatMap((v) => {
        const facts = byName.get(v.name);
        return facts ? [{ volume: v, facts }] : [];
    });
    if (existing.length === 0) return { verdict: "new" };
    const inUse = existing.filter((e) => e.facts.usedBy.length > 0).map((e) => e.volume.name);
    if (inUse.length > 0) return { verdict: "in-use", inUse };
    const kept = existing.map((e) => ({ ...e.volume, createdAt: e.facts.createdAt }));
    const missingKeys = SERVER_KINDS.filter(
        (kind) => kept.some((v) => v.kind === kind) && request.generated[kind] && !request.previous[kind],
    ).map((kind) => PREVIOUS_KEY[kind]);
    return missingKeys.length > 0 ? { verdict: "kept-volumes", kept, missingKeys } : { verdict: "adopt", kept };
}

/**
 * The users check's decision: a stack first deployed with `cluster.users.enabled` starts on no
 * volume of its own. Any that exists, in use or kept, holds servers made without the users (or
 * with another state's passwords), which the users' scripts and tools could not log in to.
 */
export function usersCheckRefusal(stack: string, judgement: VolumeJudgement): VolumeCheckError | undefined {
    if (judgement.verdict === "new") return undefined;
    const names = judgement.verdict === "in-use" ? judgement.inUse : judgement.kept.map((v) => v.name);
    return new VolumeCheckError(
        "users-on-existing-stack",
        `${PROJECT}:cluster.users.enabled is true, but stack ${stack} already has data volumes (${names.join(", ")}) made without the ACL users ` +
            `(or by another state). Users are chosen when a stack is created; a deployed stack moves onto them only through the migration steps ` +
            `and cluster.users.migrated (docs/security.md, "Moving an existing stack onto users"). Nothing was changed: set cluster.users.enabled back to false, ` +
            `or, for a stack you mean to start empty, destroy it and remove its volumes (${removeVolumesCommand(stack)}).`,
    );
}

/** The command that lists and removes a stack's kept data volumes (cli/volumes.ts). */
export const removeVolumesCommand = (stack: string): string => `npm run volumes -- --stack ${stack} --remove`;

const DOCS_SECTION = 'docs/operations.md, "Re-creating a stack on kept volumes"';

const volumeLine = (v: { name: string; createdAt?: string }): string =>
    `  ${v.name} (created ${v.createdAt ?? "at an unknown time"}, as Docker reports it)`;

/** The volume check's message for a kept-volumes verdict: the volumes, their age and both ways forward. */
export function keptVolumesMessage(stack: string, judgement: Extract<VolumeJudgement, { verdict: "kept-volumes" }>): string {
    const generated = judgement.missingKeys.map((k) => (k === PREVIOUS_KEY.redis ? "redisPassword" : "sentinelPassword")).join(" and ");
    return [
        `stack ${stack} would start on ${judgement.kept.length} data volume(s) that an earlier deploy of it left (destroy keeps them), ` +
            `whose servers accept only that deploy's passwords; this stack's ${generated} ${judgement.missingKeys.length > 1 ? "are" : "is"} ` +
            "generated anew, so no server on them would accept it. This is not a password rotation. The volumes:",
        ...judgement.kept.map(volumeLine),
        "No volume, network or container was created. Either:",
        `  - adopt their data: set the passwords that deploy had as ${judgement.missingKeys.join(" and ")} ` +
            `(pulumi config set --secret appscreens-redis:<key>; ${DOCS_SECTION} says where to read them), deploy, ` +
            "then remove those keys and deploy again, as when rotating; or",
        `  - start empty: ${removeVolumesCommand(stack)} (deletes their data), then deploy.`,
    ].join("\n");
}

/**
 * Whether a server's data volume was empty when its container first started, from that
 * container's log: the start script logs EMPTY_VOLUME_LOG when it installs the initial config.
 * Undefined when the log could not be read.
 */
export const volumeWasEmpty = (containerLog: string | undefined): boolean | undefined =>
    containerLog === undefined ? undefined : containerLog.includes(EMPTY_VOLUME_LOG);

export interface RejectionFacts {
    /** The settings step's first run in this state (its create): the server never took this state's passwords. */
    readonly firstRun: boolean;
    /** Whether the data volume was empty when the server's container first started (undefined: unknown). */
    readonly volumeWasEmpty?: boolean;
}

/**
 * A server that refuses every configured password: a volume kept from an earlier deploy, or a
 * password changed without its previous one? Kept when this is the step's first run (the server
 * never accepted this state's passwords) and the volume already held a config when the server's
 * container first started (its passwords came from there, not from this deploy's initial config).
 * Docker's CreatedAt cannot tell: Docker 20.10 reports the last change of the volume's top
 * directory, which every start changes (the start script's chown).
 */
export function rejectionKind(facts: RejectionFacts): "kept-volumes" | "rejected-passwords" {
    return facts.firstRun && facts.volumeWasEmpty === false ? "kept-volumes" : "rejected-passwords";
}

export interface KeptServerInput {
    readonly stack: string;
    readonly server: string;
    readonly kind: ServerKind;
    readonly volume: string;
    readonly volumeCreatedAt?: string;
    /** Reply codes of the refused AUTHs (WRONGPASS, ...). */
    readonly refused: readonly string[];
    readonly previousConfigured: boolean;
}

/** The settings step's message for a server on a kept volume that refuses the configured passwords. */
export function keptServerMessage(input: KeptServerInput): string {
    const key = PREVIOUS_KEY[input.kind];
    return (
        `${input.server} runs on data volume ${input.volume} (created ${input.volumeCreatedAt ?? "at an unknown time"}), ` +
        "which already held a server's config when this deploy started its container: a volume an earlier deploy left " +
        `(destroy and scale-down keep them), and its server accepts none of the configured passwords (${input.refused.join(", ")}). ` +
        `This is not a password rotation. Either adopt its data: set the password it was deployed with as ${key}` +
        `${input.previousConfigured ? " (the one set now is not it)" : ""} (secret) and deploy, then remove ${key} and deploy again; ` +
        "or start it empty: destroy the stack (npm run destroy), then " +
        `${removeVolumesCommand(input.stack)}, and deploy. \`npm run volumes -- --stack ${input.stack}\` lists them (${DOCS_SECTION}).`
    );
}

/**
 * Which of a stack's data volumes a removal deletes: all of them or none. Never one a container
 * mounts, running or not; and while any is mounted, none: the stack (or part of it, after a
 * deploy that stopped half-way) still runs, and the unmounted ones may hold the data it is about
 * to adopt.
 */
export function planRemoval(facts: readonly VolumeFacts[]): { remove: string[]; refuse: { name: string; reason: string }[] } {
    const inUse = facts.filter((f) => f.usedBy.length > 0);
    if (inUse.length === 0) return { remove: facts.map((f) => f.name), refuse: [] };
    return {
        remove: [],
        refuse: facts.map((f) => ({
            name: f.name,
            reason: f.usedBy.length > 0 ? `in use by ${f.usedBy.join(", ")}` : "kept back: other data volumes of the stack are in use",
        })),
    };
}

/** What `npm run volumes` found and did, printed as JSON or a table (no secret in it). */
export interface VolumesReport {
    readonly stack: string;
    /** `host`: with `hosts`, the one whose engine holds the volume. */
    readonly volumes: readonly (StackDataVolume & {
        readonly createdAt?: string;
        readonly usedBy: readonly string[];
        readonly host?: string;
    })[];
    /** Only with --remove. */
    readonly removed?: readonly string[];
    readonly refused?: readonly { name: string; reason: string }[];
}

/** The report as an operator reads it on a terminal. */
export function formatVolumesReport(report: VolumesReport): string {
    if (report.volumes.length === 0) return `stack ${report.stack}: no data volumes on its Docker Engine(s)`;
    const rows = report.volumes.map((v) => [
        v.host ? `${v.name} (${v.host})` : v.name,
        v.createdAt ?? "?",
        v.usedBy.length > 0 ? `in use by ${v.usedBy.join(", ")}` : report.removed?.includes(v.name) ? "removed" : "kept (no container)",
    ]);
    const widths = [0, 1].map((i) => Math.max(...rows.map((r) => r[i].length), i === 0 ? 6 : 7));
    const lines = [["volume", "created", "state"], ...rows].map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`);
    for (const r of report.refused ?? []) lines.push(`refused to remove ${r.name}: ${r.reason}`);
    const kept = report.volumes.filter((v) => v.usedBy.length === 0 && !report.removed?.includes(v.name));
    if (report.removed === undefined && kept.length > 0)
        lines.push(`to delete the kept ones and their data: ${removeVolumesCommand(report.stack)}`);
    return lines.join("\n");
}
