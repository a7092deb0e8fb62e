import { StackSettings } from "./validate";

/**
 * The Docker name of a stack's object (`appscreens-redis-<stack>-redis-0`, `...-redis-0-data`):
 * one function, so the program, the tools and the tests all find what the program made.
 */
export const dockerName = (settings: Pick<StackSettings, "namePrefix">, objectName: string): string =>
    `${settings.namePrefix}-${objectName}`;
