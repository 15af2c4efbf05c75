export type { BinaryOp, Expr, FunctionName, UnaryOp } from './ast.js';
export { referencedAttributes } from './ast.js';
export type {
  CompiledCondition,
  CompiledPolicy,
  Evaluation,
  NoMatchReason,
  PolicyLogEntry,
  ResultTrail,
} from './evaluate.js';
export { collectAttributes, compilePolicies, evaluatePolicies } from './evaluate.js';
export { MAX_EXPRESSION_LENGTH, MAX_NESTING_DEPTH, type ParseResult, parseExpression } from './parser.js';
export { printExpression } from './print.js';
export * from './types.js';
export type { CustomAttributesValidation, FieldError, PolicyValidation } from './validate.js';
export { validateCustomAttributes, validatePolicyInput } from './validate.js';
