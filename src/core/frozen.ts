/**
 * Values frozen all the way down, and texts derived from them remembered per value. A value that can no
 * longer change can have its JSON (or any other pure rendering) computed once: the remembered text cannot
 * go stale. Only values frozen here are remembered; anything else is rendered every time.
 */
const frozen = new WeakSet<object>();
const texts = new WeakMap<object, Map<string, string>>();

/** Freezes `value` and everything it holds, and marks it so that `textOf` may remember its renderings. */
export function freezeDeep<T>(value: T): T {
  if (typeof value !== 'object' || value === null || frozen.has(value)) return value;
  for (const child of Object.values(value)) freezeDeep(child);
  Object.freeze(value);
  frozen.add(value);
  return value;
}

/**
 * `render()` of a value, remembered under `kind` when the value was frozen by `freezeDeep`. `render` must
 * depend on the value alone (no clock, no request), so that one value always renders the same.
 */
export function textOf(value: object, kind: string, render: () => string): string {
  if (!frozen.has(value)) return render();
  const kinds = textsOf(value);
  let text = kinds.get(kind);
  if (text === undefined) {
    text = render();
    kinds.set(kind, text);
  }
  return text;
}

/** Remembers a rendering already at hand (e.g. the JSON a value was parsed from). */
export function rememberText(value: object, kind: string, text: string): void {
  if (frozen.has(value)) textsOf(value).set(kind, text);
}

function textsOf(value: object): Map<string, string> {
  let kinds = texts.get(value);
  if (kinds === undefined) {
    kinds = new Map();
    texts.set(value, kinds);
  }
  return kinds;
}

/** The kind under which a value's `JSON.stringify` text is remembered. */
export const JSON_TEXT = 'json';

/** `JSON.stringify(value)`, remembered for a value frozen by `freezeDeep`. */
export function jsonOf(value: unknown): string {
  if (typeof value !== 'object' || value === null) return JSON.stringify(value);
  return textOf(value, JSON_TEXT, () => JSON.stringify(value));
}
