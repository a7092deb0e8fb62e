/** `uploads[0].content` -> ["uploads", 0, "content"]. */
export function parsePropertyPath(path: string): (string | number)[] {
    const parts: (string | number)[] = [];
    for (const match of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) parts.push(match[2] !== undefined ? Number(match[2]) : match[1]);
    return parts;
}

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/**
 * The inputs as the engine processes them for `ignoreChanges`: each ignored path takes the old
 * value (when the old inputs have one), so a change there makes no diff. The processed inputs
 * are what the engine stores and sends to the provider, for a replacement caused by another
 * property too.
 */
export function applyIgnoreChanges(
    inputs: Record<string, unknown>,
    oldInputs: Record<string, unknown> | undefined,
    paths: readonly string[],
): Record<string, unknown> {
    if (!oldInputs || paths.length === 0) return inputs;
    const out = clone(inputs);
    for (const path of paths) {
        const parts = parsePropertyPath(path);
        let oldValue: unknown = oldInputs;
        for (const p of parts)
            oldValue = oldValue !== null && typeof oldValue === "object" ? (oldValue as Record<string | number, unknown>)[p] : undefined;
        if (oldValue === undefined) continue;
        let target: unknown = out;
        for (const p of parts.slice(0, -1))
            target = target !== null && typeof target === "object" ? (target as Record<string | number, unknown>)[p] : undefined;
        if (target !== null && typeof target === "object")
            (target as Record<string | number, unknown>)[parts[parts.length - 1]] = clone(oldValue);
    }
    return out;
}
