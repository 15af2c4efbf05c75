import type { FieldError } from './api.js';
import {
  type Action,
  type ActionType,
  type JsonValue,
  OPERATORS,
  type Operator,
  type Policy,
  type PolicyInput,
} from './policy-api.js';

/** One condition as the form holds it: the value as typed. */
export interface ConditionRow {
  key: number;
  attribute: string;
  operator: Operator;
  value: string;
}

/** One action as the form holds it: every payload field any type takes. */
export interface ActionRow {
  key: number;
  type: ActionType;
  skillId: string;
  userId: string;
  message: string;
}

export interface PolicyDraft {
  name: string;
  enabled: boolean;
  form: 'conditions' | 'expression';
  conditions: ConditionRow[];
  expression: string;
  actions: ActionRow[];
}

let nextKey = 1;
const key = () => nextKey++;

export function emptyCondition(): ConditionRow {
  return { key: key(), attribute: '', operator: 'EQUAL', value: '' };
}

export function emptyAction(): ActionRow {
  return { key: key(), type: 'TRANSFER_TO_SKILL', skillId: '', userId: '', message: '' };
}

export function emptyDraft(): PolicyDraft {
  return {
    name: '',
    enabled: false,
    form: 'conditions',
    conditions: [emptyCondition()],
    expression: '',
    actions: [emptyAction()],
  };
}

/**
 * A condition value as typed: JSON when it reads as JSON (5, true, ["a","b"], "quoted text"),
 * otherwise the text as it is.
 */
export function parseValue(text: string): JsonValue {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  try {
    return JSON.parse(trimmed) as JsonValue;
  } catch {
    return text;
  }
}

/** The text that reads back as `value` through parseValue. */
export function formatValue(value: JsonValue): string {
  if (typeof value === 'string') {
    try {
      JSON.parse(value.trim());
      return JSON.stringify(value);
    } catch {
      return value;
    }
  }
  return JSON.stringify(value);
}

/** A policy's condition in words: its expression, or its conditions joined by "and". */
export function describeCondition(policy: PolicyInput): string {
  if (policy.expression !== undefined) return policy.expression;
  return (policy.conditions ?? [])
    .map(
      (c) =>
        `${c.attribute} ${OPERATORS.find((o) => o.value === c.operator)?.label ?? c.operator} ${formatValue(c.value)}`,
    )
    .join(' and ');
}

function text(value: JsonValue | undefined): string {
  return value === undefined || value === null ? '' : String(value);
}

export function draftOf(policy: Policy): PolicyDraft {
  return {
    name: policy.name,
    enabled: policy.enabled,
    form: policy.expression !== undefined ? 'expression' : 'conditions',
    conditions: (policy.conditions ?? []).map((c) => ({
      key: key(),
      attribute: c.attribute,
      operator: c.operator,
      value: formatValue(c.value),
    })),
    expression: policy.expression ?? '',
    actions: policy.actions.map((a) => ({
      key: key(),
      type: a.type,
      skillId: text(a.payload.skillId),
      userId: text(a.payload.userId),
      message: text(a.payload.message),
    })),
  };
}

function payloadOf(row: ActionRow): Action['payload'] {
  switch (row.type) {
    case 'TRANSFER_TO_SKILL':
      return { skillId: row.skillId };
    case 'TRANSFER_TO_AGENT':
      return row.skillId.trim() === ''
        ? { userId: row.userId }
        : { userId: row.userId, skillId: row.skillId };
    case 'SEND_MESSAGE':
      return { message: row.message };
  }
}

/** The policy the form describes, as the API takes it. */
export function policyOf(draft: PolicyDraft): PolicyInput {
  const rule =
    draft.form === 'expression'
      ? { expression: draft.expression }
      : {
          conditions: draft.conditions.map((c) => ({
            attribute: c.attribute.trim(),
            operator: c.operator,
            value: parseValue(c.value),
          })),
        };
  return {
    name: draft.name,
    enabled: draft.enabled,
    ...rule,
    actions: draft.actions.map((a) => ({ type: a.type, payload: payloadOf(a) })),
  };
}

/** Server field paths (`conditions[0].value`, `actions[1].payload.skillId`), without a `body.` prefix. */
export function normaliseField(field: string): string {
  return field
    .replace(/^body[./]?/, '')
    .replace(/^\//, '')
    .replace(/\/(\d+)/g, '[$1]')
    .replace(/\//g, '.');
}

/** The messages for one field path of the form, and every message that fits none of them. */
export function errorsFor(
  errors: FieldError[],
  known: string[],
): { by: Map<string, string>; other: FieldError[] } {
  const by = new Map<string, string>();
  const other: FieldError[] = [];
  const fields = new Set(known);
  for (const error of errors) {
    let field = normaliseField(error.field);
    // Legacy payload names are reported under their own name; show them at the field they fill.
    field = field
      .replace(/\.payload\.agentId$/, '.payload.userId')
      .replace(/\.payload\.fallbackSkillId$/, '.payload.skillId')
      .replace(/\.payload\.text$/, '.payload.message');
    if (fields.has(field))
      by.set(field, by.has(field) ? `${by.get(field)}; ${error.message}` : error.message);
    else other.push(error);
  }
  return { by, other };
}

/** Every field path the form can show an error at. */
export function formFields(draft: PolicyDraft): string[] {
  const fields = ['name', 'enabled', 'expression', 'conditions', 'actions'];
  draft.conditions.forEach((_, i) => {
    fields.push(
      `conditions[${i}]`,
      `conditions[${i}].attribute`,
      `conditions[${i}].operator`,
      `conditions[${i}].value`,
    );
  });
  draft.actions.forEach((_, i) => {
    fields.push(`actions[${i}]`, `actions[${i}].type`, `actions[${i}].payload`);
    for (const name of ['skillId', 'userId', 'message']) fields.push(`actions[${i}].payload.${name}`);
  });
  return fields;
}

/** The form paths whose value differs between two drafts (to hide the server's messages about them). */
export function changedPaths(before: PolicyDraft, after: PolicyDraft): string[] {
  const paths: string[] = [];
  if (before.name !== after.name) paths.push('name');
  if (before.expression !== after.expression) paths.push('expression');
  if (before.form !== after.form || before.conditions.length !== after.conditions.length)
    paths.push('conditions');
  if (before.actions.length !== after.actions.length) paths.push('actions');
  after.conditions.forEach((row, i) => {
    const old = before.conditions[i];
    for (const name of ['attribute', 'operator', 'value'] as const) {
      if (old?.[name] !== row[name]) paths.push(`conditions[${i}].${name}`, `conditions[${i}]`);
    }
  });
  after.actions.forEach((row, i) => {
    const old = before.actions[i];
    if (old?.type !== row.type) paths.push(`actions[${i}].type`, `actions[${i}].payload`, `actions[${i}]`);
    for (const name of ['skillId', 'userId', 'message'] as const) {
      if (old?.[name] !== row[name]) paths.push(`actions[${i}].payload.${name}`, `actions[${i}].payload`);
    }
  });
  return paths;
}

const PAYLOAD_LABELS: Record<string, string> = {
  skillId: 'skill ID',
  userId: 'agent user ID',
  message: 'message',
};

/** Where an error of the form is shown: the id of its control and words for the error summary. */
export function fieldAnchor(field: string): { id: string | null; label: string } {
  if (field === 'name') return { id: 'policy-name', label: 'Name' };
  if (field === 'expression') return { id: 'policy-expression', label: 'Expression' };
  const condition = /^conditions\[(\d+)\]\.(attribute|operator|value)$/.exec(field);
  if (condition)
    return {
      id: `condition-${condition[1]}-${condition[2]}`,
      label: `Condition ${Number(condition[1]) + 1}, ${condition[2]}`,
    };
  const type = /^actions\[(\d+)\]\.type$/.exec(field);
  if (type) return { id: `action-${type[1]}-type`, label: `Action ${Number(type[1]) + 1}, type` };
  const payload = /^actions\[(\d+)\]\.payload\.(skillId|userId|message)$/.exec(field);
  if (payload) {
    return {
      id: `action-${payload[1]}-${payload[2]}`,
      label: `Action ${Number(payload[1]) + 1}, ${PAYLOAD_LABELS[payload[2] as string]}`,
    };
  }
  return { id: null, label: field };
}
