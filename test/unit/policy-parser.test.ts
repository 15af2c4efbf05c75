import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Expr } from '../../src/core/policy/ast.js';
import { referencedAttributes } from '../../src/core/policy/ast.js';
import { MAX_EXPRESSION_LENGTH, parseExpression } from '../../src/core/policy/parser.js';
import { printExpression } from '../../src/core/policy/print.js';

/** A fully bracketed rendering, so each test shows exactly how the parser grouped the input. */
function tree(e: Expr): string {
  switch (e.kind) {
    case 'literal':
      return typeof e.value === 'string' ? `'${e.value}'` : String(e.value);
    case 'attribute':
      return e.name;
    case 'list':
      return `[${e.items.map(tree).join(' ')}]`;
    case 'unary':
      return `(${e.op === '-' ? 'neg' : 'not'} ${tree(e.operand)})`;
    case 'binary':
      return `(${e.op} ${tree(e.left)} ${tree(e.right)})`;
    case 'call':
      return `(${e.name} ${e.args.map(tree).join(' ')})`;
  }
}

function parsed(src: string): string {
  const r = parseExpression(src);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return tree(r.ast);
}

function refused(src: string): { message: string; position: number } {
  const r = parseExpression(src);
  assert.ok(!r.ok, `expected ${JSON.stringify(src)} to be refused`);
  return r.error;
}

describe('expression grammar: precedence and associativity', () => {
  const cases: [string, string][] = [
    ['1 + 2 * 3', '(+ 1 (* 2 3))'],
    ['(1 + 2) * 3', '(* (+ 1 2) 3)'],
    ['1 - 2 - 3', '(- (- 1 2) 3)'],
    ['8 / 4 / 2', '(/ (/ 8 4) 2)'],
    ['10 % 3 * 2', '(* (% 10 3) 2)'],
    ['2 ^ 3 ^ 2', '(^ 2 (^ 3 2))'],
    ['-2 ^ 2', '(neg (^ 2 2))'],
    ['2 ^ -1', '(^ 2 (neg 1))'],
    ['- - 1', '(neg (neg 1))'],
    ['-a.b * 2', '(* (neg a.b) 2)'],
    ["'a' || 'b' + 1", "(|| 'a' (+ 'b' 1))"],
    ["'a' || 'b' || 'c'", "(|| (|| 'a' 'b') 'c')"],
    ["a.b || 'x' == 'yx'", "(== (|| a.b 'x') 'yx')"],
    ['1 + 2 < 4', '(< (+ 1 2) 4)'],
    ['not a.b == 1', '(not (== a.b 1))'],
    ['not not a.b', '(not (not a.b))'],
    ['not a.b and c.d', '(and (not a.b) c.d)'],
    ['a.b or c.d and e.f', '(or a.b (and c.d e.f))'],
    ['a.b and c.d or e.f', '(or (and a.b c.d) e.f)'],
    ['a.b or c.d or e.f', '(or (or a.b c.d) e.f)'],
    ['a.b in [1, 2] or false', '(or (in a.b [1 2]) false)'],
    ["a.b in ['x'] and c.d != 'y'", "(and (in a.b ['x']) (!= c.d 'y'))"],
    ['sqrt(16) + 1 >= 5', '(>= (+ (sqrt 16) 1) 5)'],
    ['a.b <= 1 or a.b > 2', '(or (<= a.b 1) (> a.b 2))'],
    ['A.B AND NOT C.D Or TRUE', '(or (and A.B (not C.D)) true)'],
    ['(((a.b)))', 'a.b'],
  ];
  for (const [src, expected] of cases) {
    test(src, () => assert.equal(parsed(src), expected));
  }
});

describe('expression grammar: literals and names', () => {
  test('numbers', () => {
    assert.equal(parsed('0'), '0');
    assert.equal(parsed('1.5e3'), '1500');
    assert.equal(parsed('2E-2'), '0.02');
  });
  test('keywords and constants are case-insensitive', () => {
    assert.equal(parsed('TRUE or False and NULL == null'), '(or true (and false (== null null)))');
  });
  test("strings use single quotes with \\' and \\\\ escapes", () => {
    assert.equal(parsed("'it\\'s'"), "'it's'");
    assert.equal(parsed("'a\\\\b'"), "'a\\b'");
    assert.equal(parsed("''"), "''");
  });
  test('lists, including empty and nested', () => {
    assert.equal(parsed("[1, 'a', [true], []]"), "[1 'a' [true] []]");
  });
  test('attributes are dotted names; keywords after a dot are names', () => {
    assert.equal(parsed('conversation.conversationId'), 'conversation.conversationId');
    assert.equal(parsed('custom.and == ns.1x'), '(== custom.and ns.1x)');
    assert.equal(parsed('a.b.c'), 'a.b.c');
  });
  test('function names are case-insensitive and canonicalised', () => {
    assert.equal(parsed('SQRT(4)'), '(sqrt 4)');
    assert.equal(
      parsed("istimerange('09:00:00', '17:00:00', 'UTC')"),
      "(isTimeRange '09:00:00' '17:00:00' 'UTC')",
    );
    assert.equal(
      parsed("isDateRange('12/24/26', '12/26/26', 'Europe/London', ['MON'])"),
      "(isDateRange '12/24/26' '12/26/26' 'Europe/London' ['MON'])",
    );
  });
  test('function arguments may be attributes', () => {
    assert.equal(
      parsed('isTimeRange(custom.open, custom.close, custom.tz)'),
      '(isTimeRange custom.open custom.close custom.tz)',
    );
  });
});

describe('expression grammar: errors name a 0-based position', () => {
  const cases: [string, string, number][] = [
    ['(1 + 2))', "unexpected ')' at position 7", 7],
    ['1 +', 'unexpected end of expression at position 3', 3],
    ['', 'unexpected end of expression at position 0', 0],
    ['(1 + 2', "unexpected end of expression at position 6 (expected ')')", 6],
    ['[1, 2', "unexpected end of expression at position 5 (expected ',' or ']')", 5],
    ['[1, ]', "unexpected ']' at position 4", 4],
    ['a.b == 1 == 2', "unexpected '==' at position 9 (comparisons cannot be chained; use parentheses)", 9],
    [
      'a.b < 1 in [true]',
      "unexpected 'in' at position 8 (comparisons cannot be chained; use parentheses)",
      8,
    ],
    ["'abc", 'unterminated string starting at position 0', 0],
    ["'a\\nb'", 'unknown escape in string at position 2', 2],
    ['1 = 1', "unexpected '=' at position 2 (use '==')", 2],
    ['"x"', "unexpected '\"' at position 0 (strings use single quotes)", 0],
    ['a.b & c.d', "unexpected '&' at position 4", 4],
    ['a.b | c.d', "unexpected '|' at position 4", 4],
    ['1 ! 2', "unexpected '!' at position 2", 2],
    ['a.', "unexpected '.' at position 1", 1],
    ['.5', "unexpected '.' at position 0", 0],
    ['1abc', "unexpected 'a' at position 1", 1],
    ['1e999', 'number out of range at position 0', 0],
    ['tier', "unknown name 'tier' at position 0 (attributes are written namespace.name)", 0],
    ['constructor', "unknown name 'constructor' at position 0 (attributes are written namespace.name)", 0],
    ['__proto__', "unknown name '__proto__' at position 0 (attributes are written namespace.name)", 0],
    ['1 + not a.b', "unexpected 'not' at position 4", 4],
    ['a.b not in [1]', "unexpected 'not' at position 4", 4],
    ['a.b and', 'unexpected end of expression at position 7', 7],
    ['and a.b', "unexpected 'and' at position 0", 0],
    ['foo(1)', "unknown function 'foo' at position 0", 0],
    ['custom.f(1)', "unknown function 'custom.f' at position 0", 0],
    ['1 + sqrt(1, 2)', 'wrong number of arguments to sqrt at position 4 (takes 1, got 2)', 4],
    [
      "isTimeRange('09:00:00')",
      'wrong number of arguments to isTimeRange at position 0 (takes 3 or 4, got 1)',
      0,
    ],
    ["sqrt('x')", 'sqrt needs a number at position 5', 5],
    ["isTimeRange('09:00:00', '25:00:00', 'UTC')", "isTimeRange end must be 'hh:mm:ss' at position 24", 24],
    ["isTimeRange(9, '10:00:00', 'UTC')", "isTimeRange start must be 'hh:mm:ss' at position 12", 12],
    ["isTimeRange('09:00:00', '10:00:00', '')", 'isTimeRange needs a time zone name at position 36', 36],
    [
      "isTimeRange('09:00:00', '10:00:00', 'UTC', ['MON', 'XYZ'])",
      'isTimeRange days must be a non-empty list of MON, TUE, WED, THU, FRI, SAT, SUN at position 43',
      43,
    ],
    [
      "isTimeRange('09:00:00', '10:00:00', 'UTC', [])",
      'isTimeRange days must be a non-empty list of MON, TUE, WED, THU, FRI, SAT, SUN at position 43',
      43,
    ],
    ["isDateRange('02/30/26', '03/01/26', 'UTC')", "isDateRange start must be 'mm/dd/yy' at position 12", 12],
    ["isDateRange('12/26/26', '12/24/26', 'UTC')", 'isDateRange start is after end at position 12', 12],
  ];
  for (const [src, message, position] of cases) {
    test(src || '(empty)', () => assert.deepEqual(refused(src), { message, position }));
  }

  test('control characters are named by code point', () => {
    assert.equal(refused('1 \u0007').message, 'unexpected character U+0007 at position 2');
  });
});

describe('expression limits', () => {
  test(`at most ${MAX_EXPRESSION_LENGTH} characters`, () => {
    const ok = `a.b == '${'x'.repeat(MAX_EXPRESSION_LENGTH - 9)}'`;
    assert.equal(ok.length, MAX_EXPRESSION_LENGTH);
    assert.ok(parseExpression(ok).ok);
    assert.deepEqual(refused(`${ok} `), {
      message: 'expression longer than 4000 characters at position 4000',
      position: 4000,
    });
  });

  test('nesting up to 64 levels, refused beyond', () => {
    assert.ok(parseExpression(`${'('.repeat(64)}1${')'.repeat(64)}`).ok);
    assert.deepEqual(refused(`${'('.repeat(65)}1${')'.repeat(65)}`), {
      message: 'nesting deeper than 64 at position 64',
      position: 64,
    });
    assert.match(refused(`${'not '.repeat(65)}true`).message, /^nesting deeper than 64/);
    assert.match(refused(`${'-'.repeat(65)}1`).message, /^nesting deeper than 64/);
    assert.match(refused(`${'2^'.repeat(65)}2`).message, /^nesting deeper than 64/);
    assert.match(refused(`${'['.repeat(65)}${']'.repeat(65)}`).message, /^nesting deeper than 64/);
    assert.match(refused(`${'sqrt('.repeat(65)}1${')'.repeat(65)}`).message, /^nesting deeper than 64/);
  });

  test('very deep input is refused, not a stack overflow', () => {
    const r = parseExpression('('.repeat(3999));
    assert.equal(r.ok, false);
  });

  test('long flat chains are not nesting', () => {
    const chain = Array.from({ length: 500 }, () => 'a.b').join(' or ');
    assert.ok(chain.length < MAX_EXPRESSION_LENGTH);
    assert.ok(parseExpression(chain).ok);
  });
});

describe('referencedAttributes', () => {
  test('each attribute once, in order of first appearance', () => {
    const r = parseExpression(
      "orchestrator.intent == 'billing' and (custom.tier in custom.tiers or orchestrator.intent == 'x') and sqrt(custom.n) > 1",
    );
    assert.ok(r.ok);
    assert.deepEqual(referencedAttributes(r.ast), [
      'orchestrator.intent',
      'custom.tier',
      'custom.tiers',
      'custom.n',
    ]);
  });
  test('inside calls and lists', () => {
    const r = parseExpression(
      'isTimeRange(custom.open, custom.close, custom.tz, [custom.day]) or a.b in [c.d]',
    );
    assert.ok(r.ok);
    assert.deepEqual(referencedAttributes(r.ast), [
      'custom.open',
      'custom.close',
      'custom.tz',
      'custom.day',
      'a.b',
      'c.d',
    ]);
  });
});

describe('printExpression', () => {
  const cases = [
    "orchestrator.intent == 'billing' and not (custom.closed)",
    '-2 ^ 2 + (-2) ^ 2',
    '(1 + 2) * 3 - 4 / (5 % 6)',
    "not (a.b or c.d) and 'it\\'s' || 'x' != 'y'",
    "(a.b == 1) == (c.d in [1, 'two', [3]])",
    '2 ^ (3 ^ 2) == (2 ^ 3) ^ 2',
  ];
  for (const src of cases) {
    test(`round-trips ${src}`, () => {
      const first = parseExpression(src);
      assert.ok(first.ok);
      const again = parseExpression(printExpression(first.ast));
      assert.ok(again.ok);
      assert.deepEqual(again.ast, first.ast);
    });
  }
  test('drops redundant parentheses', () => {
    const r = parseExpression('((a.b)) and (not (c.d))');
    assert.ok(r.ok);
    assert.equal(printExpression(r.ast), 'a.b and not c.d');
  });
});
