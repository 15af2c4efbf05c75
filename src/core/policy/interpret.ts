import type { BinaryOp, Expr } from './ast.js';
import { invalid, type Outcome, runtimeError, success } from './outcome.js';
import { isDateRange, isTimeRange } from './time.js';
import type { AttributeLookup, JsonValue, Operator } from './types.js';
import { applyOperator, typeName } from './values.js';

/** What an expression can see: the request's attributes and the current time. */
export interface EvalContext {
  lookup: AttributeLookup;
  nowMs: number;
}

const COMPARISON: Partial<Record<BinaryOp, Operator>> = {
  '==': 'EQUAL',
  '!=': 'NOT_EQUAL',
  '<': 'LESS_THAN',
  '<=': 'LESS_THAN_OR_EQUAL',
  '>': 'GREATER_THAN',
  '>=': 'GREATER_THAN_OR_EQUAL',
  in: 'IS_IN',
};

function finite(value: number): Outcome<JsonValue> {
  return Number.isFinite(value) ? success(value) : runtimeError('arithmetic result is not a finite number');
}

function arithmetic(op: BinaryOp, a: number, b: number): Outcome<JsonValue> {
  switch (op) {
    case '+':
      return finite(a + b);
    case '-':
      return finite(a - b);
    case '*':
      return finite(a * b);
    case '^':
      return finite(a ** b);
    default:
      if (b === 0) return runtimeError('division by zero');
      return finite(op === '/' ? a / b : a % b);
  }
}

function logical(op: 'and' | 'or', node: Expr & { kind: 'binary' }, ctx: EvalContext): Outcome<JsonValue> {
  const left = evaluateExpression(node.left, ctx);
  if (!left.ok) return left;
  if (typeof left.value !== 'boolean') return invalid(`${op} needs booleans, got ${typeName(left.value)}`);
  // Short-circuit: the right side is not read, so its missing attributes do not matter.
  if (left.value === (op === 'or')) return left;
  const right = evaluateExpression(node.right, ctx);
  if (!right.ok) return right;
  if (typeof right.value !== 'boolean') return invalid(`${op} needs booleans, got ${typeName(right.value)}`);
  return right;
}

function evalBinary(node: Expr & { kind: 'binary' }, ctx: EvalContext): Outcome<JsonValue> {
  if (node.op === 'and' || node.op === 'or') return logical(node.op, node, ctx);
  const left = evaluateExpression(node.left, ctx);
  if (!left.ok) return left;
  const right = evaluateExpression(node.right, ctx);
  if (!right.ok) return right;
  const a = left.value;
  const b = right.value;
  const operator = COMPARISON[node.op];
  if (operator) return applyOperator(operator, a, b);
  if (node.op === '||') {
    const textual = (v: JsonValue) => typeof v === 'string' || typeName(v) === 'number';
    if (!textual(a) || !textual(b)) {
      return invalid(`|| needs strings or numbers, got ${typeName(a)} and ${typeName(b)}`);
    }
    return success(String(a) + String(b));
  }
  if (typeName(a) !== 'number' || typeName(b) !== 'number') {
    return invalid(`${node.op} needs numbers, got ${typeName(a)} and ${typeName(b)}`);
  }
  return arithmetic(node.op, a as number, b as number);
}

function evalUnary(node: Expr & { kind: 'unary' }, ctx: EvalContext): Outcome<JsonValue> {
  const operand = evaluateExpression(node.operand, ctx);
  if (!operand.ok) return operand;
  const v = operand.value;
  if (node.op === 'not') {
    return typeof v === 'boolean' ? success(!v) : invalid(`not needs a boolean, got ${typeName(v)}`);
  }
  return typeName(v) === 'number' ? success(-(v as number)) : invalid(`- needs a number, got ${typeName(v)}`);
}

function evalAll(items: Expr[], ctx: EvalContext): Outcome<JsonValue[]> {
  const values: JsonValue[] = [];
  for (const item of items) {
    const v = evaluateExpression(item, ctx);
    if (!v.ok) return v;
    values.push(v.value);
  }
  return success(values);
}

function evalCall(node: Expr & { kind: 'call' }, ctx: EvalContext): Outcome<JsonValue> {
  const args = evalAll(node.args, ctx);
  if (!args.ok) return args;
  if (node.name === 'isTimeRange') return isTimeRange(args.value, ctx.nowMs);
  if (node.name === 'isDateRange') return isDateRange(args.value, ctx.nowMs);
  const [x] = args.value;
  if (typeName(x) !== 'number') return invalid(`sqrt needs a number, got ${typeName(x)}`);
  return (x as number) < 0 ? runtimeError('sqrt of a negative number') : success(Math.sqrt(x as number));
}

/** Evaluates a parsed expression to a value; failures come back as ERROR or INVALID outcomes. */
export function evaluateExpression(node: Expr, ctx: EvalContext): Outcome<JsonValue> {
  switch (node.kind) {
    case 'literal':
      return success(node.value);
    case 'attribute': {
      const hit = ctx.lookup(node.name);
      return hit.found ? success(hit.value) : runtimeError(`missing attribute ${node.name}`);
    }
    case 'list':
      return evalAll(node.items, ctx);
    case 'unary':
      return evalUnary(node, ctx);
    case 'binary':
      return evalBinary(node, ctx);
    case 'call':
      return evalCall(node, ctx);
    default:
      return invalid('unknown expression node');
  }
}
