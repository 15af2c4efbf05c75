import { invalid, type Outcome, success } from './outcome.js';
import type { JsonValue, Operator } from './types.js';

export type ValueType = 'string' | 'number' | 'boolean' | 'null' | 'list' | 'object' | 'unsupported';

/** The JSON type of a value; `unsupported` for anything JSON cannot carry (undefined, NaN, functions). */
export function typeName(value: unknown): ValueType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'string';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isFinite(value) ? 'number' : 'unsupported';
    case 'object':
      return 'object';
    default:
      return 'unsupported';
  }
}

/** Structural equality on JSON values; no coercion between types. */
export function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i] as JsonValue));
  }
  if (typeName(a) !== 'object' || typeName(b) !== 'object' || Array.isArray(b)) return false;
  const left = a as { [key: string]: JsonValue };
  const right = b as { [key: string]: JsonValue };
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  return keys.every((k) => Object.hasOwn(right, k) && deepEqual(left[k] as JsonValue, right[k] as JsonValue));
}

function equal(op: string, left: JsonValue, right: JsonValue): Outcome<boolean> {
  // null may be compared with anything, so `x == null` works as a presence test for null values.
  if (left === null || right === null) return success(left === right);
  const lt = typeName(left);
  const rt = typeName(right);
  if (lt === 'unsupported' || lt !== rt) return invalid(`${op} cannot compare ${lt} with ${rt}`);
  return success(deepEqual(left, right));
}

function ordered(op: Operator, left: JsonValue, right: JsonValue): Outcome<boolean> {
  if (typeName(left) !== 'number' || typeName(right) !== 'number') {
    return invalid(`${op} needs two numbers, got ${typeName(left)} and ${typeName(right)}`);
  }
  const a = left as number;
  const b = right as number;
  switch (op) {
    case 'LESS_THAN':
      return success(a < b);
    case 'LESS_THAN_OR_EQUAL':
      return success(a <= b);
    case 'GREATER_THAN':
      return success(a > b);
    default:
      return success(a >= b);
  }
}

function contains(left: JsonValue, right: JsonValue): Outcome<boolean> {
  if (typeof left === 'string') {
    if (typeof right !== 'string') {
      return invalid(`CONTAINS on a string needs a string, got ${typeName(right)}`);
    }
    return success(left.includes(right));
  }
  if (Array.isArray(left)) return success(left.some((item) => deepEqual(item, right)));
  return invalid(`CONTAINS needs a string or a list attribute, got ${typeName(left)}`);
}

function isIn(left: JsonValue, right: JsonValue): Outcome<boolean> {
  if (!Array.isArray(right)) return invalid(`IS_IN needs a list, got ${typeName(right)}`);
  if (typeName(left) === 'unsupported') return invalid('IS_IN cannot test an unsupported value');
  return success(right.some((item) => deepEqual(left, item)));
}

/** Applies a condition operator: `left` is the attribute's value, `right` the condition's value. */
export function applyOperator(op: Operator, left: JsonValue, right: JsonValue): Outcome<boolean> {
  switch (op) {
    case 'EQUAL':
      return equal(op, left, right);
    case 'NOT_EQUAL': {
      const eq = equal(op, left, right);
      return eq.ok ? success(!eq.value) : eq;
    }
    case 'LESS_THAN':
    case 'LESS_THAN_OR_EQUAL':
    case 'GREATER_THAN':
    case 'GREATER_THAN_OR_EQUAL':
      return ordered(op, left, right);
    case 'CONTAINS':
      return contains(left, right);
    case 'IS_IN':
      return isIn(left, right);
    default:
      return invalid(`unknown operator ${String(op)}`);
  }
}
