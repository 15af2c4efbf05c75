import { StoreUnavailableError } from '../../core/errors.js';

/** StoreUnavailableError for a failure `isUnavailable` recognises; any other failure as it is. */
export const translateWith =
  (isUnavailable: (error: unknown) => boolean) =>
  (error: unknown): unknown =>
    isUnavailable(error) ? new StoreUnavailableError(error) : error;

/** What an adapter makes of a failure of its database: the error to throw instead, or the failure itself. */
export type TranslateFailure = (error: unknown) => unknown;

/**
 * The same port, whose failures go through `translate`, the adapter's own judgement: a database that could
 * not answer becomes StoreUnavailableError (the HTTP edge answers 503 with Retry-After instead of 500), a
 * value the database cannot hold an AppError the caller is told about (400). Calls that answer at once still
 * answer at once; other failures pass unchanged.
 */
export function translatingFailures<T extends object>(port: T, translate: TranslateFailure): T {
  return new Proxy(port, {
    get(target, key) {
      const value = Reflect.get(target, key, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        let result: unknown;
        try {
          result = value.apply(target, args);
        } catch (error) {
          throw translate(error);
        }
        return result instanceof Promise
          ? result.catch((error: unknown) => {
              throw translate(error);
            })
          : result;
      };
    },
  });
}

/**
 * Each of a store's ports through translatingFailures (a port given under two names is wrapped once, so the
 * two names stay one object).
 */
export function translatingFailuresOf<T extends Record<string, object>>(
  ports: T,
  translate: TranslateFailure,
): T {
  const wrapped = new Map<object, object>();
  const result: Record<string, object> = {};
  for (const [name, port] of Object.entries(ports)) {
    let reporting = wrapped.get(port);
    if (!reporting) {
      reporting = translatingFailures(port, translate);
      wrapped.set(port, reporting);
    }
    result[name] = reporting;
  }
  return result as T;
}
