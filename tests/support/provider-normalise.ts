/**
 * The values the docker provider reads back after it creates a container
 * (kreuzwerker/terraform-provider-docker v4.5.0, resource_docker_container_funcs.go
 * `resourceDockerContainerRead`, which `resourceDockerContainerCreate` ends with). Where a read
 * value differs from the declared one, the next `pulumi preview` shows a change (and
 * `--expect-no-changes` fails), so a program should declare every value in its read-back form:
 * `normaliseContainerInputs(inputs)` must equal `inputs`.
 *
 * Only what the provider reads and can change is modelled; docs/provider-behaviour.md lists the
 * inputs it does not read at all (labels, envs, uploads, networksAdvanced, volumes, ...).
 */

const NS = { ns: 1, us: 1e3, µs: 1e3, μs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 } as const;

export class DurationError extends Error {
    readonly kind = "invalid-duration" as const;
    constructor(readonly text: string) {
        super(`not a Go duration: ${JSON.stringify(text)} (numbers with units ns, us, ms, s, m, h, e.g. "1m30s")`);
        this.name = "DurationError";
    }
}

/** Nanoseconds of a Go duration string (`time.ParseDuration`), e.g. "1m30s", "1.5s", "500ms". */
export function parseGoDuration(text: string): number {
    if (text === "0") return 0;
    const unitPattern = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
    let total = 0;
    let matched = 0;
    const body = text.startsWith("+") ? text.slice(1) : text;
    if (body.startsWith("-") || body === "") throw new DurationError(text);
    unitPattern.lastIndex = 0;
    while (unitPattern.lastIndex < body.length) {
        const m = unitPattern.exec(body);
        if (!m) throw new DurationError(text);
        total += Number(m[1]) * NS[m[2] as keyof typeof NS];
        matched++;
    }
    if (matched === 0) throw new DurationError(text);
    return Math.round(total);
}

/** Go's fraction printing: digits after the point without trailing zeros, none when whole. */
function fraction(value: number, digits: number): { whole: number; text: string } {
    const scale = 10 ** digits;
    const whole = Math.floor(value / scale);
    const frac = value % scale;
    if (frac === 0) return { whole, text: "" };
    return { whole, text: `.${String(frac).padStart(digits, "0").replace(/0+$/, "")}` };
}

/** `time.Duration.String()`: "1m0s" for 60 s, "2s", "1.5s", "500ms", "1h0m0s", "0s". */
export function formatGoDuration(ns: number): string {
    if (ns === 0) return "0s";
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) {
        const f = fraction(ns, 3);
        return `${f.whole}${f.text}µs`;
    }
    if (ns < 1e9) {
        const f = fraction(ns, 6);
        return `${f.whole}${f.text}ms`;
    }
    const f = fraction(ns, 9);
    const seconds = f.whole % 60;
    const minutes = Math.floor(f.whole / 60) % 60;
    const hours = Math.floor(f.whole / 3600);
    const s = `${seconds}${f.text}s`;
    if (f.whole < 60) return s;
    if (hours === 0) return `${minutes}m${s}`;
    return `${hours}h${minutes}m${s}`;
}

/** A duration as the provider reads it back (`Healthcheck.Interval.String()` etc.). */
export const readBackDuration = (text: string): string => formatGoDuration(parseGoDuration(text));

const HEALTHCHECK_DURATIONS = ["interval", "timeout", "startPeriod", "startInterval"] as const;

interface PortInput {
    readonly internal: number;
    readonly ip?: string;
}

/**
 * A container's inputs as the provider's read leaves them in its state. Values it reads in a
 * different form:
 * - healthcheck durations: Go's `Duration.String()` ("60s" -> "1m0s", "1m" -> "1m0s").
 * - ports: read from the running container's bindings, sorted by internal port; an empty
 *   `ip` is bound by Docker on every IPv4 and IPv6 address and read back as two bindings
 *   (0.0.0.0 and ::), so `ip` must always be explicit.
 * - name: without Docker's leading "/".
 */
export function normaliseContainerInputs(inputs: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...inputs };
    if (typeof inputs.name === "string") out.name = inputs.name.replace(/^\/+/, "");
    const healthcheck = inputs.healthcheck as Record<string, unknown> | undefined;
    if (healthcheck) {
        const hc: Record<string, unknown> = { ...healthcheck };
        for (const key of HEALTHCHECK_DURATIONS) {
            if (typeof hc[key] === "string") hc[key] = readBackDuration(hc[key]);
        }
        out.healthcheck = hc;
    }
    const ports = inputs.ports as PortInput[] | undefined;
    if (ports) {
        // byPortAndProtocol.Less compares the internal port only.
        out.ports = [...ports]
            .flatMap((p) =>
                p.ip
                    ? [p]
                    : [
                          { ...p, ip: "0.0.0.0" },
                          { ...p, ip: "::" },
                      ],
            )
            .sort((a, b) => a.internal - b.internal);
    }
    return out;
}
