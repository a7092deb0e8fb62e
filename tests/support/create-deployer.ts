import { execFileSync } from "node:child_process";
import type { Deployer } from "./deployer";

// Apart from deployer.ts, which the deployers import for its types: choosing one imports them.
export function pulumiCliAvailable(): boolean {
    try {
        execFileSync("pulumi", ["version"], { stdio: "ignore" });
        return true;
    } catch {
        return false;
    }
}

/** The Pulumi deployer when the CLI is on PATH (unless APPSCREENS_DEPLOYER=replay), else replay. */
export async function createDeployer(stack: string, runId: string): Promise<Deployer> {
    const wanted = process.env.APPSCREENS_DEPLOYER;
    if (wanted !== "replay" && (wanted === "pulumi" || pulumiCliAvailable())) {
        const { PulumiDeployer } = await import("./pulumi-deployer");
        return new PulumiDeployer(stack, runId);
    }
    const { ReplayDeployer } = await import("./replay/replay-deployer");
    return new ReplayDeployer(stack, runId);
}
