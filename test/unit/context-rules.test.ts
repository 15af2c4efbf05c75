import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  mergeProperties,
  omitProperties,
  type Properties,
  parseProperties,
  pickProperties,
  serializeProperties,
} from '../../src/core/context/properties.js';
import {
  checkNamespace,
  effectiveTtlSeconds,
  expiryOf,
  isValidPropertyName,
  isValidSessionId,
  MAX_NESTING,
  ttlProblem,
  unqualify,
} from '../../src/core/context/rules.js';
import { nestedDeeperThan } from '../../src/core/json.js';

describe('context rules', () => {
  test('namespace names: letters, digits, underscore, 1-64; reserved in any case', () => {
    for (const ok of ['a', 'myNamespace', 'ns_1', '_', 'A'.repeat(64), 'consumers', 'sde2']) {
      assert.equal(checkNamespace(ok), 'ok', ok);
    }
    for (const bad of ['', 'A'.repeat(65), 'my-ns', 'my ns', 'ns.x', 'ns/x', 'é', 'ns\n']) {
      assert.equal(checkNamespace(bad), 'invalid', JSON.stringify(bad));
    }
    for (const reserved of [
      'consumer',
      'operational',
      'conversation',
      'faas',
      'custom',
      'sde',
      'SDE',
      'Consumer',
    ]) {
      assert.equal(checkNamespace(reserved), 'reserved', reserved);
    }
  });

  test('session ids: 1-128 characters, no slash, no control characters, no lone surrogate', () => {
    for (const ok of [
      's',
      '__default__',
      'conv-123:abc',
      'with space',
      'ünï 😀',
      '...',
      'x'.repeat(128),
      '😀'.repeat(128),
    ]) {
      assert.equal(isValidSessionId(ok), true, ok);
    }
    for (const bad of [
      '',
      'x'.repeat(129),
      'a/b',
      'a\u0000b',
      'tab\t',
      'del\u007f',
      'c1\u0085',
      '\ud800',
      'x\udc00',
      '.',
      '..',
      'properties',
    ]) {
      assert.equal(isValidSessionId(bad), false, JSON.stringify(bad));
    }
  });

  test('property names: 1-256 characters; __proto__ and constructor are ordinary names', () => {
    for (const ok of [
      'p',
      '__proto__',
      'constructor',
      'a.b',
      '...',
      'properties',
      'x'.repeat(256),
      'with space',
    ]) {
      assert.equal(isValidPropertyName(ok), true, ok);
    }
    for (const bad of ['', 'x'.repeat(257), 'a/b', 'line\nbreak', '\udfff', '.', '..']) {
      assert.equal(isValidPropertyName(bad), false, JSON.stringify(bad));
    }
  });

  test('TTL: the write, else the session, else the namespace; 0 means never', () => {
    assert.equal(effectiveTtlSeconds({}), 0);
    assert.equal(effectiveTtlSeconds({ namespace: 60 }), 60);
    assert.equal(effectiveTtlSeconds({ namespace: null }), 0);
    assert.equal(effectiveTtlSeconds({ session: 30, namespace: 60 }), 30);
    assert.equal(
      effectiveTtlSeconds({ session: 0, namespace: 60 }),
      0,
      'a session 0 overrides the namespace',
    );
    assert.equal(effectiveTtlSeconds({ explicit: 5, session: 30, namespace: 60 }), 5);
  });

  test('expiry: now + TTL, never and long TTLs brought down to the maximum retention', () => {
    assert.equal(expiryOf(1_000, 60, 0), 61_000);
    assert.equal(expiryOf(1_000, 0, 0), null);
    assert.equal(expiryOf(1_000, 0, 100), 101_000);
    assert.equal(expiryOf(1_000, 500, 100), 101_000);
    assert.equal(expiryOf(1_000, 100, 100), 101_000);
    assert.equal(expiryOf(1_000, 99, 100), 100_000);
  });

  test('TTL problems: whole, not negative, within the maximum retention', () => {
    assert.equal(ttlProblem(0, 100), null);
    assert.equal(ttlProblem(100, 100), null);
    assert.equal(ttlProblem(10 ** 9, 0), null);
    assert.match(ttlProblem(101, 100) ?? '', /maximum retention of 100 seconds/);
    assert.match(ttlProblem(-1, 100) ?? '', /0 or more/);
    assert.match(ttlProblem(1.5, 0) ?? '', /whole number/);
    assert.match(ttlProblem(Number.NaN, 0) ?? '', /whole number/);
  });

  test('filter entries must be qualified with the namespace', () => {
    assert.equal(unqualify('ns.prop', 'ns'), 'prop');
    assert.equal(unqualify('ns.a.b', 'ns'), 'a.b');
    assert.equal(unqualify('ns.', 'ns'), null);
    assert.equal(unqualify('other.prop', 'ns'), null);
    assert.equal(unqualify('prop', 'ns'), null);
    assert.equal(unqualify('nsx.prop', 'ns'), null);
  });
});

describe('context properties', () => {
  test('merge sets top-level keys and keeps __proto__ as data', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"b":{"n":2}}');
    const merged = mergeProperties({ a: 1, b: { m: 1 } }, patch);
    const roundTrip = parseProperties(serializeProperties(merged));
    assert.deepEqual(roundTrip, JSON.parse('{"a":1,"b":{"n":2},"__proto__":{"polluted":true}}'));
    assert.equal(Object.getPrototypeOf(roundTrip), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('omit and pick by name', () => {
    const base = JSON.parse('{"a":1,"b":2,"__proto__":3}');
    assert.deepEqual(serializeProperties(omitProperties(base, ['a', '__proto__', 'zz'])), '{"b":2}');
    const picked = pickProperties(base, ['__proto__', 'b', 'missing'], (n) => `ns.${n}`);
    assert.equal(JSON.stringify(picked), '{"ns.__proto__":3,"ns.b":2}');
    const plain = pickProperties(base, ['__proto__']);
    assert.equal(Object.getPrototypeOf(plain), Object.prototype);
    assert.equal(JSON.stringify(plain), '{"__proto__":3}');
  });

  test('refuses stored text that is not an object', () => {
    assert.throws(() => parseProperties('[1]'), TypeError);
    assert.throws(() => parseProperties('null'), TypeError);
  });

  test('a merge keeps every old key and takes every new value (property)', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue()),
        fc.dictionary(fc.string(), fc.jsonValue()),
        (a, b) => {
          const merged = parseProperties(
            serializeProperties(mergeProperties(a as Properties, b as Properties)),
          );
          for (const [k, v] of Object.entries(b)) assert.deepEqual(merged[k], JSON.parse(JSON.stringify(v)));
          for (const k of Object.keys(a)) assert.ok(Object.hasOwn(merged, k));
        },
      ),
    );
  });
});

describe('nesting depth', () => {
  const objects = (levels: number) => {
    let value: unknown = 'leaf';
    for (let i = 0; i < levels; i++) value = { a: value };
    return value;
  };
  test('counts objects and arrays, the value itself as level 1; scalars are level 0', () => {
    assert.equal(nestedDeeperThan('text', 0), false);
    assert.equal(nestedDeeperThan({}, 0), true);
    assert.equal(nestedDeeperThan({}, 1), false);
    assert.equal(nestedDeeperThan(objects(100), 100), false);
    assert.equal(nestedDeeperThan(objects(101), 100), true);
    assert.equal(nestedDeeperThan([[[[]]]], 3), true);
    assert.equal(nestedDeeperThan({ wide: Array.from({ length: 10_000 }, () => ({ x: [1] })) }, 4), false);
    assert.equal(nestedDeeperThan({ shallow: 1, deep: [objects(3)] }, 4), true);
  });
  test('answers for any depth without exhausting the stack', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    assert.equal(nestedDeeperThan(deep, MAX_NESTING), true);
  });
});
