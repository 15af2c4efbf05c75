import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { createMemoryStore } from '../../src/adapters/memory/store.js';
import { masterKeyId, seal, sealedKeyId, UnsealError, unseal } from '../../src/core/auth/sealing.js';
import type { SealedValue } from '../../src/ports/sealed-value-store.js';
import type { Store } from '../../src/ports/store.js';
import { resealUnderMasterKey } from '../../src/services/master-key.js';

const random = { bytes: (n: number) => randomBytes(n), uuid: () => 'u' };
const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const sealAs = (key: Buffer, text: string, aad: string) => seal(key, randomBytes(12), text, aad);

async function storeWithKeys(accounts: string[], key = oldKey): Promise<Store> {
  const store = createMemoryStore();
  for (const accountId of accounts) await putKey(store, accountId, `secret-${accountId}`, key);
  return store;
}

async function putKey(store: Store, accountId: string, plaintext: string, key = oldKey): Promise<void> {
  await store.credentials.replaceApiKey(
    {
      accountId,
      keyHash: `h-${plaintext}`,
      keyCipher: sealAs(key, plaintext, `api-key:${accountId}`),
      createdAt: 1,
    },
    null,
  );
}

async function opened(store: Store, accountId: string): Promise<{ keyId: string | null; plaintext: string }> {
  const [key] = await store.credentials.listApiKeys(accountId);
  assert.ok(key);
  return {
    keyId: sealedKeyId(key.keyCipher),
    plaintext: unseal([newKey, oldKey], key.keyCipher, `api-key:${accountId}`),
  };
}

describe('sealing with more than one master key', () => {
  test('opens with whichever key sealed the value, refuses any other', () => {
    const a = sealAs(oldKey, 'x', 'api-key:acct');
    assert.equal(unseal([newKey, oldKey], a, 'api-key:acct'), 'x');
    assert.equal(unseal(oldKey, a, 'api-key:acct'), 'x');
    assert.throws(() => unseal([newKey], a, 'api-key:acct'), UnsealError);
    assert.throws(() => unseal([newKey, oldKey], a, 'api-key:other'), UnsealError);
  });
});

describe('re-sealing under a new master key', () => {
  test('moves every value, then a second run finds nothing to do', async () => {
    const store = await storeWithKeys(['a', 'b', 'c', 'd', 'e']);
    const keys = { target: newKey, others: [oldKey] };
    const first = await resealUnderMasterKey(store.sealedValues, random, keys, { batchSize: 2 });
    assert.deepEqual([first.complete, first.resealed, first.alreadyUnderNewKey], [true, 5, 0]);
    assert.equal(first.keyId, masterKeyId(newKey));
    for (const id of ['a', 'e'])
      assert.deepEqual(await opened(store, id), { keyId: first.keyId, plaintext: `secret-${id}` });
    const second = await resealUnderMasterKey(store.sealedValues, random, keys, { batchSize: 2 });
    assert.deepEqual([second.complete, second.resealed, second.alreadyUnderNewKey], [true, 0, 5]);
  });

  test('never overwrites a value regenerated between its read and its write, and moves the new one', async () => {
    const store = await storeWithKeys(['a', 'b']);
    const inner = store.sealedValues;
    let raced = false;
    const racing = {
      listSealed: inner.listSealed.bind(inner),
      async replaceSealed(ref: SealedValue['ref'], expected: string, next: string) {
        if (!raced) {
          raced = true;
          // A node still on the old key regenerates account a's key right now.
          await putKey(store, 'a', 'regenerated-a');
        }
        return inner.replaceSealed(ref, expected, next);
      },
    };
    const report = await resealUnderMasterKey(racing, random, { target: newKey, others: [oldKey] });
    assert.equal(report.complete, true);
    assert.equal(report.conflicts, 1);
    assert.deepEqual(await opened(store, 'a'), { keyId: report.keyId, plaintext: 'regenerated-a' });
    assert.deepEqual(await opened(store, 'b'), { keyId: report.keyId, plaintext: 'secret-b' });
  });

  test('catches values sealed under the old key behind its cursor with another pass', async () => {
    const store = await storeWithKeys(['m', 'n', 'o']);
    let added = false;
    const report = await resealUnderMasterKey(
      store.sealedValues,
      random,
      { target: newKey, others: [oldKey] },
      {
        batchSize: 2,
        afterBatch: async () => {
          if (added) return;
          added = true;
          await putKey(store, 'a', 'late-a');
        },
      },
    );
    assert.equal(report.complete, true);
    assert.deepEqual(await opened(store, 'a'), { keyId: report.keyId, plaintext: 'late-a' });
  });

  test('reports values no key opens and leaves the rotation incomplete', async () => {
    const store = await storeWithKeys(['a', 'b']);
    await putKey(store, 'lost', 'x', randomBytes(32));
    const report = await resealUnderMasterKey(store.sealedValues, random, {
      target: newKey,
      others: [oldKey],
    });
    assert.equal(report.complete, false);
    assert.deepEqual(report.unreadable, [{ kind: 'api-key', owner: 'lost' }]);
    assert.equal(report.resealed, 2, 'the others are moved all the same');
  });

  test('gives up after maxPasses when values keep arriving under the old key', async () => {
    const store = await storeWithKeys(['a']);
    let n = 0;
    const report = await resealUnderMasterKey(
      store.sealedValues,
      random,
      { target: newKey, others: [oldKey] },
      { maxPasses: 3, afterBatch: () => putKey(store, `z${n++}`, `late-${n}`) },
    );
    assert.equal(report.complete, false);
    assert.deepEqual(report.unreadable, []);
  });
});
