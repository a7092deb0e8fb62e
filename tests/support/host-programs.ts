import { execFileSync } from "node:child_process";

/** Host tests need Debian's Redis (and busybox): skipped on a laptop without them, failed in CI. */
export function requireHostPrograms(
    ctx: Mocha.Context,
    programs: readonly [string, ...string[]][] = [["redis-server", "--version"]],
): void {
    try {
        for (const [program, ...args] of programs) execFileSync(program, args, { stdio: "ignore" });
    } catch {
        const message = `${programs.map(([p]) => p).join(" and ")} must be installed (bash scripts/install-packages.sh)`;
        if (process.env.CI) throw new Error(`${message}; CI must not skip host tests`);
        console.warn(`skipping: ${message}`);
        ctx.skip();
    }
}
