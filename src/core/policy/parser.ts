import { type BinaryOp, type Expr, FUNCTIONS, type FunctionName } from './ast.js';
import { type ExpressionError, type Token, tokenize } from './lexer.js';
import { callArgumentProblem } from './time.js';

export const MAX_EXPRESSION_LENGTH = 4000;
export const MAX_NESTING_DEPTH = 64;

export type ParseResult = { ok: true; ast: Expr } | { ok: false; error: ExpressionError };

const COMPARISON_PUNCT = new Set(['==', '!=', '<', '<=', '>', '>=']);
const KEYWORDS = new Set(['and', 'or', 'not', 'in']);
// A Map, not an object literal: a name like `constructor` must not find something inherited.
const CONSTANTS = new Map<string, boolean | null>([
  ['true', true],
  ['false', false],
  ['null', null],
]);
const FUNCTION_BY_LOWER = new Map(Object.keys(FUNCTIONS).map((f) => [f.toLowerCase(), f as FunctionName]));

// Thrown inside the parser only; parseExpression turns it into a return value.
class ParseFailure {
  constructor(readonly error: ExpressionError) {}
}

function failure(message: string, position: number, hint?: string): ParseFailure {
  const suffix = hint ? ` (${hint})` : '';
  return new ParseFailure({ message: `${message} at position ${position}${suffix}`, position });
}

function binary(op: BinaryOp, left: Expr, right: Expr): Expr {
  return { kind: 'binary', op, left, right };
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(private readonly tokens: Token[]) {}

  parse(): Expr {
    const expr = this.parseOr();
    if (this.peek().kind !== 'end') throw this.unexpected(this.peek());
    return expr;
  }

  private peek(): Token {
    return (this.tokens[this.index] ?? this.tokens[this.tokens.length - 1]) as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index += 1;
    return token;
  }

  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'name' && t.text.toLowerCase() === word;
  }

  private isPunct(text: string): boolean {
    const t = this.peek();
    return t.kind === 'punct' && t.text === text;
  }

  private expect(text: string): void {
    if (!this.isPunct(text)) throw this.unexpected(this.peek(), `expected '${text}'`);
    this.next();
  }

  private unexpected(t: Token, hint?: string): ParseFailure {
    const what = t.kind === 'end' ? 'end of expression' : t.kind === 'string' ? 'string' : `'${t.text}'`;
    return failure(`unexpected ${what}`, t.position, hint);
  }

  // Every construct that recurses passes through here, so deep input fails before the stack does.
  private nest<T>(position: number, parse: () => T): T {
    if (this.depth >= MAX_NESTING_DEPTH) throw failure(`nesting deeper than ${MAX_NESTING_DEPTH}`, position);
    this.depth += 1;
    try {
      return parse();
    } finally {
      this.depth -= 1;
    }
  }

  private parseOr(): Expr {
    let left = this.parseAnd();
    while (this.isKeyword('or')) {
      this.next();
      left = binary('or', left, this.parseAnd());
    }
    return left;
  }

  private parseAnd(): Expr {
    let left = this.parseNot();
    while (this.isKeyword('and')) {
      this.next();
      left = binary('and', left, this.parseNot());
    }
    return left;
  }

  private parseNot(): Expr {
    if (!this.isKeyword('not')) return this.parseComparison();
    const t = this.next();
    return this.nest(t.position, () => ({ kind: 'unary', op: 'not', operand: this.parseNot() }));
  }

  private comparisonOp(): BinaryOp | undefined {
    const t = this.peek();
    if (this.isKeyword('in')) return 'in';
    return t.kind === 'punct' && COMPARISON_PUNCT.has(t.text) ? (t.text as BinaryOp) : undefined;
  }

  private parseComparison(): Expr {
    const left = this.parseBinary(['||'], () => this.parseAdditive());
    const op = this.comparisonOp();
    if (!op) return left;
    this.next();
    const right = this.parseBinary(['||'], () => this.parseAdditive());
    if (this.comparisonOp()) {
      throw this.unexpected(this.peek(), 'comparisons cannot be chained; use parentheses');
    }
    return binary(op, left, right);
  }

  private parseAdditive(): Expr {
    return this.parseBinary(['+', '-'], () => this.parseBinary(['*', '/', '%'], () => this.parseUnary()));
  }

  /** One left-associative level of punctuation operators. */
  private parseBinary(ops: BinaryOp[], operand: () => Expr): Expr {
    let left = operand();
    for (let t = this.peek(); t.kind === 'punct' && ops.includes(t.text as BinaryOp); t = this.peek()) {
      this.next();
      left = binary(t.text as BinaryOp, left, operand());
    }
    return left;
  }

  private parseUnary(): Expr {
    if (!this.isPunct('-')) return this.parsePower();
    const t = this.next();
    return this.nest(t.position, () => ({ kind: 'unary', op: '-', operand: this.parseUnary() }));
  }

  // `-2^2` is -(2^2) and `2^-1` is 2^(-1), as in mathematics; `2^3^2` is 2^(3^2).
  private parsePower(): Expr {
    const base = this.parsePrimary();
    if (!this.isPunct('^')) return base;
    const t = this.next();
    return binary(
      '^',
      base,
      this.nest(t.position, () => this.parseUnary()),
    );
  }

  private parsePrimary(): Expr {
    const t = this.peek();
    if (t.kind === 'number') {
      this.next();
      return { kind: 'literal', value: t.number ?? 0 };
    }
    if (t.kind === 'string') {
      this.next();
      return { kind: 'literal', value: t.text };
    }
    if (t.kind === 'name') return this.parseName();
    if (this.isPunct('(')) {
      this.next();
      return this.nest(t.position, () => {
        const inner = this.parseOr();
        this.expect(')');
        return inner;
      });
    }
    if (this.isPunct('[')) {
      this.next();
      return this.nest(t.position, () => ({ kind: 'list', items: this.parseItems(']') }));
    }
    throw this.unexpected(t);
  }

  /** Comma-separated expressions up to `close`; each item's start position goes into `positions`. */
  private parseItems(close: string, positions: number[] = []): Expr[] {
    const items: Expr[] = [];
    if (this.isPunct(close)) {
      this.next();
      return items;
    }
    for (;;) {
      positions.push(this.peek().position);
      items.push(this.parseOr());
      if (this.isPunct(close)) break;
      if (!this.isPunct(',')) throw this.unexpected(this.peek(), `expected ',' or '${close}'`);
      this.next();
    }
    this.next();
    return items;
  }

  private parseName(): Expr {
    const t = this.next();
    const lower = t.text.toLowerCase();
    if (this.isPunct('(')) return this.parseCall(t);
    if (t.text.includes('.')) return { kind: 'attribute', name: t.text };
    if (CONSTANTS.has(lower)) return { kind: 'literal', value: CONSTANTS.get(lower) ?? null };
    if (KEYWORDS.has(lower)) throw this.unexpected(t);
    throw failure(`unknown name '${t.text}'`, t.position, 'attributes are written namespace.name');
  }

  private parseCall(t: Token): Expr {
    const name = FUNCTION_BY_LOWER.get(t.text.toLowerCase());
    if (!name) throw failure(`unknown function '${t.text}'`, t.position);
    this.next();
    const positions: number[] = [];
    const args = this.nest(t.position, () => this.parseItems(')', positions));
    const { min, max } = FUNCTIONS[name];
    if (args.length < min || args.length > max) {
      const wanted = min === max ? `${min}` : `${min} or ${max}`;
      throw failure(
        `wrong number of arguments to ${name}`,
        t.position,
        `takes ${wanted}, got ${args.length}`,
      );
    }
    const problem = callArgumentProblem(name, args);
    if (problem) throw failure(problem.message, positions[problem.index] ?? t.position);
    return { kind: 'call', name, args };
  }
}

/**
 * Parses a policy expression into a tree. Never throws and never evaluates anything: a refusal
 * carries a message naming the 0-based character position, e.g. "unexpected ')' at position 12".
 */
export function parseExpression(src: string): ParseResult {
  if (typeof src !== 'string') {
    return { ok: false, error: { message: 'expression must be a string', position: 0 } };
  }
  if (src.length > MAX_EXPRESSION_LENGTH) {
    const message = `expression longer than ${MAX_EXPRESSION_LENGTH} characters at position ${MAX_EXPRESSION_LENGTH}`;
    return { ok: false, error: { message, position: MAX_EXPRESSION_LENGTH } };
  }
  const lexed = tokenize(src);
  if (!lexed.ok) return lexed;
  try {
    return { ok: true, ast: new Parser(lexed.tokens).parse() };
  } catch (e) {
    if (e instanceof ParseFailure) return { ok: false, error: e.error };
    return { ok: false, error: { message: 'expression could not be parsed at position 0', position: 0 } };
  }
}
