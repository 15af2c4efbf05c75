/**
 * `f(value)` at once when the value is at hand, or once it arrives when it is a promise: code over a store
 * that sometimes answers from memory goes on synchronously then, with no promise made and no turn waited.
 * A throw of `f` on the synchronous path is thrown to the caller.
 */
export function then<T, R>(value: T | Promise<T>, f: (value: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(f) : f(value);
}
