import assert from 'node:assert/strict';
import { test } from 'node:test';
import { storableText } from '../../src/core/storable-text.js';

test('storable text: NUL and half a surrogate pair become U+FFFD, whole pairs and the rest stay', () => {
  assert.equal(storableText('a\u0000b'), 'a\ufffdb');
  assert.equal(storableText('x\ud800'), 'x\ufffd');
  assert.equal(storableText('\udc00y'), '\ufffdy');
  assert.equal(storableText('ok 😀 é'), 'ok 😀 é');
  assert.equal(storableText(''), '');
});
