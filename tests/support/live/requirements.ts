import { execFileSync } from "node:child_process";

/**
 * Live suites need real programs. In CI a missing one fails the suite; on a laptop the suite is
 * skipped with the reason, so unit tests still run there.
 */
export function requireProgram(ctx: Mocha.Context, program: string, args: string[], why: string): void {
    try {
        execFileSync(program, args, { stdio: "ignore", timeout: 20_000 });
    } catch {
        const message = `${program} is not available (${why}); run \`bash scripts/docker-engine.sh\` as root or \`npm test\``;
        if (process.env.CI) throw new Error(`${message}. CI must not skip live tests.`);
        console.warn(`skipping: ${message}`);
        ctx.skip();
    }
}
