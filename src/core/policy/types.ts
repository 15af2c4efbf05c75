/** Any value JSON can carry. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Operators of the condition form; the expression form has the same semantics. */
export type Operator =
  | 'EQUAL'
  | 'NOT_EQUAL'
  | 'LESS_THAN'
  | 'LESS_THAN_OR_EQUAL'
  | 'GREATER_THAN'
  | 'GREATER_THAN_OR_EQUAL'
  | 'CONTAINS'
  | 'IS_IN';

export const OPERATORS: readonly Operator[] = [
  'EQUAL',
  'NOT_EQUAL',
  'LESS_THAN',
  'LESS_THAN_OR_EQUAL',
  'GREATER_THAN',
  'GREATER_THAN_OR_EQUAL',
  'CONTAINS',
  'IS_IN',
];

/** One `{attribute, operator, value}` test; a policy's conditions must all hold. */
export interface Condition {
  attribute: string;
  operator: Operator;
  value: JsonValue;
}

export type ActionType = 'TRANSFER_TO_SKILL' | 'TRANSFER_TO_AGENT' | 'SEND_MESSAGE';

export const ACTION_TYPES: readonly ActionType[] = ['TRANSFER_TO_SKILL', 'TRANSFER_TO_AGENT', 'SEND_MESSAGE'];

export interface Action {
  type: ActionType;
  payload: Record<string, JsonValue>;
}

/** A routing policy. Exactly one of `conditions` and `expression` is present. */
export interface Policy {
  id: string;
  name: string;
  enabled: boolean;
  conditions?: Condition[];
  expression?: string;
  actions: Action[];
}

/** What the policy log records for one policy in one evaluation. */
export type PolicyResult = 'TRUE' | 'FALSE' | 'ERROR' | 'INVALID' | 'DISABLED';

/** Reads one attribute (`custom.tier`, `orchestrator.intent`, ...) for the current request. */
export type AttributeLookup = (name: string) => { found: true; value: JsonValue } | { found: false };

/** Attribute names as written in conditions, expressions and templates: two or more dotted segments. */
export const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$/;
