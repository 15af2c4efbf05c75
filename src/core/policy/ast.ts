/** Binary operators of the expression language. */
export type BinaryOp =
  | 'or'
  | 'and'
  | '=='
  | '!='
  | '<'
  | '<='
  | '>'
  | '>='
  | 'in'
  | '||'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^';

export type UnaryOp = 'not' | '-';

export type FunctionName = 'sqrt' | 'isTimeRange' | 'isDateRange';

/** A parsed expression. Positions are not kept, so equal sources up to spacing give equal trees. */
export type Expr =
  | { kind: 'literal'; value: string | number | boolean | null }
  | { kind: 'list'; items: Expr[] }
  | { kind: 'attribute'; name: string }
  | { kind: 'unary'; op: UnaryOp; operand: Expr }
  | { kind: 'binary'; op: BinaryOp; left: Expr; right: Expr }
  | { kind: 'call'; name: FunctionName; args: Expr[] };

/**
 * Binding strength, loosest first: or < and < not < comparisons and `in` < `||` < `+ -` < `* / %`
 * < unary minus < `^` < primary. Comparisons do not chain; `^` is right-associative.
 */
export const PRECEDENCE = {
  or: 1,
  and: 2,
  not: 3,
  comparison: 4,
  concat: 5,
  additive: 6,
  multiplicative: 7,
  negate: 8,
  power: 9,
  primary: 10,
} as const;

/** The precedence level of a binary operator. */
export function binaryPrecedence(op: BinaryOp): number {
  switch (op) {
    case 'or':
      return PRECEDENCE.or;
    case 'and':
      return PRECEDENCE.and;
    case '||':
      return PRECEDENCE.concat;
    case '+':
    case '-':
      return PRECEDENCE.additive;
    case '*':
    case '/':
    case '%':
      return PRECEDENCE.multiplicative;
    case '^':
      return PRECEDENCE.power;
    default:
      return PRECEDENCE.comparison;
  }
}

/** Functions the language knows, with how many arguments each takes. */
export const FUNCTIONS: Record<FunctionName, { min: number; max: number }> = {
  sqrt: { min: 1, max: 1 },
  isTimeRange: { min: 3, max: 4 },
  isDateRange: { min: 3, max: 4 },
};

/** Every attribute an expression reads, each once, in order of first appearance. */
export function referencedAttributes(ast: Expr): string[] {
  const seen = new Set<string>();
  const pending: Expr[] = [ast];
  // An explicit stack: long `a or b or c ...` chains make deep trees.
  while (pending.length > 0) {
    const node = pending.pop() as Expr;
    switch (node.kind) {
      case 'attribute':
        seen.add(node.name);
        break;
      case 'list':
        pending.push(...[...node.items].reverse());
        break;
      case 'call':
        pending.push(...[...node.args].reverse());
        break;
      case 'unary':
        pending.push(node.operand);
        break;
      case 'binary':
        pending.push(node.right, node.left);
        break;
      default:
        break;
    }
  }
  return [...seen];
}
