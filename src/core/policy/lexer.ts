/** Kinds of token the expression language knows. */
export type TokenKind = 'number' | 'string' | 'name' | 'punct' | 'end';

export interface Token {
  kind: TokenKind;
  /** The source text for names and punctuation, the decoded value for strings. */
  text: string;
  /** The numeric value of a number token. */
  number?: number;
  /** 0-based offset of the token's first character. */
  position: number;
}

export interface ExpressionError {
  message: string;
  position: number;
}

export type LexResult = { ok: true; tokens: Token[] } | { ok: false; error: ExpressionError };

// Longest first, so `<=` wins over `<` and `||` is never read as two bars.
const PUNCTUATION = [
  '==',
  '!=',
  '<=',
  '>=',
  '||',
  '<',
  '>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '^',
  '(',
  ')',
  '[',
  ']',
  ',',
];
const NUMBER = /[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const NAME = /[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*/y;
const NAME_CHAR = /[A-Za-z0-9_]/;
const SPACE = new Set([' ', '\t', '\n', '\r']);

function fail(message: string, position: number, hint = ''): LexResult {
  return { ok: false, error: { message: `${message} at position ${position}${hint}`, position } };
}

/** Describes a character for an error message, so control characters stay readable. */
export function describeChar(ch: string): string {
  return /^[\x20-\x7e]$/.test(ch)
    ? `'${ch}'`
    : `character U+${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}`;
}

/**
 * Reads a single-quoted string starting at `start`. Inside, `\'` is a quote and `\\` a backslash;
 * any other backslash sequence is refused so that a later escape can be added without changing meaning.
 */
function readString(src: string, start: number): { value: string; end: number } | ExpressionError {
  let value = '';
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === "'") return { value, end: i + 1 };
    if (ch === '\\') {
      const next = src[i + 1];
      if (next !== "'" && next !== '\\') {
        return { message: `unknown escape in string at position ${i}`, position: i };
      }
      value += next;
      i += 2;
      continue;
    }
    value += ch;
    i += 1;
  }
  return { message: `unterminated string starting at position ${start}`, position: start };
}

/** Splits an expression into tokens; the last token is always `end`. */
export function tokenize(src: string): LexResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (SPACE.has(ch)) {
      i += 1;
      continue;
    }
    if (ch === "'") {
      const read = readString(src, i);
      if ('message' in read) return { ok: false, error: read };
      tokens.push({ kind: 'string', text: read.value, position: i });
      i = read.end;
      continue;
    }
    NUMBER.lastIndex = i;
    NAME.lastIndex = i;
    const number = /[0-9]/.test(ch) ? NUMBER.exec(src) : null;
    if (number) {
      const end = i + number[0].length;
      const value = Number(number[0]);
      if (!Number.isFinite(value)) return fail('number out of range', i);
      if (end < src.length && NAME_CHAR.test(src[end] as string)) {
        return fail(`unexpected ${describeChar(src[end] as string)}`, end);
      }
      tokens.push({ kind: 'number', text: number[0], number: value, position: i });
      i = end;
      continue;
    }
    const name = NAME.exec(src);
    if (name) {
      tokens.push({ kind: 'name', text: name[0], position: i });
      i += name[0].length;
      continue;
    }
    const punct = PUNCTUATION.find((p) => src.startsWith(p, i));
    if (!punct) {
      const hint = ch === '=' ? " (use '==')" : ch === '"' ? ' (strings use single quotes)' : '';
      return fail(`unexpected ${describeChar(ch)}`, i, hint);
    }
    tokens.push({ kind: 'punct', text: punct, position: i });
    i += punct.length;
  }
  tokens.push({ kind: 'end', text: '', position: src.length });
  return { ok: true, tokens };
}
