/**
 * A value a suite fixture creates in its `before` hook, handed to the suite when `describe` runs.
 * `handle` stands for whatever `current` is when it is used: every property read, method call
 * and property write goes to the current value, so a suite writes `cluster.direct(...)` in its
 * tests and hooks as if it held the value itself. `extra` adds members of the fixture's own
 * (they win over the value's). Used before the value exists (at `describe` time, or after a
 * skipped `before`), the handle throws saying so.
 */
export interface LateBound<T extends object, Extra extends object = object> {
    readonly handle: T & Extra;
    current: T | undefined;
}

export function lateBound<T extends object, Extra extends object = object>(what: string, extra?: Extra): LateBound<T, Extra> {
    const own: object = extra ?? {};
    const bound: { current: T | undefined } = { current: undefined };
    const target = (): T => {
        if (bound.current === undefined) {
            throw new Error(`${what} does not exist yet: the suite's before hook creates it, so use it only in tests and hooks`);
        }
        return bound.current;
    };
    const handle = new Proxy(own, {
        get(_, prop) {
            if (Object.hasOwn(own, prop)) return Reflect.get(own, prop);
            // Not a thenable: awaiting the handle, or returning it from an async function, must not throw.
            if (prop === "then" && bound.current === undefined) return undefined;
            const value: unknown = Reflect.get(target(), prop);
            return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target()) : value;
        },
        set: (_, prop, value) => Reflect.set(target(), prop, value),
        has: (_, prop) => Object.hasOwn(own, prop) || prop in target(),
    });
    return {
        handle: handle as T & Extra,
        get current() {
            return bound.current;
        },
        set current(value) {
            bound.current = value;
        },
    };
}
