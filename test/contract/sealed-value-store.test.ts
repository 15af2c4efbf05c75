import assert from 'node:assert/strict';
import type { SealedRef, SealedValue } from '../../src/ports/sealed-value-store.js';
import type { Store } from '../../src/ports/store.js';
import { describeStoreContract } from './adapters.js';

/** Every sealed value, read page by page the way a rotation reads them. */
async function listAll(store: Store, pageSize: number): Promise<SealedValue[]> {
  const all: SealedValue[] = [];
  let cursor: SealedRef | null = null;
  for (;;) {
    const page = await store.sealedValues.listSealed(cursor, pageSize);
    assert.ok(page.length <= pageSize);
    all.push(...page);
    const last = page.at(-1);
    if (page.length < pageSize || !last) return all;
    cursor = last.ref;
  }
}

const describeValue = (v: SealedValue) => `${v.ref.kind}/${v.ref.key}/${v.owner}/${v.cipher}`;

describeStoreContract('sealed value store', (store, it) => {
  it('lists nothing in an empty store', async () => {
    assert.deepEqual(await store.sealedValues.listSealed(null, 10), []);
  });

  it('lists every sealed value of the five kinds once, with its owner, whatever the page size', async () => {
    for (const acct of ['s-b', 's-a', 's-c']) {
      await store.accounts.createAccount({ accountId: acct, createdAt: 0 });
      await store.credentials.replaceApiKey(
        { accountId: acct, keyHash: `old-${acct}`, keyCipher: `k0-${acct}`, createdAt: 1 },
        null,
      );
      // The replaced key stays in its grace period: its cipher must be re-sealed too.
      await store.credentials.replaceApiKey(
        { accountId: acct, keyHash: `new-${acct}`, keyCipher: `k1-${acct}`, createdAt: 2 },
        99_000,
      );
      await store.credentials.replaceClient({
        accountId: acct,
        clientId: `client-${acct}`,
        secretHash: 'h',
        secretCipher: `s-${acct}`,
        createdAt: 1,
      });
    }
    await store.tokens.replaceTestToken({
      accountId: 's-a',
      jti: 'j',
      tokenCipher: 't-s-a',
      issuedAt: 0,
      expiresAt: 10_000,
    });
    // Added in this order, at the same time: the newest is kid-2 (the greater kid) after both.
    for (const [kid, newest] of [
      ['kid-2', null],
      ['kid-1', 'kid-2'],
    ] as const) {
      const added = await store.signingKeys.addSigningKey(
        {
          kid,
          alg: 'EdDSA',
          publicJwk: '{}',
          privateCipher: `p-${kid}`,
          createdAt: 1,
          activatesAt: 1,
          retiredAt: null,
          removeAfter: null,
        },
        newest,
      );
      assert.ok(added);
    }
    // Operators' TOTP secrets, pending or on, and an operator without one.
    for (const username of ['op-b', 'op-a', 'op-none'])
      await store.operators.createOperator({
        username,
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 1,
      });
    for (const username of ['op-b', 'op-a'])
      await store.operators.putPendingTotp({ username, secretCipher: `o-${username}`, createdAt: 1 });
    await store.operators.enableTotp('op-b', 5, 2, ['r1']);
    const whole = await listAll(store, 1000);
    assert.equal(whole.length, 6 + 3 + 1 + 2 + 2);
    const expected = [
      ...['s-a', 's-b', 's-c'].flatMap((a) => [
        `api-key/old-${a}/${a}/k0-${a}`,
        `api-key/new-${a}/${a}/k1-${a}`,
      ]),
      ...['s-a', 's-b', 's-c'].map((a) => `client-secret/${a}/${a}/s-${a}`),
      'test-token/s-a/s-a/t-s-a',
      'signing-key/kid-1/kid-1/p-kid-1',
      'signing-key/kid-2/kid-2/p-kid-2',
      'operator-totp/op-a/op-a/o-op-a',
      'operator-totp/op-b/op-b/o-op-b',
    ];
    assert.deepEqual(whole.map(describeValue).sort(), expected.sort());
    assert.deepEqual(
      whole.map((v) => v.ref.kind),
      [
        ...Array(6).fill('api-key'),
        ...Array(3).fill('client-secret'),
        'test-token',
        'signing-key',
        'signing-key',
        'operator-totp',
        'operator-totp',
      ],
      'kinds come in their fixed order',
    );
    for (const size of [1, 2, 5, 6, 7, 12, 13, 14]) {
      assert.deepEqual(
        (await listAll(store, size)).map(describeValue),
        whole.map(describeValue),
        `pages of ${size}`,
      );
    }
  });

  it('replaces a value only while it still holds the expected cipher', async () => {
    const byRef = async () =>
      new Map((await listAll(store, 100)).map((v) => [`${v.ref.kind}/${v.ref.key}`, v]));
    const values = await byRef();
    const refs: SealedRef[] = [
      { kind: 'api-key', key: 'new-s-a' },
      { kind: 'client-secret', key: 's-a' },
      { kind: 'test-token', key: 's-a' },
      { kind: 'signing-key', key: 'kid-1' },
      { kind: 'operator-totp', key: 'op-b' },
    ];
    for (const ref of refs) {
      const current = values.get(`${ref.kind}/${ref.key}`);
      assert.ok(current, `${ref.kind} listed`);
      assert.equal(await store.sealedValues.replaceSealed(ref, 'stale', 'x'), false, `${ref.kind} stale`);
      assert.equal(await store.sealedValues.replaceSealed(ref, current.cipher, `re-${current.cipher}`), true);
      assert.equal(await store.sealedValues.replaceSealed(ref, current.cipher, 'again'), false);
    }
    // Through the ordinary ports, and nothing else in the rows changed.
    const key = await store.credentials.findApiKeyByHash('new-s-a');
    assert.deepEqual([key?.keyCipher, key?.expiresAt, key?.accountId], ['re-k1-s-a', null, 's-a']);
    assert.equal((await store.credentials.findApiKeyByHash('old-s-a'))?.keyCipher, 'k0-s-a');
    const client = await store.credentials.findClientByAccount('s-a');
    assert.deepEqual(
      [client?.secretCipher, client?.clientId, client?.version],
      ['re-s-s-a', 'client-s-a', 1],
    );
    assert.equal((await store.credentials.findClientByAccount('s-b'))?.secretCipher, 's-s-b');
    const totp = await store.operators.getTotp('op-b');
    assert.deepEqual([totp?.secretCipher, totp?.enabledAt, totp?.lastStep], ['re-o-op-b', 2, 5]);
    assert.equal((await store.operators.getTotp('op-a'))?.secretCipher, 'o-op-a');
    assert.equal((await store.tokens.getTestToken('s-a'))?.tokenCipher, 're-t-s-a');
    const signing = await store.signingKeys.listSigningKeys();
    assert.deepEqual(signing.map((k) => [k.kid, k.privateCipher]).sort(), [
      ['kid-1', 're-p-kid-1'],
      ['kid-2', 'p-kid-2'],
    ]);
    assert.equal(
      await store.sealedValues.replaceSealed({ kind: 'api-key', key: 'missing' }, 'k', 'x'),
      false,
      'a missing row',
    );
  });

  it('never overwrites a value regenerated after it was read', async () => {
    const all = await listAll(store, 100);
    const read = all.find((v) => v.ref.kind === 'api-key' && v.ref.key === 'new-s-b');
    const client = all.find((v) => v.ref.kind === 'client-secret' && v.ref.key === 's-c');
    assert.ok(read && client);
    await store.credentials.replaceApiKey(
      { accountId: read.owner, keyHash: 'newest', keyCipher: 'fresh', createdAt: 3 },
      null,
    );
    await store.credentials.replaceClient({
      accountId: 's-c',
      clientId: 'client-s-c-2',
      secretHash: 'h',
      secretCipher: 'fresh-secret',
      createdAt: 3,
    });
    assert.equal(await store.sealedValues.replaceSealed(read.ref, read.cipher, 'resealed'), false);
    assert.equal(await store.sealedValues.replaceSealed(client.ref, client.cipher, 'resealed'), false);
    assert.equal((await store.credentials.findApiKeyByHash('newest'))?.keyCipher, 'fresh');
    assert.equal((await store.credentials.findClientByAccount('s-c'))?.secretCipher, 'fresh-secret');
  });

  it('lets exactly one of two racing replacements win', async () => {
    const ref: SealedRef = { kind: 'client-secret', key: 's-b' };
    const results = await Promise.all(
      ['one', 'two', 'three'].map((next) => store.sealedValues.replaceSealed(ref, 's-s-b', next)),
    );
    assert.equal(results.filter(Boolean).length, 1);
  });
});
