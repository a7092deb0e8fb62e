/**
 * What a change of each input property does with the real provider: replace the object
 * (Terraform `ForceNew`, a `RequiresReplace` plan modifier, or pulumi-command's
 * `replaceOnChanges`), or update it in place, and what that update does. Read from the
 * providers' source; docs/provider-behaviour.md names each file and function.
 *
 * Property names are the Pulumi SDK's (as the engine and the mocks see them). A property that
 * is not here is an error (`UnknownPropertyError`): the replay must not guess.
 */

/** What an in-place update of the property does to the real object. */
export type UpdateEffect =
    /** Only the state changes (the provider's update ignores it, or it only steers the provider). */
    | "state-only"
    /** `docker container update` with the restart policy and resource limits (resourceDockerContainerUpdate). */
    | "container-update"
    /** The command's `update` (or `create`) runs again with the new inputs (pulumi-command Command.Update). */
    | "rerun-command"
    /** The image is looked up again (resourceDockerImageUpdate). */
    | "reread-image";

export type PropertyBehaviour = { readonly change: "replace" } | { readonly change: "update"; readonly effect: UpdateEffect };

export interface TypeTable {
    /** Where the behaviour was read. */
    readonly source: string;
    /** The provider asks for delete-first replacement (its diff's DeleteBeforeReplace). */
    readonly deleteBeforeReplace?: boolean;
    readonly properties: Readonly<Record<string, PropertyBehaviour>>;
}

const REPLACE: PropertyBehaviour = { change: "replace" };
const update = (effect: UpdateEffect): PropertyBehaviour => ({ change: "update", effect });
const replaceAll = (names: readonly string[]) => Object.fromEntries(names.map((n) => [n, REPLACE]));

export const CONTAINER = "docker:index/container:Container";
export const NETWORK = "docker:index/network:Network";
export const VOLUME = "docker:index/volume:Volume";
export const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";
export const RANDOM_PASSWORD = "random:index/randomPassword:RandomPassword";
export const LOCAL_COMMAND = "command:local:Command";
export const TLS_PRIVATE_KEY = "tls:index/privateKey:PrivateKey";
export const TLS_CERT_REQUEST = "tls:index/certRequest:CertRequest";
export const TLS_SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert";
export const TLS_LOCALLY_SIGNED_CERT = "tls:index/locallySignedCert:LocallySignedCert";

const TLS_SOURCE = "hashicorp/terraform-provider-tls internal/provider/";
/**
 * A PEM input replaces when the old value was a PEM (common.go requireReplaceIfStateContainsPEMString,
 * always true for what the stack passes); `early_renewal_hours` has no plan modifier and Update
 * only copies the plan (common.go updatedUsingPlan).
 */
const CERT_COMMON = {
    ...replaceAll(["allowedUses", "validityPeriodHours", "isCaCertificate", "maxPathLength", "setSubjectKeyId"]),
    earlyRenewalHours: update("state-only"),
};

export const PROPERTY_TABLE: Readonly<Record<string, TypeTable>> = {
    [CONTAINER]: {
        source:
            "kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_container.go (schema), " +
            "resource_docker_container_funcs.go resourceDockerContainerUpdate; pulumi/pulumi-docker provider/resources.go",
        // pulumi-docker's bridge config: docker_container has DeleteBeforeReplace: true.
        deleteBeforeReplace: true,
        properties: {
            ...replaceAll([
                "name",
                "readOnly",
                "image",
                "hostname",
                "domainname",
                "command",
                "entrypoints",
                "user",
                "dns",
                "dnsOpts",
                "dnsSearches",
                "publishAllPorts",
                "workingDir",
                "capabilities",
                "securityOpts",
                "runtime",
                "platform",
                "stopSignal",
                "stopTimeout",
                "mounts",
                "volumes",
                "ports",
                "hosts",
                "ulimits",
                "envs",
                "privileged",
                "devices",
                "deviceRequests",
                "labels",
                "shmSize",
                "logDriver",
                "logOpts",
                "networkMode",
                "networksAdvanced",
                "pidMode",
                "usernsMode",
                "uploads",
                "sysctls",
                "ipcMode",
                "groupAdds",
                "tty",
                "stdinOpen",
                "storageOpts",
                "gpus",
                "cpus",
                "cgroupnsMode",
                "cgroupParent",
            ]),
            // Not ForceNew, and resourceDockerContainerUpdate never looks at them.
            rm: update("state-only"),
            start: update("state-only"),
            wait: update("state-only"),
            waitTimeout: update("state-only"),
            attach: update("state-only"),
            logs: update("state-only"),
            removeVolumes: update("state-only"),
            destroyGraceSeconds: update("state-only"),
            containerReadRefreshTimeoutMilliseconds: update("state-only"),
            tmpfs: update("state-only"),
            init: update("state-only"),
            cpuPeriod: update("state-only"),
            cpuQuota: update("state-only"),
            // Not ForceNew and ignored by the update: a changed healthcheck never reaches the container.
            healthcheck: update("state-only"),
            // Starts the container only when the state read a stopped one (false -> true); the replay never reads.
            mustRun: update("state-only"),
            // The attributes resourceDockerContainerUpdate sends with ContainerUpdate.
            restart: update("container-update"),
            maxRetryCount: update("container-update"),
            cpuShares: update("container-update"),
            memory: update("container-update"),
            memoryReservation: update("container-update"),
            memorySwap: update("container-update"),
            cpuSet: update("container-update"),
            deviceReadBps: update("container-update"),
            deviceReadIops: update("container-update"),
            deviceWriteBps: update("container-update"),
            deviceWriteIops: update("container-update"),
        },
    },
    [NETWORK]: {
        // The resource has no update function: every input is ForceNew.
        source: "kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_network.go (schema)",
        properties: replaceAll([
            "name",
            "labels",
            "driver",
            "options",
            "internal",
            "attachable",
            "ingress",
            "ipv6",
            "ipamDriver",
            "ipamOptions",
            "ipamConfigs",
        ]),
    },
    [VOLUME]: {
        source: "kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_volume.go (schema, resourceDockerVolumeUpdate)",
        properties: {
            ...replaceAll(["name", "labels", "driver", "driverOpts"]),
            // Only cluster.availability is updated, and only for Swarm cluster volumes.
            cluster: update("state-only"),
        },
    },
    [REMOTE_IMAGE]: {
        source:
            "kreuzwerker/terraform-provider-docker v4.5.0 internal/provider/resource_docker_image.go (schema), " +
            "resource_docker_image_funcs.go resourceDockerImageUpdate",
        properties: {
            ...replaceAll(["name", "pullTriggers", "triggers", "platform"]),
            keepLocally: update("reread-image"),
            forceRemove: update("reread-image"),
            build: update("reread-image"),
        },
    },
    [RANDOM_PASSWORD]: {
        // Every attribute has a RequiresReplace plan modifier; Update only copies the plan.
        source: "hashicorp/terraform-provider-random internal/provider/resource_password.go passwordSchemaV3",
        properties: replaceAll([
            "keepers",
            "length",
            "special",
            "upper",
            "lower",
            "number",
            "numeric",
            "minNumeric",
            "minUpper",
            "minLower",
            "minSpecial",
            "overrideSpecial",
        ]),
    },
    [TLS_PRIVATE_KEY]: {
        source: `${TLS_SOURCE}resource_private_key.go (schema: every input RequiresReplace)`,
        properties: replaceAll(["algorithm", "ecdsaCurve", "rsaBits"]),
    },
    [TLS_CERT_REQUEST]: {
        source: `${TLS_SOURCE}resource_cert_request.go (schema), common.go requireReplaceIfStateContainsPEMString`,
        properties: replaceAll(["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris"]),
    },
    [TLS_SELF_SIGNED_CERT]: {
        source: `${TLS_SOURCE}resource_self_signed_cert.go (schema), common.go`,
        properties: {
            ...CERT_COMMON,
            ...replaceAll(["privateKeyPem", "subject", "dnsNames", "ipAddresses", "uris", "setAuthorityKeyId"]),
        },
    },
    [TLS_LOCALLY_SIGNED_CERT]: {
        source: `${TLS_SOURCE}resource_locally_signed_cert.go (schema), common.go`,
        properties: { ...CERT_COMMON, ...replaceAll(["certRequestPem", "caPrivateKeyPem", "caCertPem"]) },
    },
    [LOCAL_COMMAND]: {
        source:
            "pulumi/pulumi-command v1.2.1 provider/pkg/provider/common/inputs.go, local/base.go, local/commandController.go Command.Update; " +
            "sdk/nodejs/local/command.ts (replaceOnChanges triggers[*])",
        properties: {
            triggers: REPLACE,
            ...Object.fromEntries(
                [
                    "create",
                    "update",
                    "delete",
                    "stdin",
                    "logging",
                    "interpreter",
                    "dir",
                    "environment",
                    "assetPaths",
                    "archivePaths",
                    "addPreviousOutputInEnv",
                ].map((n) => [n, update("rerun-command")]),
            ),
        },
    },
};

/** The provider's plan fails on a state end time it cannot parse ("Failed to parse data from string"). */
export class RenewalPlanError extends Error {
    readonly kind = "unparsable-validity-end-time" as const;
    constructor(
        readonly type: string,
        readonly validityEndTime: string,
    ) {
        super(`${type}: validity_end_time ${validityEndTime} is not an RFC 3339 time`);
        this.name = "RenewalPlanError";
    }
}

/**
 * The tls provider's renewal (common_cert.go modifyPlanIfCertificateReadyForRenewal, the
 * ModifyPlan of both certificate resources): a certificate in the state whose
 * `validity_end_time` minus the plan's `early_renewal_hours` has been reached at plan time
 * plans `ready_for_renewal` unknown and RequiresReplace on it, so the engine replaces it with no
 * input changed. The end time comes from the state (UseStateForUnknown); the hours from the new
 * inputs (default 0); nothing is decided without a state end time (a create).
 */
export function certificateReadyForRenewal(
    type: string,
    stateOutputs: Record<string, unknown> | undefined,
    planInputs: Record<string, unknown>,
    now: Date,
): boolean {
    if (type !== TLS_SELF_SIGNED_CERT && type !== TLS_LOCALLY_SIGNED_CERT) return false;
    const end = stateOutputs?.validityEndTime;
    if (typeof end !== "string") return false;
    const endMs = Date.parse(end);
    if (Number.isNaN(endMs)) throw new RenewalPlanError(type, end);
    const hours = typeof planInputs.earlyRenewalHours === "number" ? planInputs.earlyRenewalHours : 0;
    return endMs - hours * 3600_000 - now.getTime() <= 0;
}

export class UnknownPropertyError extends Error {
    readonly kind = "unknown-property" as const;
    constructor(
        readonly type: string,
        readonly property: string,
    ) {
        super(
            PROPERTY_TABLE[type]
                ? `the replay deployer does not know whether a change of ${type} input "${property}" replaces or updates; ` +
                      `read it from the provider's source and add it to tests/support/replay/property-table.ts`
                : `the replay deployer has no property table for ${type}; add one to tests/support/replay/property-table.ts`,
        );
        this.name = "UnknownPropertyError";
    }
}

export function propertyBehaviour(type: string, property: string): PropertyBehaviour {
    const behaviour = PROPERTY_TABLE[type]?.properties[property];
    if (!behaviour) throw new UnknownPropertyError(type, property);
    return behaviour;
}

/** Throws for the first input the table does not know, so nothing is silently dropped. */
export function checkKnownInputs(type: string, inputs: Record<string, unknown>): void {
    for (const property of Object.keys(inputs)) {
        if (inputs[property] !== undefined) propertyBehaviour(type, property);
    }
}

/**
 * Whether a replacement deletes first: the program's `deleteBeforeReplace` when it set one, else
 * the provider's (pulumi/pulumi step_generator.go continueStepsFromDiff: goal over diff).
 */
export const deleteBeforeReplace = (
    type: string,
    registration: { deleteBeforeReplace: boolean; deleteBeforeReplaceDefined: boolean },
): boolean =>
    registration.deleteBeforeReplaceDefined ? registration.deleteBeforeReplace : (PROPERTY_TABLE[type]?.deleteBeforeReplace ?? false);
