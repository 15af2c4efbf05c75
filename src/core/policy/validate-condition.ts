import { type FieldError, isRecord, refuseUnknown } from './field-errors.js';
import { cloneJson } from './json.js';
import { exactTemplate, templateProblem } from './templates.js';
import { ATTRIBUTE_NAME, type Condition, type JsonValue, OPERATORS, type Operator } from './types.js';

const CONDITION_FIELDS = new Set(['attribute', 'operator', 'value']);
const ORDERING: readonly Operator[] = [
  'LESS_THAN',
  'LESS_THAN_OR_EQUAL',
  'GREATER_THAN',
  'GREATER_THAN_OR_EQUAL',
];

function conditionValueProblem(operator: Operator, value: JsonValue): string | null {
  const reference = typeof value === 'string' && exactTemplate(value) !== null;
  if (typeof value === 'string' && templateProblem(value)) return templateProblem(value);
  if (ORDERING.includes(operator) && typeof value !== 'number' && !reference) {
    return `must be a number or an {{attribute}} reference for ${operator}`;
  }
  if (operator === 'IS_IN' && !Array.isArray(value) && !reference) {
    return 'must be a list or an {{attribute}} reference for IS_IN';
  }
  return null;
}

/** Checks one `{attribute, operator, value}`; reports problems under `field` and returns null if any. */
export function validateCondition(input: unknown, field: string, errors: FieldError[]): Condition | null {
  if (!isRecord(input)) {
    errors.push({ field, message: 'must be an object {attribute, operator, value}' });
    return null;
  }
  const before = errors.length;
  refuseUnknown(input, CONDITION_FIELDS, `${field}.`, errors);
  const { attribute, operator } = input;
  if (typeof attribute !== 'string' || !ATTRIBUTE_NAME.test(attribute)) {
    errors.push({ field: `${field}.attribute`, message: 'must be an attribute name such as custom.tier' });
  }
  const knownOperator = (OPERATORS as readonly unknown[]).includes(operator);
  if (!knownOperator) {
    errors.push({ field: `${field}.operator`, message: `must be one of ${OPERATORS.join(', ')}` });
  }
  const value = input.value === undefined ? null : cloneJson(input.value, `${field}.value`);
  if (value === null) {
    errors.push({ field: `${field}.value`, message: 'is required' });
  } else if (!value.ok) {
    errors.push({ field: value.path, message: value.message });
  } else if (knownOperator) {
    const problem = conditionValueProblem(operator as Operator, value.value);
    if (problem) errors.push({ field: `${field}.value`, message: problem });
  }
  if (errors.length > before || !value?.ok) return null;
  return { attribute: attribute as string, operator: operator as Operator, value: value.value };
}
