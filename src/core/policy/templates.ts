import { type Outcome, runtimeError, success } from './outcome.js';
import type { AttributeLookup, JsonValue } from './types.js';
import { typeName } from './values.js';

const NAME = '[A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z0-9_]+)+';
const EXACT = new RegExp(`^\\{\\{\\s*(${NAME})\\s*\\}\\}$`);
const ANY = new RegExp(`\\{\\{\\s*(${NAME})\\s*\\}\\}`, 'g');

/** Attribute names referenced by `{{attribute}}` templates in a string, in order of appearance. */
export function templateAttributes(text: string): string[] {
  return [...text.matchAll(ANY)].map((m) => m[1] as string);
}

/** The attribute name when `text` is exactly one `{{attribute}}` template, else null. */
export function exactTemplate(text: string): string | null {
  return EXACT.exec(text)?.[1] ?? null;
}

/** Why a string's templates are malformed (`{{` that does not start a valid `{{namespace.name}}`), or null. */
export function templateProblem(text: string): string | null {
  const rest = text.replace(ANY, '');
  return rest.includes('{{') ? 'has a malformed {{attribute}} template' : null;
}

function lookupTemplate(name: string, lookup: AttributeLookup): Outcome<JsonValue> {
  const hit = lookup(name);
  if (!hit.found) return runtimeError(`missing attribute ${name} in template`);
  return success(hit.value);
}

function asText(name: string, value: JsonValue): Outcome<string> {
  switch (typeName(value)) {
    case 'string':
      return success(value as string);
    case 'number':
    case 'boolean':
      return success(String(value));
    case 'list':
    case 'object':
      return success(JSON.stringify(value));
    default:
      // A null or unusable value would leave a hole in a message or a transfer.
      return runtimeError(`attribute ${name} in template has no usable value`);
  }
}

function interpolate(text: string, lookup: AttributeLookup): Outcome<string> {
  let out = '';
  let last = 0;
  for (const m of text.matchAll(ANY)) {
    const name = m[1] as string;
    const hit = lookupTemplate(name, lookup);
    if (!hit.ok) return hit;
    const piece = asText(name, hit.value);
    if (!piece.ok) return piece;
    out += text.slice(last, m.index) + piece.value;
    last = (m.index ?? 0) + m[0].length;
  }
  return success(out + text.slice(last));
}

/**
 * Resolves a condition's value: a string that is exactly `{{x}}` becomes x's value (any type),
 * a string with embedded templates becomes the filled-in string, anything else is itself.
 */
export function resolveConditionValue(value: JsonValue, lookup: AttributeLookup): Outcome<JsonValue> {
  // Most values hold no template: skip the regular expressions for them.
  if (typeof value !== 'string' || !value.includes('{{')) return success(value);
  const exact = EXACT.exec(value);
  if (exact) return lookupTemplate(exact[1] as string, lookup);
  return interpolate(value, lookup);
}

/**
 * Fills an action payload value: exactly `{{x}}` keeps a number as a number and turns anything else
 * into a string; embedded templates are filled in as text. A missing or null attribute is an ERROR.
 */
export function fillPayloadValue(value: JsonValue, lookup: AttributeLookup): Outcome<JsonValue> {
  if (typeof value !== 'string' || !value.includes('{{')) return success(value);
  const exact = EXACT.exec(value);
  if (!exact) return interpolate(value, lookup);
  const name = exact[1] as string;
  const hit = lookupTemplate(name, lookup);
  if (!hit.ok) return hit;
  return typeName(hit.value) === 'number' ? hit : asText(name, hit.value);
}
