import assert from 'node:assert/strict';
import { test } from 'node:test';
import { shownUrl } from '../../src/cli/store-copy.js';

test('shownUrl: a database URL is shown without its password, wherever it is given', () => {
  assert.equal(
    shownUrl('postgres://bob:s3cr%40t@db:5432/x?sslmode=require'),
    'postgres://bob:***@db:5432/x?sslmode=require',
  );
  assert.equal(shownUrl('postgres://db/x?user=bob&password=s3cret'), 'postgres://db/x?user=bob&password=***');
  assert.equal(shownUrl('postgresql://db/x'), 'postgresql://db/x');
});
