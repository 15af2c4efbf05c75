import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  isUnavailable,
  isUnstorableText,
  translatePostgresFailure,
} from '../../src/adapters/postgres/unavailable.js';
import { translatingFailures } from '../../src/adapters/shared/unavailable.js';
import { AppError, StoreUnavailableError } from '../../src/core/errors.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

test('PostgreSQL failures that mean the database could not answer', () => {
  for (const code of [
    'ECONNREFUSED',
    'ECONNRESET',
    'ETIMEDOUT',
    'ENOTFOUND',
    '57014', // statement_timeout
    '57P01',
    '57P03',
    '55P03',
    '25006',
    '40001',
    '40P01',
    '08006',
    '08001',
    '53300',
    '53100',
  ])
    assert.equal(isUnavailable(withCode(code)), true, code);
  assert.equal(isUnavailable(new Error('timeout exceeded when trying to connect')), true);
  assert.equal(isUnavailable(new Error('Connection terminated unexpectedly')), true);
  assert.equal(
    isUnavailable(new AggregateError([withCode('ECONNREFUSED'), withCode('ECONNREFUSED')], 'all failed')),
    true,
  );
});

test('failures that are bugs or bad data stay what they are', () => {
  for (const code of ['23505', '23514', '42P01', '42601', '22P02', 'ERR_INVALID_ARG_TYPE'])
    assert.equal(isUnavailable(withCode(code)), false, code);
  assert.equal(isUnavailable(new TypeError('x is not a function')), false);
  assert.equal(isUnavailable('ECONNREFUSED'), false);
  assert.equal(isUnavailable(null), false);
});

test('a port whose calls report an unavailable database as StoreUnavailableError, with the cause', async () => {
  const refused = withCode('ECONNREFUSED');
  const bug = withCode('23505');
  const port = translatingFailures(
    {
      limit: 3,
      async down(): Promise<number> {
        throw refused;
      },
      async wrong(): Promise<number> {
        throw bug;
      },
      syncDown(): number {
        throw refused;
      },
      async fine(this: { limit: number }): Promise<number> {
        return this.limit;
      },
    },
    translatePostgresFailure,
  );
  assert.equal(port.limit, 3);
  assert.equal(await port.fine(), 3);
  await assert.rejects(port.down(), (error: unknown) => {
    assert.ok(error instanceof StoreUnavailableError);
    assert.equal(error.status, 503);
    assert.deepEqual(error.headers, { 'retry-after': '1' });
    assert.equal(error.cause, refused);
    return true;
  });
  await assert.rejects(port.wrong(), (error: unknown) => error === bug);
  assert.throws(() => port.syncDown(), StoreUnavailableError);
});

test('a class with private fields keeps working behind it', async () => {
  class Counter {
    #n = 0;
    async next(): Promise<number> {
      this.#n += 1;
      return this.#n;
    }
  }
  const port = translatingFailures(new Counter(), translatePostgresFailure);
  assert.equal(await port.next(), 1);
  assert.equal(await port.next(), 2);
  assert.ok(port instanceof Counter);
});

test('text PostgreSQL cannot store (a NUL character) is the request’s fault: 400, not 500 or 503', async () => {
  const nul = withCode('22021', 'invalid byte sequence for encoding "UTF8": 0x00');
  assert.equal(isUnstorableText(nul), true);
  assert.equal(isUnstorableText(withCode('22P05')), true);
  assert.equal(isUnstorableText(withCode('22001')), false);
  assert.equal(isUnavailable(nul), false);
  const port = translatingFailures(
    {
      async find(): Promise<null> {
        throw nul;
      },
    },
    translatePostgresFailure,
  );
  await assert.rejects(port.find(), (error: unknown) => {
    assert.ok(error instanceof AppError);
    assert.ok(!(error instanceof StoreUnavailableError));
    assert.equal(error.status, 400);
    assert.equal(error.code, 'validation_failed');
    assert.match(error.detail ?? '', /NUL character/);
    return true;
  });
});
