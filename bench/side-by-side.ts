// Before/after in one run: the warmer of this checkout and the warmer of a second checkout (the
// code before a change) measured alternately on the same machine state, so that a change is
// judged against the code it replaces rather than against figures from another day's load.
import { existsSync } from "node:fs";
import * as path from "node:path";

export type Variant = "this" | "baseline";

/** Which variant goes first in run `run` (0-based): they alternate, so neither always gets the warmer or cooler machine. */
export function runOrder(run: number, withBaseline: boolean): Variant[] {
    if (!withBaseline) return ["this"];
    return run % 2 === 0 ? ["this", "baseline"] : ["baseline", "this"];
}

/** Per-run ratios of paired measurements (`a[i] / b[i]`): the spread of the change, not of the machine. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
    if (a.length !== b.length) throw new Error(`paired measurements differ in count: ${a.length} vs ${b.length}`);
    return a.map((x, i) => x / b[i]);
}

/**
 * The baseline checkout given by `--baseline`: a directory holding the warm CLI and the packages
 * it runs with, e.g. `git worktree add /tmp/before main && ln -s "$PWD/node_modules" /tmp/before/`.
 */
export function baselineDir(dir: string | undefined): string | undefined {
    if (dir === undefined) return undefined;
    const resolved = path.resolve(dir);
    if (!existsSync(path.join(resolved, warmCli(resolved))))
        throw new Error(
            `--baseline ${dir}: no ${WARM_CLI} there; give a checkout of the code to compare against with its packages (e.g. git worktree add <dir> main && ln -s "$PWD/node_modules" <dir>/)`,
        );
    for (const needed of ["bench/peak-memory.ts", "node_modules/tsx"]) {
        if (!existsSync(path.join(resolved, needed)))
            throw new Error(
                `--baseline ${dir}: no ${needed} there; give a checkout of the code to compare against with its packages (e.g. git worktree add <dir> main && ln -s "$PWD/node_modules" <dir>/)`,
            );
    }
    return resolved;
}

/** The warm CLI, relative to a checkout. */
export const WARM_CLI = "cli/warm.ts";
/** Where a checkout keeps its warm CLI: checkouts from before the layout change have it under post-deploy/. */
export function warmCli(checkout: string): string {
    const before = "post-deploy/cli/warm.ts";
    return !existsSync(path.join(checkout, WARM_CLI)) && existsSync(path.join(checkout, before)) ? before : WARM_CLI;
}
