import type { JsonValue } from './types.js';

export const MAX_JSON_DEPTH = 32;

export type CloneResult = { ok: true; value: JsonValue } | { ok: false; path: string; message: string };

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Copies an untrusted value into a fresh JSON value, refusing what JSON cannot carry, nesting deeper
 * than MAX_JSON_DEPTH and the key `__proto__` (which would change an object's prototype when a later
 * copy assigns it). `path` names the value in error reports, e.g. `conditions[0].value`.
 */
export function cloneJson(input: unknown, path: string, depth = 0): CloneResult {
  if (input === null || typeof input === 'string' || typeof input === 'boolean') {
    return { ok: true, value: input };
  }
  if (typeof input === 'number') {
    return Number.isFinite(input)
      ? { ok: true, value: input }
      : { ok: false, path, message: 'must be a finite number' };
  }
  if (typeof input !== 'object' || (!Array.isArray(input) && !isPlainObject(input))) {
    return { ok: false, path, message: 'must be a JSON value' };
  }
  if (depth >= MAX_JSON_DEPTH) {
    return { ok: false, path, message: `nests deeper than ${MAX_JSON_DEPTH} levels` };
  }
  if (Array.isArray(input)) {
    const out: JsonValue[] = [];
    for (const [i, item] of input.entries()) {
      const c = cloneJson(item, `${path}[${i}]`, depth + 1);
      if (!c.ok) return c;
      out.push(c.value);
    }
    return { ok: true, value: out };
  }
  const entries: [string, JsonValue][] = [];
  for (const [key, item] of Object.entries(input)) {
    if (key === '__proto__') return { ok: false, path: `${path}.${key}`, message: 'is not allowed as a key' };
    const c = cloneJson(item, `${path}.${key}`, depth + 1);
    if (!c.ok) return c;
    entries.push([key, c.value]);
  }
  return { ok: true, value: Object.fromEntries(entries) };
}
