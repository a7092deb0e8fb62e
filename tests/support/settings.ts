import { StackSettings, validateStackConfig } from "../../settings/validate";

/** Validated settings for a cluster config, as the program would get them. */
export const settingsFor = (cluster: unknown = {}, stack = "dev"): StackSettings =>
    validateStackConfig({ stack, keys: [], cluster, secrets: {} });

/** The value of every line `directive ...` in a rendered config (without the directive). */
export function directiveValues(conf: string, directive: string): string[] {
    return conf
        .split("\n")
        .filter((line) => line.startsWith(`${directive} `))
        .map((line) => line.slice(directive.length + 1));
}

export const directiveValue = (conf: string, directive: string): string | undefined => {
    const values = directiveValues(conf, directive);
    if (values.length > 1) throw new Error(`${directive} appears ${values.length} times`);
    return values[0];
};
