import { binaryPrecedence, type Expr, PRECEDENCE } from './ast.js';

function precedence(expr: Expr): number {
  if (expr.kind === 'binary') return binaryPrecedence(expr.op);
  if (expr.kind === 'unary') return expr.op === 'not' ? PRECEDENCE.not : PRECEDENCE.negate;
  return PRECEDENCE.primary;
}

function quote(text: string): string {
  return `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Prints `expr`, in parentheses unless it binds at least as tightly as `min`. */
function printAt(expr: Expr, min: number): string {
  const text = printNode(expr);
  return precedence(expr) >= min ? text : `(${text})`;
}

function printNode(expr: Expr): string {
  switch (expr.kind) {
    case 'literal':
      return typeof expr.value === 'string' ? quote(expr.value) : String(expr.value);
    case 'attribute':
      return expr.name;
    case 'list':
      return `[${expr.items.map((i) => printAt(i, PRECEDENCE.or)).join(', ')}]`;
    case 'call':
      return `${expr.name}(${expr.args.map((a) => printAt(a, PRECEDENCE.or)).join(', ')})`;
    case 'unary':
      return expr.op === 'not'
        ? `not ${printAt(expr.operand, PRECEDENCE.not)}`
        : `-${printAt(expr.operand, PRECEDENCE.negate)}`;
    case 'binary': {
      const p = binaryPrecedence(expr.op);
      // Left-associative levels take an equal-level left operand bare; comparisons chain on neither
      // side; `^` is right-associative and its left operand must be a primary (-2^2 is -(2^2)).
      const [left, right] =
        expr.op === '^'
          ? [PRECEDENCE.primary, PRECEDENCE.negate]
          : p === PRECEDENCE.comparison
            ? [p + 1, p + 1]
            : [p, p + 1];
      return `${printAt(expr.left, left)} ${expr.op} ${printAt(expr.right, right)}`;
    }
    default:
      return '';
  }
}

/** Prints an expression tree as source that parses back to the same tree (for tests and the editor). */
export function printExpression(expr: Expr): string {
  return printNode(expr);
}
