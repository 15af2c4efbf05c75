import type { JsonValue } from '../json.js';

/** The properties of one context document. */
export type Properties = Record<string, JsonValue>;

/**
 * A copy of `base` with every property of `patch` set (top level only: a nested object replaces the old
 * value whole). The copy has no prototype, so keys such as `__proto__` or `constructor` are plain data;
 * serialize it (or pass it through {@link parseProperties}) before handing it to code that expects a plain object.
 */
export function mergeProperties(base: Properties, patch: Properties): Properties {
  const merged: Properties = Object.create(null);
  for (const [name, value] of Object.entries(base)) merged[name] = value;
  for (const [name, value] of Object.entries(patch)) merged[name] = value;
  return merged;
}

/** A prototype-free copy of `base` without the named properties. */
export function omitProperties(base: Properties, names: Iterable<string>): Properties {
  const drop = new Set(names);
  const kept: Properties = Object.create(null);
  for (const [name, value] of Object.entries(base)) if (!drop.has(name)) kept[name] = value;
  return kept;
}

/** The stored form of properties; its `length` is the document size the 800,000-character limit counts. */
export function serializeProperties(properties: Properties): string {
  return JSON.stringify(properties);
}

/**
 * Reads stored properties back. `JSON.parse` defines every key as an own data property, so `__proto__`
 * comes back as data and nothing is polluted.
 */
export function parseProperties(text: string): Properties {
  const parsed: unknown = JSON.parse(text);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TypeError('stored context properties are not a JSON object');
  }
  return parsed as Properties;
}

/** True when `expiresAt` is set and not after `now`: such a document is gone for every reader. */
export function isExpired(expiresAt: number | null, now: number): boolean {
  return expiresAt !== null && expiresAt <= now;
}

/** A plain object holding the named properties of `base` that exist, under `keyOf(name)`. */
export function pickProperties(
  base: Properties,
  names: Iterable<string>,
  keyOf: (name: string) => string = (name) => name,
): Properties {
  const picked: Properties = {};
  for (const name of names) {
    if (!Object.hasOwn(base, name)) continue;
    // defineProperty, not assignment: a `__proto__` name must become data, not a new prototype.
    Object.defineProperty(picked, keyOf(name), {
      value: base[name],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return picked;
}
