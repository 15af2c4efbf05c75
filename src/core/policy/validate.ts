import { checkList, type FieldError, isRecord, type Loose, refuseUnknown } from './field-errors.js';
import { cloneJson } from './json.js';
import { parseExpression } from './parser.js';
import type { Action, Condition, JsonValue, Policy } from './types.js';
import { validateAction } from './validate-action.js';
import { validateCondition } from './validate-condition.js';

export type { FieldError } from './field-errors.js';

export type PolicyValidation = { ok: true; policy: Policy } | { ok: false; errors: FieldError[] };
export type CustomAttributesValidation =
  | { ok: true; attributes: Record<string, JsonValue> }
  | { ok: false; errors: FieldError[] };

const MAX_NAME = 200;
const MAX_CONDITIONS = 50;
const MAX_ACTIONS = 20;
const MAX_CUSTOM_ATTRIBUTES = 500;
const CUSTOM_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const RESERVED_NAMES = new Set(['__proto__', 'constructor', 'prototype']);
const POLICY_FIELDS = new Set(['id', 'name', 'enabled', 'conditions', 'expression', 'actions']);

function validateName(name: unknown, errors: FieldError[]): void {
  if (typeof name !== 'string' || name.trim() === '') {
    errors.push({ field: 'name', message: 'must be a non-empty string' });
  } else if (name.length > MAX_NAME) {
    errors.push({ field: 'name', message: `must be at most ${MAX_NAME} characters` });
  }
}

function validateRule(input: Loose, errors: FieldError[]): Pick<Policy, 'conditions' | 'expression'> {
  const { conditions, expression } = input;
  if ((conditions === undefined) === (expression === undefined)) {
    errors.push({ field: 'conditions', message: 'give exactly one of conditions or expression' });
    return {};
  }
  if (expression !== undefined) {
    if (typeof expression !== 'string') {
      errors.push({ field: 'expression', message: 'must be a string' });
      return {};
    }
    const parsed = parseExpression(expression);
    if (!parsed.ok) errors.push({ field: 'expression', message: parsed.error.message });
    return { expression };
  }
  if (!checkList(conditions, 'conditions', MAX_CONDITIONS, errors)) return {};
  const list = conditions.map((c, i) => validateCondition(c, `conditions[${i}]`, errors));
  return { conditions: list.filter((c): c is Condition => c !== null) };
}

/**
 * Checks a policy sent to the API against an allow-list and returns it normalised: legacy payload
 * names (`agentId`, `fallbackSkillId`, `text`) renamed, `enabled` defaulting to false, `id` set to `id`.
 */
export function validatePolicyInput(input: unknown, id: string): PolicyValidation {
  if (!isRecord(input)) return { ok: false, errors: [{ field: 'policy', message: 'must be a JSON object' }] };
  const errors: FieldError[] = [];
  refuseUnknown(input, POLICY_FIELDS, '', errors);
  validateName(input.name, errors);
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') {
    errors.push({ field: 'enabled', message: 'must be true or false' });
  }
  const rule = validateRule(input, errors);
  const actions: Action[] = [];
  if (checkList(input.actions, 'actions', MAX_ACTIONS, errors)) {
    for (const [i, a] of input.actions.entries()) {
      const action = validateAction(a, `actions[${i}]`, errors);
      if (action) actions.push(action);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  const policy: Policy = {
    id,
    name: input.name as string,
    enabled: input.enabled === true,
    ...rule,
    actions,
  };
  return { ok: true, policy };
}

/**
 * Checks an account's static custom attributes: an object of at most 500 names to JSON values.
 * The result has no prototype, so a name like `toString` can never resolve to something inherited.
 */
export function validateCustomAttributes(input: unknown): CustomAttributesValidation {
  if (!isRecord(input)) {
    return { ok: false, errors: [{ field: 'attributes', message: 'must be a JSON object' }] };
  }
  const names = Object.keys(input);
  if (names.length > MAX_CUSTOM_ATTRIBUTES) {
    return {
      ok: false,
      errors: [{ field: 'attributes', message: `must have at most ${MAX_CUSTOM_ATTRIBUTES} entries` }],
    };
  }
  const errors: FieldError[] = [];
  const attributes: Record<string, JsonValue> = Object.create(null);
  for (const name of names) {
    if (!CUSTOM_NAME.test(name)) {
      errors.push({ field: name, message: 'must be 1-64 letters, digits or _, not starting with a digit' });
    } else if (RESERVED_NAMES.has(name)) {
      errors.push({ field: name, message: 'is a reserved name' });
    } else {
      const value = cloneJson(input[name], name);
      if (value.ok) attributes[name] = value.value;
      else errors.push({ field: value.path, message: value.message });
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, attributes };
}
