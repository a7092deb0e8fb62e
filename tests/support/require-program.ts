import { execFileSync } from "node:child_process";

/** A program a suite needs, how to ask it whether it works, and what it stands for. */
export type Requirement = readonly [program: string, args: readonly string[], why: string];

export const REDIS_SERVER: Requirement = ["redis-server", ["--version"], "Debian's redis-server package"];
/** redis_exporter 1.45 under Debian's name. */
export const REDIS_EXPORTER: Requirement = ["prometheus-redis-exporter", ["--version"], "Debian's prometheus-redis-exporter package"];
/** promtool and Prometheus both come with Debian's prometheus package. */
export const PROMTOOL: Requirement = ["promtool", ["--version"], "Debian's prometheus package"];
export const PROMETHEUS: Requirement = ["prometheus", ["--version"], "Debian's prometheus package"];

/**
 * Host and live suites need real programs (Redis, a Docker Engine). In CI a missing one fails the
 * suite; on a laptop the suite is skipped with the reason, so the unit tests still run there.
 */
export function requirePrograms(ctx: Mocha.Context, requirements: readonly Requirement[]): void {
    for (const [program, args, why] of requirements) {
        try {
            execFileSync(program, args, { stdio: "ignore", timeout: 20_000 });
        } catch {
            const message = `${program} is not available (${why}); run \`npm test\` as root, which installs and starts what the tests need (scripts/docker-engine.sh)`;
            if (process.env.CI) throw new Error(`${message}. CI must not skip host or live tests.`);
            console.warn(`skipping: ${message}`);
            ctx.skip();
        }
    }
}

export const requireProgram = (ctx: Mocha.Context, program: string, args: string[], why: string): void =>
    requirePrograms(ctx, [[program, args, why]]);
