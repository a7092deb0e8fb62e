// Renders a stack's redis.conf / sentinel.conf files into a folder for review (e.g. a PR diff).
// Passwords are masked: the files show every setting but never a secret.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { StackConfigError, StackSettings } from "../config/validate";
import { renderRedisConf } from "../config-templates/redis-conf";
import { renderSentinelConf } from "../config-templates/sentinel-conf";
import { settingsFromStackFile } from "../config/stack-file";

export const MASK = "********";

const usage = `Usage: npm run render -- --stack <name> [--out <dir>]

Renders redis.conf for every node and sentinel.conf for every Sentinel of Pulumi.<name>.yaml
into <dir> (default rendered/<name>), with passwords masked as ${MASK}.`;

/** Files of one stack as rendered for review: file name -> content. */
export function renderStackForReview(settings: StackSettings): Record<string, string> {
    const files: Record<string, string> = {};
    settings.plan.nodes.forEach((node, nodeIndex) => {
        files[`${node.name}.conf`] = renderRedisConf({ settings, nodeIndex, password: MASK });
    });
    settings.plan.sentinels.forEach((s, sentinelIndex) => {
        files[`${s.name}.conf`] = renderSentinelConf({ settings, sentinelIndex, redisPassword: MASK, sentinelPassword: MASK });
    });
    return files;
}

function main(): void {
    const { values } = parseArgs({ options: { stack: { type: "string" }, out: { type: "string" }, help: { type: "boolean" } } });
    if (values.help || !values.stack) {
        console.log(usage);
        process.exit(values.help ? 0 : 2);
    }
    const out = values.out ?? path.join("rendered", values.stack);
    try {
        const files = renderStackForReview(settingsFromStackFile(values.stack));
        rmSync(out, { recursive: true, force: true });
        mkdirSync(out, { recursive: true });
        for (const [name, content] of Object.entries(files)) writeFileSync(path.join(out, name), content);
        console.log(`Rendered ${Object.keys(files).length} files for stack ${values.stack} into ${out} (passwords masked).`);
    } catch (err) {
        console.error(err instanceof StackConfigError ? err.message : String(err));
        process.exit(1);
    }
}

if (require.main === module) main();
