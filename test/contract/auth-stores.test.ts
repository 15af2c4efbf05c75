import assert from 'node:assert/strict';
import type { AccountRecord } from '../../src/ports/account-store.js';
import type { AuditFilter } from '../../src/ports/audit-store.js';
import { describeStoreContract } from './adapters.js';

describeStoreContract('auth stores', (store, it) => {
  it('creates an account once and lists accounts in order', async () => {
    assert.equal(await store.accounts.createAccount({ accountId: 'b-acct', createdAt: 2 }), true);
    assert.equal(await store.accounts.createAccount({ accountId: 'a-acct', createdAt: 1 }), true);
    assert.equal(await store.accounts.createAccount({ accountId: 'a-acct', createdAt: 3 }), false);
    assert.deepEqual(await store.accounts.getAccount('a-acct'), {
      accountId: 'a-acct',
      createdAt: 1,
      status: 'active',
      statusChangedAt: null,
      suspendedUntil: null,
      rateLimit: null,
      allowedNetworks: null,
      signedAssertionsOnly: false,
      dpopRequired: false,
      certificateRequired: false,
    });
    assert.equal(await store.accounts.getAccount('missing'), null);
    const ids = (await store.accounts.listAccounts()).map((a) => a.accountId);
    assert.deepEqual(
      ids.filter((id) => id.endsWith('-acct')),
      ['a-acct', 'b-acct'],
    );
  });

  it('lists a page of accounts: ids holding a text whatever its case (_ and % as themselves), after an id, a number at most', async () => {
    for (const id of ['Pg-Alpha', 'pg-beta', 'pg_gamma', 'pgXdelta', 'pg-zeta']) {
      await store.accounts.createAccount({ accountId: id, createdAt: 0 });
    }
    await store.accounts.changeAccountStatus('pg-zeta', 'active', 'deleted', 1);
    const ids = async (page: Parameters<typeof store.accounts.listAccounts>[0]) =>
      (await store.accounts.listAccounts(page)).map((a) => a.accountId);
    // Binary order: P < p, and - < X < _.
    assert.deepEqual(await ids({ search: 'PG' }), ['Pg-Alpha', 'pg-beta', 'pgXdelta', 'pg_gamma']);
    assert.deepEqual(await ids({ search: 'pg_' }), ['pg_gamma'], '_ is no wildcard');
    assert.deepEqual(await ids({ search: 'pg-' }), ['Pg-Alpha', 'pg-beta']);
    assert.deepEqual(await ids({ search: '%' }), []);
    assert.deepEqual(await ids({ search: 'pg', limit: 2 }), ['Pg-Alpha', 'pg-beta']);
    assert.deepEqual(await ids({ search: 'pg', after: 'pg-beta', limit: 2 }), ['pgXdelta', 'pg_gamma']);
    assert.deepEqual(await ids({ search: 'pg', after: 'pg_gamma', limit: 2 }), []);
    assert.deepEqual(await ids({ search: 'zeta' }), [], 'deleted accounts are not listed');
  });

  it('changes an account status only from the expected one; lists deleted accounts apart; frees a deleted id', async () => {
    const accounts = store.accounts;
    await accounts.createAccount({ accountId: 'life', createdAt: 1 });
    assert.equal(
      await accounts.changeAccountStatus('life', 'suspended', 'active', 2),
      false,
      'not suspended',
    );
    assert.equal(await accounts.changeAccountStatus('life', 'active', 'suspended', 3), true);
    assert.equal(
      await accounts.changeAccountStatus('life', 'active', 'suspended', 4),
      false,
      'only one wins',
    );
    assert.deepEqual(await accounts.getAccount('life'), {
      accountId: 'life',
      createdAt: 1,
      status: 'suspended',
      statusChangedAt: 3,
      suspendedUntil: null,
      rateLimit: null,
      allowedNetworks: null,
      signedAssertionsOnly: false,
      dpopRequired: false,
      certificateRequired: false,
    });
    assert.equal(await accounts.changeAccountStatus('missing', 'active', 'suspended', 5), false);
    assert.equal(await accounts.removeDeletedAccount('life'), false, 'only a deleted account is removed');
    assert.equal(await accounts.changeAccountStatus('life', 'suspended', 'deleted', 6), true);
    assert.ok(!(await accounts.listAccounts()).some((a) => a.accountId === 'life'));
    const deleted = (await accounts.listDeletedAccounts()).filter((a) => a.accountId === 'life');
    assert.deepEqual(deleted, [
      {
        accountId: 'life',
        createdAt: 1,
        status: 'deleted',
        statusChangedAt: 6,
        suspendedUntil: null,
        rateLimit: null,
        allowedNetworks: null,
        signedAssertionsOnly: false,
        dpopRequired: false,
        certificateRequired: false,
      },
    ]);
    assert.equal(await accounts.createAccount({ accountId: 'life', createdAt: 7 }), false, 'the id is held');
    assert.equal(await accounts.removeDeletedAccount('life'), true);
    assert.equal(await accounts.getAccount('life'), null);
    assert.equal(await accounts.createAccount({ accountId: 'life', createdAt: 8 }), true);
    assert.equal((await accounts.getAccount('life'))?.status, 'active');
  });

  it('keeps the end of a suspension, changes it without changing since when, and resumes each account due once', async () => {
    const accounts = store.accounts;
    for (const accountId of ['end-a', 'end-b', 'end-c', 'end-d'])
      await accounts.createAccount({ accountId, createdAt: 1 });
    assert.equal(await accounts.changeAccountStatus('end-a', 'active', 'suspended', 10, 100), true);
    assert.equal(await accounts.changeAccountStatus('end-b', 'active', 'suspended', 10, 200), true);
    assert.equal(await accounts.changeAccountStatus('end-c', 'active', 'suspended', 10), true);
    // An end on an active account means nothing: kept only with the suspension.
    assert.equal(await accounts.changeAccountStatus('end-d', 'active', 'active', 10, 50), true);
    assert.equal((await accounts.getAccount('end-d'))?.suspendedUntil, null);
    // The end moved: the suspension's time stays.
    assert.equal(await accounts.changeAccountStatus('end-b', 'suspended', 'suspended', 20, 150), true);
    const b = await accounts.getAccount('end-b');
    assert.deepEqual([b?.status, b?.statusChangedAt, b?.suspendedUntil], ['suspended', 10, 150]);

    assert.deepEqual(await accounts.resumeDueAccounts(99), []);
    assert.deepEqual(await accounts.resumeDueAccounts(100), ['end-a']);
    assert.deepEqual(await accounts.resumeDueAccounts(100), [], 'once');
    const a = await accounts.getAccount('end-a');
    assert.deepEqual([a?.status, a?.statusChangedAt, a?.suspendedUntil], ['active', 100, null]);
    // Resumed by hand before its end: nothing left to resume, and a new suspension starts without one.
    assert.equal(await accounts.changeAccountStatus('end-b', 'suspended', 'active', 120), true);
    assert.equal(await accounts.changeAccountStatus('end-b', 'active', 'suspended', 130), true);
    assert.deepEqual(await accounts.resumeDueAccounts(1_000), []);
    assert.equal((await accounts.getAccount('end-b'))?.suspendedUntil, null);
    assert.equal((await accounts.getAccount('end-c'))?.status, 'suspended', 'no end: stays suspended');
    // Deleted while suspended with an end: never resumed.
    assert.equal(await accounts.changeAccountStatus('end-c', 'suspended', 'suspended', 140, 500), true);
    assert.equal(await accounts.changeAccountStatus('end-c', 'suspended', 'deleted', 150), true);
    assert.deepEqual(await accounts.resumeDueAccounts(1_000), []);
  });

  it("keeps an account's own request rate and networks; lists those that have either, deleted accounts aside", async () => {
    const accounts = store.accounts;
    for (const accountId of ['rate-a', 'rate-b', 'rate-c', 'rate-d'])
      await accounts.createAccount({ accountId, createdAt: 1 });
    assert.equal(await accounts.setAccountRateLimit('rate-b', { perSecond: 50, burst: 80 }), true);
    assert.equal(await accounts.setAccountRateLimit('rate-a', { perSecond: 0, burst: 1 }), true);
    assert.equal(await accounts.setAccountRateLimit('rate-c', { perSecond: 9, burst: 9 }), true);
    assert.equal(await accounts.setAccountRateLimit('rate-c', null), true);
    assert.equal(await accounts.setAccountRateLimit('missing', { perSecond: 1, burst: 1 }), false);
    assert.equal(await accounts.setAccountNetworks('rate-d', ['10.0.0.0/8', '2001:db8::1']), true);
    assert.equal(await accounts.setAccountNetworks('rate-b', ['203.0.113.7']), true);
    assert.equal(await accounts.setAccountNetworks('rate-c', ['192.0.2.0/24']), true);
    assert.equal(await accounts.setAccountNetworks('rate-c', null), true);
    assert.equal(await accounts.setAccountNetworks('missing', ['10.0.0.1']), false);
    assert.equal(
      await accounts.setAccountFlag('rate-e', 'signedAssertionsOnly', true),
      false,
      'no such account yet',
    );
    await accounts.createAccount({ accountId: 'rate-e', createdAt: 1 });
    assert.equal(await accounts.setAccountFlag('rate-e', 'signedAssertionsOnly', true), true);
    assert.equal((await accounts.getAccount('rate-e'))?.signedAssertionsOnly, true);
    // Each flag is its own.
    assert.equal(await accounts.setAccountFlag('rate-e', 'certificateRequired', true), true);
    assert.equal(await accounts.setAccountFlag('rate-e', 'dpopRequired', true), true);
    assert.equal(await accounts.setAccountFlag('rate-e', 'dpopRequired', false), true);
    assert.deepEqual(
      (({ signedAssertionsOnly, dpopRequired, certificateRequired }) => ({
        signedAssertionsOnly,
        dpopRequired,
        certificateRequired,
      }))((await accounts.getAccount('rate-e')) as AccountRecord),
      { signedAssertionsOnly: true, dpopRequired: false, certificateRequired: true },
    );
    assert.equal(await accounts.setAccountFlag('rate-e', 'certificateRequired', false), true);
    assert.equal(await accounts.setAccountFlag('missing', 'certificateRequired', true), false);
    assert.equal((await accounts.getAccount('rate-a'))?.signedAssertionsOnly, false);
    assert.deepEqual((await accounts.getAccount('rate-b'))?.rateLimit, { perSecond: 50, burst: 80 });
    assert.deepEqual((await accounts.getAccount('rate-d'))?.allowedNetworks, ['10.0.0.0/8', '2001:db8::1']);
    assert.equal((await accounts.getAccount('rate-c'))?.rateLimit, null);
    assert.equal((await accounts.getAccount('rate-c'))?.allowedNetworks, null);
    const listed = async () =>
      (await accounts.listAccountLimits()).filter((a) => a.accountId.startsWith('rate-'));
    assert.deepEqual(await listed(), [
      { accountId: 'rate-a', rateLimit: { perSecond: 0, burst: 1 }, allowedNetworks: null },
      { accountId: 'rate-b', rateLimit: { perSecond: 50, burst: 80 }, allowedNetworks: ['203.0.113.7'] },
      { accountId: 'rate-d', rateLimit: null, allowedNetworks: ['10.0.0.0/8', '2001:db8::1'] },
    ]);
    assert.equal(await accounts.setAccountFlag('rate-e', 'signedAssertionsOnly', false), true);
    assert.equal((await listed()).length, 3, 'signed assertions alone is not a limit of the requests');
    await accounts.changeAccountStatus('rate-b', 'active', 'suspended', 2);
    assert.equal((await listed()).length, 3, 'a suspended account keeps its limits');
    await accounts.changeAccountStatus('rate-b', 'suspended', 'deleted', 3);
    assert.deepEqual(
      (await listed()).map((a) => a.accountId),
      ['rate-a', 'rate-d'],
    );
    assert.equal(
      await accounts.setAccountRateLimit('rate-b', null),
      false,
      'a deleted account has none to set',
    );
    assert.equal(await accounts.setAccountNetworks('rate-b', null), false);
  });

  it("deletes an account's keys, client and token for testing, and nothing of another account", async () => {
    for (const accountId of ['gone', 'kept']) {
      await store.accounts.createAccount({ accountId, createdAt: 0 });
      await store.credentials.replaceApiKey(
        { accountId, keyHash: `${accountId}-k1`, keyCipher: 'c', createdAt: 1 },
        null,
      );
      await store.credentials.replaceApiKey(
        { accountId, keyHash: `${accountId}-k2`, keyCipher: 'c', createdAt: 2 },
        10_000,
      );
      await store.credentials.replaceClient({
        accountId,
        clientId: `${accountId}-client`,
        secretHash: 's',
        secretCipher: 'c',
        createdAt: 1,
      });
      await store.tokens.replaceTestToken({
        accountId,
        jti: `${accountId}-jti`,
        tokenCipher: 'c',
        issuedAt: 1,
        expiresAt: 10_000,
      });
    }
    await store.credentials.deleteAccountCredentials('gone');
    await store.tokens.deleteTestToken('gone');
    assert.deepEqual(await store.credentials.listApiKeys('gone'), []);
    assert.equal(await store.credentials.findApiKeyByHash('gone-k1'), null);
    assert.equal(await store.credentials.findClientById('gone-client'), null);
    assert.equal(await store.credentials.findClientByAccount('gone'), null);
    assert.equal(await store.tokens.getTestToken('gone'), null);
    assert.equal((await store.credentials.listApiKeys('kept')).length, 2);
    assert.equal((await store.credentials.findClientByAccount('kept'))?.clientId, 'kept-client');
    assert.equal((await store.tokens.getTestToken('kept'))?.jti, 'kept-jti');
    // A new client for the id starts its versions again (the held id is what keeps old tokens out).
    await store.credentials.deleteAccountCredentials('gone');
    assert.equal(
      await store.credentials.replaceClient({
        accountId: 'gone',
        clientId: 'gone-client-2',
        secretHash: 's',
        secretCipher: 'c',
        createdAt: 2,
      }),
      1,
    );
  });

  it('replaces an API key at once, or keeps the old one for a grace period', async () => {
    await store.accounts.createAccount({ accountId: 'keys', createdAt: 0 });
    const key = (hash: string, at: number) => ({
      accountId: 'keys',
      keyHash: hash,
      keyCipher: `c-${hash}`,
      createdAt: at,
    });
    await store.credentials.replaceApiKey(key('h1', 1), null);
    assert.equal((await store.credentials.findApiKeyByHash('h1'))?.expiresAt, null);
    await store.credentials.replaceApiKey(key('h2', 2), null);
    assert.equal(await store.credentials.findApiKeyByHash('h1'), null);
    await store.credentials.replaceApiKey(key('h3', 3), 5_000);
    assert.equal((await store.credentials.findApiKeyByHash('h2'))?.expiresAt, 5_000);
    await store.credentials.replaceApiKey(key('h4', 4), 9_000);
    assert.equal((await store.credentials.findApiKeyByHash('h2'))?.expiresAt, 5_000, 'never extended');
    assert.equal((await store.credentials.findApiKeyByHash('h3'))?.expiresAt, 9_000);
    const listed = await store.credentials.listApiKeys('keys');
    assert.deepEqual(
      listed.map((k) => k.keyHash),
      ['h4', 'h3', 'h2'],
    );
    assert.equal(listed[0]?.keyCipher, 'c-h4');
  });

  it('records when a key was last used, only forward', async () => {
    await store.accounts.createAccount({ accountId: 'touch', createdAt: 0 });
    await store.credentials.replaceApiKey(
      { accountId: 'touch', keyHash: 't1', keyCipher: 'c', createdAt: 1 },
      null,
    );
    await store.credentials.touchApiKey('t1', 120_000);
    await store.credentials.touchApiKey('t1', 60_000);
    assert.equal((await store.credentials.findApiKeyByHash('t1'))?.lastUsedAt, 120_000);
    await store.credentials.touchApiKey('unknown', 1);
  });

  it('replaces the v2 client and counts versions', async () => {
    await store.accounts.createAccount({ accountId: 'cl', createdAt: 0 });
    const make = (id: string) => ({
      accountId: 'cl',
      clientId: id,
      secretHash: `s-${id}`,
      secretCipher: 'x',
      createdAt: 1,
    });
    assert.equal(await store.credentials.replaceClient(make('c1')), 1);
    assert.equal(await store.credentials.replaceClient(make('c2')), 2);
    assert.equal(await store.credentials.findClientById('c1'), null);
    assert.equal((await store.credentials.findClientById('c2'))?.version, 2);
    assert.equal((await store.credentials.findClientByAccount('cl'))?.clientId, 'c2');
    assert.equal(await store.credentials.findClientByAccount('nobody'), null);
  });

  it('keeps the client a regeneration replaced, with its own last use, until the next one', async () => {
    await store.accounts.createAccount({ accountId: 'cl-grace', createdAt: 0 });
    const make = (id: string) => ({
      accountId: 'cl-grace',
      clientId: id,
      secretHash: `s-${id}`,
      secretCipher: 'x',
      createdAt: 1,
    });
    await store.credentials.replaceClient(make('g1'));
    assert.equal((await store.credentials.findClientById('g1'))?.previous, null);
    await store.credentials.touchClient('g1', 60_000);
    assert.equal(await store.credentials.replaceClient(make('g2'), 900_000), 2);
    const current = await store.credentials.findClientByAccount('cl-grace');
    assert.equal(current?.clientId, 'g2');
    assert.equal(current?.lastUsedAt, null);
    assert.deepEqual(current?.previous, {
      clientId: 'g1',
      secretHash: 's-g1',
      version: 1,
      until: 900_000,
      lastUsedAt: 60_000,
    });
    // Found by either id: the record is the same.
    assert.equal((await store.credentials.findClientById('g1'))?.clientId, 'g2');
    assert.equal((await store.credentials.findClientById('g2'))?.previous?.clientId, 'g1');
    // A use of the previous id moves its own time, not the current one's; and only forward.
    await store.credentials.touchClient('g1', 180_000);
    await store.credentials.touchClient('g1', 120_000);
    await store.credentials.touchClient('g2', 240_000);
    const used = await store.credentials.findClientById('g2');
    assert.equal(used?.previous?.lastUsedAt, 180_000);
    assert.equal(used?.lastUsedAt, 240_000);
    // Again with a grace period: the one just replaced is kept, the one before is forgotten.
    assert.equal(await store.credentials.replaceClient(make('g3'), 950_000), 3);
    assert.deepEqual((await store.credentials.findClientById('g3'))?.previous, {
      clientId: 'g2',
      secretHash: 's-g2',
      version: 2,
      until: 950_000,
      lastUsedAt: 240_000,
    });
    assert.equal(await store.credentials.findClientById('g1'), null);
    // Without one: none kept.
    assert.equal(await store.credentials.replaceClient(make('g4')), 4);
    assert.equal((await store.credentials.findClientById('g4'))?.previous, null);
    assert.equal(await store.credentials.findClientById('g3'), null);
  });

  it('records when the client and each client key were last used, only forward; new credentials start unused', async () => {
    await store.accounts.createAccount({ accountId: 'cl-used', createdAt: 0 });
    const make = (id: string) => ({
      accountId: 'cl-used',
      clientId: id,
      secretHash: `s-${id}`,
      secretCipher: 'x',
      createdAt: 1,
    });
    await store.credentials.replaceClient(make('u1'));
    assert.equal((await store.credentials.findClientById('u1'))?.lastUsedAt, null);
    await store.credentials.touchClient('u1', 120_000);
    await store.credentials.touchClient('u1', 60_000);
    assert.equal((await store.credentials.findClientByAccount('cl-used'))?.lastUsedAt, 120_000);
    await store.credentials.touchClient('unknown', 1);
    await store.credentials.replaceClient(make('u2'));
    assert.equal(
      (await store.credentials.findClientById('u2'))?.lastUsedAt,
      null,
      'regenerated: not used yet',
    );

    const key = { accountId: 'cl-used', kid: 'k', alg: 'ES256', publicJwk: '{}', createdAt: 1 };
    await store.credentials.addClientKey(key);
    await store.credentials.addClientKey({ ...key, kid: 'other' });
    assert.equal((await store.credentials.listClientKeys('cl-used'))[0]?.lastUsedAt, null);
    await store.credentials.touchClientKey('cl-used', 'k', 180_000);
    await store.credentials.touchClientKey('cl-used', 'k', 60_000);
    await store.credentials.touchClientKey('elsewhere', 'k', 240_000);
    assert.deepEqual(
      (await store.credentials.listClientKeys('cl-used')).map((k) => [k.kid, k.lastUsedAt]),
      [
        ['k', 180_000],
        ['other', null],
      ],
    );
  });

  it('revokes tokens, replaces the test token and purges what expired', async () => {
    await store.accounts.createAccount({ accountId: 'tok', createdAt: 0 });
    await store.tokens.revokeToken('j1', 'tok', 1_000);
    await store.tokens.revokeToken('j1', 'tok', 1_000);
    assert.equal(await store.tokens.isRevoked('j1'), true);
    assert.equal(await store.tokens.isRevoked('j2'), false);
    const t = (jti: string, exp: number) => ({
      accountId: 'tok',
      jti,
      tokenCipher: `c${jti}`,
      issuedAt: 0,
      expiresAt: exp,
    });
    assert.equal(await store.tokens.replaceTestToken(t('a', 500)), null);
    assert.equal((await store.tokens.replaceTestToken(t('b', 5_000)))?.jti, 'a');
    assert.equal((await store.tokens.getTestToken('tok'))?.jti, 'b');
    assert.equal(await store.tokens.purgeExpiredTokens(2_000), 1);
    assert.equal(await store.tokens.isRevoked('j1'), false);
    assert.equal((await store.tokens.getTestToken('tok'))?.jti, 'b');
  });

  it("keeps an account's client keys, one per kid; deletes them with the account's credentials", async () => {
    const key = (accountId: string, kid: string, createdAt: number) => ({
      accountId,
      kid,
      alg: 'ES256',
      publicJwk: `{"kid":"${kid}"}`,
      createdAt,
    });
    assert.equal(await store.credentials.addClientKey(key('ck-a', 'k2', 2)), true);
    assert.equal(await store.credentials.addClientKey(key('ck-a', 'k1', 1)), true);
    assert.equal(await store.credentials.addClientKey(key('ck-a', 'k1', 3)), false, 'one per kid');
    assert.equal(await store.credentials.addClientKey(key('ck-b', 'k1', 1)), true, 'another account’s k1');
    assert.deepEqual(await store.credentials.listClientKeys('ck-a'), [
      { ...key('ck-a', 'k1', 1), lastUsedAt: null },
      { ...key('ck-a', 'k2', 2), lastUsedAt: null },
    ]);
    assert.equal(await store.credentials.deleteClientKey('ck-a', 'k2'), true);
    assert.equal(await store.credentials.deleteClientKey('ck-a', 'k2'), false);
    await store.credentials.deleteAccountCredentials('ck-a');
    assert.deepEqual(await store.credentials.listClientKeys('ck-a'), []);
    assert.equal((await store.credentials.listClientKeys('ck-b')).length, 1);
  });

  it('remembers a used client assertion once, for every caller at once, until it expires', async () => {
    const raced = await Promise.all(
      [1, 2, 3].map(() => store.tokens.useClientAssertion('client-a', 'jti-1', 5_000)),
    );
    assert.deepEqual(raced.filter(Boolean).length, 1, 'used once');
    assert.equal(await store.tokens.useClientAssertion('client-b', 'jti-1', 5_000), true, 'per client');
    assert.equal(await store.tokens.useClientAssertion('client-a', 'jti-2', 9_000), true);
    assert.equal(await store.tokens.useClientAssertion('client-c', 'jti-3', 4_000), true);
    assert.equal(await store.tokens.purgeUsedAssertionsBefore(6_000, 1), 1, 'a batch of one: the oldest');
    assert.equal(
      await store.tokens.useClientAssertion('client-c', 'jti-3', 4_000),
      true,
      'the oldest went first',
    );
    assert.equal(await store.tokens.purgeUsedAssertionsBefore(6_000, 10), 3, 'the rest that expired');
    assert.equal(await store.tokens.purgeUsedAssertionsBefore(6_000, 10), 0);
    assert.equal(
      await store.tokens.useClientAssertion('client-a', 'jti-1', 5_000),
      true,
      'forgotten once expired',
    );
    assert.equal(await store.tokens.useClientAssertion('client-a', 'jti-2', 9_000), false, 'kept until then');
  });

  it('keeps signing keys, retires once and deletes after their removal time', async () => {
    const k = (kid: string, at: number) => ({
      kid,
      alg: 'EdDSA' as const,
      publicJwk: '{}',
      privateCipher: 'p',
      createdAt: at,
      activatesAt: at,
      retiredAt: null,
      removeAfter: null,
    });
    assert.equal(await store.signingKeys.addSigningKey(k('k1', 1), 'k0'), false, 'there is no k0');
    assert.equal(await store.signingKeys.addSigningKey(k('k1', 1), null), true);
    assert.equal(await store.signingKeys.addSigningKey(k('k2', 2), 'k1'), true);
    // A rotation that read k1 as the newest comes after another: it adds nothing.
    assert.equal(await store.signingKeys.addSigningKey(k('late', 3), 'k1'), false);
    assert.equal(await store.signingKeys.addSigningKey(k('late', 3), null), false);
    await store.signingKeys.retireSigningKey('k1', 10, 100);
    await store.signingKeys.retireSigningKey('k1', 20, 200);
    const listed = await store.signingKeys.listSigningKeys();
    assert.deepEqual(
      listed.map((x) => [x.kid, x.retiredAt, x.removeAfter]),
      [
        ['k1', 10, 100],
        ['k2', null, null],
      ],
    );
    assert.equal(await store.signingKeys.deleteSigningKeysRemovedBefore(150), 1);
    assert.deepEqual(
      (await store.signingKeys.listSigningKeys()).map((x) => x.kid),
      ['k2'],
    );
    // Two nodes rotating at once from the same newest key: one key is added, not two.
    const raced = await Promise.all(
      ['r1', 'r2', 'r3'].map((kid) => store.signingKeys.addSigningKey(k(kid, 5), 'k2')),
    );
    assert.equal(raced.filter(Boolean).length, 1, String(raced));
    assert.equal((await store.signingKeys.listSigningKeys()).length, 2);
  });

  it("keeps an operator's accounts: every account (null), a list, none; one account taken out of every list", async () => {
    const make = (username: string, accounts: string[] | null) =>
      store.operators.createOperator({ username, passwordHash: 'h', role: 'viewer', accounts, createdAt: 1 });
    assert.equal(await make('all', null), true);
    assert.equal(await make('two', ['acct-a', 'acct-b']), true);
    assert.equal(await make('one', ['acct-b']), true);
    assert.equal(await make('none', []), true);
    const accountsOf = async (username: string) => (await store.operators.getOperator(username))?.accounts;
    assert.equal(await accountsOf('all'), null);
    assert.deepEqual(await accountsOf('two'), ['acct-a', 'acct-b']);
    assert.deepEqual(await accountsOf('none'), [], 'an empty list is not every account');

    // A change of accounts leaves the role, and a change of role the accounts.
    assert.equal(await store.operators.updateOperator('all', { accounts: ['acct-c'] }), true);
    assert.equal(await store.operators.updateOperator('two', { role: 'admin' }), true);
    assert.deepEqual(await store.operators.getOperator('all'), {
      username: 'all',
      passwordHash: 'h',
      role: 'viewer',
      accounts: ['acct-c'],
      createdAt: 1,
    });
    assert.deepEqual(await accountsOf('two'), ['acct-a', 'acct-b']);
    assert.equal((await store.operators.getOperator('two'))?.role, 'admin');
    assert.equal(await store.operators.updateOperator('all', { accounts: null, role: 'admin' }), true);
    assert.equal(await accountsOf('all'), null);
    assert.equal(await store.operators.updateOperator('ghost', { accounts: [] }), false);

    assert.equal(await store.operators.removeAccountFromOperators('acct-b'), 2);
    assert.deepEqual(await accountsOf('two'), ['acct-a']);
    assert.deepEqual(await accountsOf('one'), [], 'its only account gone: none, never every account');
    assert.equal(await accountsOf('all'), null);
    assert.equal(await store.operators.removeAccountFromOperators('acct-b'), 0);
    const listed = new Map((await store.operators.listOperators()).map((o) => [o.username, o.accounts]));
    assert.deepEqual(Object.fromEntries(listed), { all: null, none: [], one: [], two: ['acct-a'] });
    for (const username of listed.keys()) await store.operators.deleteOperator(username);
  });

  it('changes or removes an operator only while their accounts are still the ones expected', async () => {
    const make = (username: string, accounts: string[] | null) =>
      store.operators.createOperator({ username, passwordHash: 'h', role: 'viewer', accounts, createdAt: 1 });
    assert.equal(await make('scoped', ['acct-a', 'acct-b']), true);
    assert.equal(await make('everything', null), true);
    const ops = store.operators;
    // Someone widened them meanwhile: neither the change nor the removal happens.
    assert.equal(await ops.updateOperator('scoped', { role: 'admin' }, ['acct-a']), false);
    assert.equal(await ops.deleteOperator('scoped', ['acct-a']), false);
    assert.equal(await ops.deleteOperator('scoped', null), false);
    assert.equal(await ops.updateOperator('everything', { role: 'admin' }, ['acct-a']), false);
    assert.equal((await ops.getOperator('scoped'))?.role, 'viewer');
    assert.equal((await ops.getOperator('everything'))?.role, 'viewer');

    assert.equal(
      await ops.updateOperator('scoped', { role: 'admin', accounts: ['acct-b'] }, ['acct-a', 'acct-b']),
      true,
    );
    assert.deepEqual(
      [(await ops.getOperator('scoped'))?.role, (await ops.getOperator('scoped'))?.accounts],
      ['admin', ['acct-b']],
    );
    assert.equal(await ops.updateOperator('everything', { role: 'admin' }, null), true);
    // A list one account left by an account's deletion is still compared as it is.
    assert.equal(await ops.removeAccountFromOperators('acct-b'), 1);
    assert.equal(await ops.updateOperator('scoped', { role: 'viewer' }, ['acct-b']), false);
    assert.equal(await ops.updateOperator('scoped', { role: 'viewer' }, []), true);
    assert.equal(await ops.updateOperator('ghost', { role: 'viewer' }, []), false);
    assert.equal(await ops.deleteOperator('ghost', []), false);

    await ops.createSession({
      idHash: 'scoped-session',
      id: 'a'.repeat(32),
      username: 'scoped',
      csrfToken: 'c',
      createdAt: 1,
      expiresAt: Number.MAX_SAFE_INTEGER,
      address: null,
      userAgent: null,
      signedInWith: 'password',
      provider: null,
      lastSeenAt: 1,
    });
    assert.equal(await ops.deleteOperator('scoped', ['acct-a']), false);
    assert.ok(await ops.getSession('scoped-session'), 'a refused removal leaves their sessions');
    assert.equal(await ops.deleteOperator('scoped', []), true);
    assert.equal(await ops.getOperator('scoped'), null);
    assert.equal(await ops.getSession('scoped-session'), null);
    assert.equal(await ops.deleteOperator('everything', null), true);
  });

  it('stores operators, sessions and operator tokens', async () => {
    assert.equal(
      await store.operators.createOperator({
        username: 'op',
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 1,
      }),
      true,
    );
    assert.equal(
      await store.operators.createOperator({
        username: 'op',
        passwordHash: 'x',
        role: 'viewer',
        accounts: null,
        createdAt: 2,
      }),
      false,
    );
    assert.equal(await store.operators.setOperatorPassword('op', 'h2'), true);
    assert.equal(await store.operators.setOperatorPassword('ghost', 'h2'), false);
    assert.equal((await store.operators.getOperator('op'))?.passwordHash, 'h2');
    assert.equal(
      (await store.operators.getOperator('op'))?.role,
      'admin',
      'the second create changed nothing',
    );
    assert.equal(await store.operators.updateOperator('op', { role: 'viewer' }), true);
    assert.equal(await store.operators.updateOperator('ghost', { role: 'viewer' }), false);
    assert.deepEqual(await store.operators.getOperator('op'), {
      username: 'op',
      passwordHash: 'h2',
      role: 'viewer',
      accounts: null,
      createdAt: 1,
    });
    assert.equal(await store.operators.updateOperator('op', { role: 'admin' }), true);
    const s = (id: string, createdAt = 1) => ({
      idHash: id,
      id: `public-${id}`,
      username: 'op',
      csrfToken: `csrf-${id}`,
      createdAt,
      expiresAt: 2,
      address: '192.0.2.1',
      userAgent: id === 's1' ? 'Mozilla/5.0 (X11; Linux x86_64)' : null,
      signedInWith: id === 's1' ? ('password' as const) : ('sso' as const),
      provider: id === 's1' ? null : { subject: 'op-at-provider', session: id === 's2' ? null : `sid-${id}` },
      lastSeenAt: createdAt,
    });
    await store.operators.createSession(s('s1'));
    await store.operators.createSession(s('s2'));
    assert.deepEqual(await store.operators.getSession('s1'), s('s1'));
    // The last request, recorded forward only (two nodes may record out of order).
    await store.operators.touchSession('s2', 60_000);
    await store.operators.touchSession('s2', 30_000);
    await store.operators.touchSession('missing', 60_000);
    assert.equal((await store.operators.getSession('s2'))?.lastSeenAt, 60_000);
    assert.equal((await store.operators.getSession('s1'))?.lastSeenAt, 1, 'another session is not touched');
    assert.equal(await store.operators.deleteSessions({ idHash: 's1' }), 1);
    assert.equal(await store.operators.getSession('s1'), null);
    assert.equal(await store.operators.deleteSessions({ username: 'op' }), 1);

    // Listed newest first; ended by public id (the operator's own only), or all but one.
    for (const [id, at] of [
      ['s3', 3],
      ['s4', 4],
      ['s5', 5],
      ['s6', 6],
    ] as const)
      await store.operators.createSession(s(id, at));
    assert.deepEqual(
      (await store.operators.listSessions('op')).map((x) => x.id),
      ['public-s6', 'public-s5', 'public-s4', 'public-s3'],
    );
    assert.deepEqual(await store.operators.listSessions('nobody'), []);
    assert.equal(await store.operators.deleteSessions({ username: 'someone-else', id: 'public-s3' }), 0);
    assert.equal(await store.operators.deleteSessions({ username: 'op', id: 'public-s3' }), 1);
    assert.equal(await store.operators.deleteSessions({ username: 'op', exceptIdHash: 's5' }), 2);
    assert.deepEqual(
      (await store.operators.listSessions('op')).map((x) => x.id),
      ['public-s5'],
    );
    assert.equal(await store.operators.deleteSessions({ username: 'op' }), 1);
    const token = {
      id: 'a'.repeat(32),
      tokenHash: 'th',
      username: 'op',
      name: 'ci',
      createdAt: 3,
      expiresAt: 1_000,
      lastUsedAt: null,
      role: null,
    };
    await store.operators.createOperatorToken(token);
    assert.deepEqual(await store.operators.findOperatorToken('th'), token);
    // A token that acts as a viewer whatever its operator's role keeps saying so.
    const viewerToken = { ...token, id: 'b'.repeat(32), tokenHash: 'th-viewer', role: 'viewer' as const };
    await store.operators.createOperatorToken(viewerToken);
    assert.deepEqual(await store.operators.findOperatorToken('th-viewer'), viewerToken);
    assert.deepEqual(await store.operators.deleteOperatorToken(viewerToken.id), viewerToken);
    assert.equal(await store.operators.findOperatorToken('nope'), null);
  });

  it('lists, touches and deletes operator tokens; removes an operator with their sessions and tokens', async () => {
    for (const username of ['zed', 'amy', 'Bob'])
      assert.ok(
        await store.operators.createOperator({
          username,
          passwordHash: 'h',
          role: 'viewer',
          accounts: null,
          createdAt: 5,
        }),
      );
    const token = (id: string, username: string, createdAt: number) => ({
      id: id.repeat(32),
      tokenHash: `hash-${id}`,
      username,
      name: `token ${id}`,
      createdAt,
      expiresAt: null,
      lastUsedAt: null,
      role: null,
    });
    await store.operators.createOperatorToken(token('c', 'zed', 30));
    await store.operators.createOperatorToken(token('b', 'amy', 20));
    await store.operators.createOperatorToken(token('d', 'amy', 20));
    const names = (await store.operators.listOperators()).map((o) => o.username);
    assert.deepEqual(
      names.filter((n) => n !== 'op'),
      ['Bob', 'amy', 'zed'],
    );
    const listed = (await store.operators.listOperatorTokens()).filter((t) => t.username !== 'op');
    assert.deepEqual(
      listed.map((t) => t.id[0]),
      ['b', 'd', 'c'],
    );

    await store.operators.touchOperatorToken('hash-b', 60_000);
    await store.operators.touchOperatorToken('hash-b', 0);
    await store.operators.touchOperatorToken('hash-missing', 60_000);
    assert.equal((await store.operators.findOperatorToken('hash-b'))?.lastUsedAt, 60_000);

    const deleted = await store.operators.deleteOperatorToken('b'.repeat(32));
    assert.equal(deleted?.name, 'token b');
    assert.equal(deleted?.lastUsedAt, 60_000);
    assert.equal(await store.operators.deleteOperatorToken('b'.repeat(32)), null);
    assert.equal(await store.operators.findOperatorToken('hash-b'), null);

    await store.operators.createSession({
      idHash: 'amy-session',
      id: 'amy-public',
      address: null,
      userAgent: null,
      signedInWith: 'password',
      provider: null,
      lastSeenAt: 1,
      username: 'amy',
      csrfToken: 'c',
      createdAt: 1,
      expiresAt: 2,
    });
    assert.equal(await store.operators.deleteOperator('amy'), true);
    assert.equal(await store.operators.deleteOperator('amy'), false);
    assert.equal(await store.operators.getOperator('amy'), null);
    assert.equal(await store.operators.getSession('amy-session'), null);
    assert.equal(await store.operators.findOperatorToken('hash-d'), null);
    assert.equal((await store.operators.findOperatorToken('hash-c'))?.username, 'zed');
    // The name is free again, with nothing of the old operator left.
    assert.ok(
      await store.operators.createOperator({
        username: 'amy',
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 6,
      }),
    );
    assert.equal((await store.operators.getOperator('amy'))?.role, 'admin');
  });

  it("deletes the sessions a provider's back-channel logout names: by person, by session, by both; never all", async () => {
    for (const username of ['sso-op', 'admin-bcl'])
      assert.ok(
        await store.operators.createOperator({
          username,
          passwordHash: 'h',
          role: 'viewer',
          accounts: null,
          createdAt: 1,
        }),
      );
    const session = (id: string, provider: { subject: string; session: string | null } | null) => ({
      idHash: `bcl-${id}`,
      id: `bcl-public-${id}`,
      username: provider?.subject === 'someone-else' ? 'admin-bcl' : 'sso-op',
      csrfToken: 'c',
      createdAt: 1,
      expiresAt: Number.MAX_SAFE_INTEGER,
      address: null,
      userAgent: null,
      signedInWith: provider ? ('sso' as const) : ('password' as const),
      provider,
      lastSeenAt: 1,
    });
    const all = [
      session('a', { subject: 'person', session: 'sid-1' }),
      session('b', { subject: 'person', session: 'sid-2' }),
      session('c', { subject: 'person', session: null }),
      session('d', { subject: 'someone-else', session: 'sid-1' }),
      session('e', null),
    ];
    for (const one of all) await store.operators.createSession(one);
    const left = async () =>
      (await Promise.all(all.map((one) => store.operators.getSession(one.idHash))))
        .filter((found) => found !== null)
        .map((found) => found.idHash.slice(4));
    assert.deepEqual(await store.operators.getSession('bcl-a'), all[0], 'kept with the session');
    assert.deepEqual(await store.operators.deleteProviderSessions({}), [], 'nothing named: nothing deleted');
    assert.deepEqual(
      await store.operators.deleteProviderSessions({ subject: 'person', session: 'sid-9' }),
      [],
    );
    assert.deepEqual(await left(), ['a', 'b', 'c', 'd', 'e']);
    assert.deepEqual(await store.operators.deleteProviderSessions({ subject: 'person', session: 'sid-1' }), [
      'sso-op',
    ]);
    assert.deepEqual(await left(), ['b', 'c', 'd', 'e'], "that person's session alone, not another's sid-1");
    assert.deepEqual(await store.operators.deleteProviderSessions({ session: 'sid-1' }), ['admin-bcl']);
    assert.deepEqual(await store.operators.deleteProviderSessions({ subject: 'person' }), [
      'sso-op',
      'sso-op',
    ]);
    assert.deepEqual(await left(), ['e'], 'a session opened otherwise is never the provider’s');
    assert.ok(await store.operators.deleteOperator('sso-op'));
    assert.ok(await store.operators.deleteOperator('admin-bcl'));
  });

  it('purges ended operator sessions and long-expired operator tokens, nothing else', async () => {
    assert.ok(
      await store.operators.createOperator({
        username: 'purged',
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 1,
      }),
    );
    for (const [id, expiresAt] of [
      ['ended', 1_000],
      ['ending-now', 2_000],
      ['live', 3_000],
    ] as const)
      await store.operators.createSession({
        idHash: id,
        id: `public-${id}`,
        address: null,
        userAgent: null,
        signedInWith: 'password',
        provider: null,
        lastSeenAt: 1,
        username: 'purged',
        csrfToken: 'c',
        createdAt: 0,
        expiresAt,
      });
    const token = (id: string, expiresAt: number | null) => ({
      id: id.repeat(32),
      tokenHash: `purge-${id}`,
      username: 'purged',
      name: id,
      createdAt: 0,
      expiresAt,
      lastUsedAt: null,
      role: null,
    });
    await store.operators.createOperatorToken(token('1', 500));
    await store.operators.createOperatorToken(token('2', 1_500));
    await store.operators.createOperatorToken(token('3', null));
    const counts = await store.operators.purgeExpiredOperatorCredentials(2_000, 1_000);
    assert.deepEqual(counts, { sessions: 2, tokens: 1 });
    assert.equal(await store.operators.getSession('ended'), null);
    assert.equal(await store.operators.getSession('ending-now'), null);
    assert.ok(await store.operators.getSession('live'));
    assert.equal(await store.operators.findOperatorToken('purge-1'), null);
    assert.ok(await store.operators.findOperatorToken('purge-2'), 'expired, still listed');
    assert.ok(await store.operators.findOperatorToken('purge-3'), 'never expires');
    assert.deepEqual(await store.operators.purgeExpiredOperatorCredentials(2_000, 1_000), {
      sessions: 0,
      tokens: 0,
    });
    // Idle too long ends a session too (its last request at or before the given time).
    await store.operators.touchSession('live', 900);
    assert.deepEqual(await store.operators.purgeExpiredOperatorCredentials(2_000, 1_000, 899), {
      sessions: 0,
      tokens: 0,
    });
    assert.deepEqual(await store.operators.purgeExpiredOperatorCredentials(2_000, 1_000, 900), {
      sessions: 1,
      tokens: 0,
    });
    assert.equal(await store.operators.getSession('live'), null);
  });

  it('keeps one TOTP secret per operator: pending, then on; each step once; removed with the operator', async () => {
    assert.ok(
      await store.operators.createOperator({
        username: 'otp',
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 1,
      }),
    );
    const pending = { username: 'otp', secretCipher: 'c1', createdAt: 10 };
    assert.equal(await store.operators.putPendingTotp({ ...pending, username: 'ghost' }), false);
    assert.equal(await store.operators.getTotp('otp'), null);
    assert.equal(await store.operators.useTotpStep('otp', 1), false);
    assert.equal(await store.operators.putPendingTotp(pending), true);
    assert.equal(await store.operators.useTotpStep('otp', 1), false, 'not while pending');
    assert.equal(
      await store.operators.putPendingTotp({ ...pending, secretCipher: 'c2', createdAt: 11 }),
      true,
    );
    assert.deepEqual(await store.operators.getTotp('otp'), {
      username: 'otp',
      secretCipher: 'c2',
      createdAt: 11,
      enabledAt: null,
      lastStep: null,
      recoveryCodes: [],
    });
    const listed = async () => (await store.operators.listOperators()).find((o) => o.username === 'otp');
    assert.equal((await listed())?.totpEnabled, false);
    assert.equal(await store.operators.replaceRecoveryCodes('otp', ['x']), false, 'not while pending');
    assert.equal(await store.operators.useRecoveryCode('otp', 'x'), null);
    assert.equal(await store.operators.enableTotp('otp', 100, 12, ['r1', 'r2', 'r3']), true);
    assert.equal(await store.operators.enableTotp('otp', 101, 13, []), false, 'once');
    assert.deepEqual((await store.operators.getTotp('otp'))?.recoveryCodes, ['r1', 'r2', 'r3']);
    // Each recovery code once, whichever is used first; a replacement makes the old ones useless.
    assert.equal(await store.operators.useRecoveryCode('otp', 'r2'), 2);
    assert.equal(await store.operators.useRecoveryCode('otp', 'r2'), null);
    assert.equal(await store.operators.useRecoveryCode('otp', 'nope'), null);
    assert.deepEqual((await store.operators.getTotp('otp'))?.recoveryCodes, ['r1', 'r3']);
    const [a, b] = await Promise.all([
      store.operators.useRecoveryCode('otp', 'r1'),
      store.operators.useRecoveryCode('otp', 'r1'),
    ]);
    assert.deepEqual([a, b].sort(), [1, null].sort(), 'two at once: one wins');
    assert.equal(await store.operators.replaceRecoveryCodes('otp', ['n1', 'n2']), true);
    assert.equal(await store.operators.useRecoveryCode('otp', 'r3'), null);
    assert.equal(await store.operators.useRecoveryCode('otp', 'n1'), 1);
    assert.equal(await store.operators.useRecoveryCode('otp', 'n2'), 0);
    assert.deepEqual((await store.operators.getTotp('otp'))?.recoveryCodes, []);
    assert.equal((await listed())?.totpEnabled, true);
    assert.equal(await store.operators.putPendingTotp({ ...pending, secretCipher: 'c3' }), false, 'on: kept');
    assert.equal((await store.operators.getTotp('otp'))?.secretCipher, 'c2');
    assert.equal(
      await store.operators.useTotpStep('otp', 100),
      false,
      'the enabling code does not count twice',
    );
    assert.equal(await store.operators.useTotpStep('otp', 101), true);
    assert.equal(await store.operators.useTotpStep('otp', 101), false);
    assert.equal(await store.operators.useTotpStep('otp', 99), false);
    assert.equal(await store.operators.useTotpStep('otp', 103), true);
    assert.equal((await store.operators.getTotp('otp'))?.lastStep, 103);
    assert.equal(await store.operators.deleteTotp('otp'), true);
    assert.equal(await store.operators.deleteTotp('otp'), false);
    assert.equal((await listed())?.totpEnabled, false);
    assert.equal(await store.operators.putPendingTotp(pending), true);
    assert.equal(await store.operators.deleteOperator('otp'), true, 'with a secret');
    assert.equal(await store.operators.getTotp('otp'), null);
  });

  it("keeps an operator's passkeys: unique ids, each use once past its counter, removed with the operator", async () => {
    const ops = store.operators;
    for (const username of ['pk-a', 'pk-b'])
      await ops.createOperator({ username, passwordHash: 'h', role: 'admin', accounts: null, createdAt: 1 });
    const key = (id: string, username: string, createdAt: number, counter = 0) => ({
      id,
      username,
      name: `key ${id}`,
      publicKey: `pk-${id}`,
      counter,
      transports: ['internal', 'hybrid'],
      createdAt,
      lastUsedAt: null,
    });
    assert.equal(await ops.addPasskey(key('k2', 'pk-a', 20, 5)), true);
    assert.equal(await ops.addPasskey(key('k1', 'pk-a', 10)), true);
    assert.equal(await ops.addPasskey(key('k1', 'pk-b', 30)), false, 'an id is registered once, to anyone');
    assert.equal(await ops.addPasskey(key('k9', 'ghost', 30)), false, 'an unknown operator');
    assert.equal(await ops.addPasskey(key('k3', 'pk-b', 30)), true);
    assert.deepEqual(await ops.listPasskeys('pk-a'), [key('k1', 'pk-a', 10), key('k2', 'pk-a', 20, 5)]);
    assert.deepEqual(await ops.findPasskey('k3'), key('k3', 'pk-b', 30), 'found by its id alone');
    assert.equal(await ops.findPasskey('k9'), null);
    const counts = (await ops.listOperators())
      .filter((o) => o.username.startsWith('pk-'))
      .map((o) => [o.username, o.passkeys]);
    assert.deepEqual(counts, [
      ['pk-a', 2],
      ['pk-b', 1],
    ]);

    assert.equal(await ops.usePasskey('pk-b', 'k1', 0, 40), false, "another operator's passkey");
    assert.equal(await ops.usePasskey('pk-a', 'k1', 0, 40), true, 'no counter kept: every use');
    assert.equal(await ops.usePasskey('pk-a', 'k1', 0, 41), true);
    assert.equal(await ops.usePasskey('pk-a', 'k2', 5, 42), false, 'a counter that did not move');
    assert.equal(await ops.usePasskey('pk-a', 'k2', 4, 42), false, 'a counter that went back');
    const [first, second] = await Promise.all([
      ops.usePasskey('pk-a', 'k2', 6, 43),
      ops.usePasskey('pk-a', 'k2', 6, 43),
    ]);
    assert.deepEqual([first, second].sort(), [false, true], 'one answer used twice at once: one wins');
    assert.deepEqual(
      (await ops.listPasskeys('pk-a')).map((p) => [p.id, p.counter, p.lastUsedAt]),
      [
        ['k1', 0, 41],
        ['k2', 6, 43],
      ],
    );

    assert.equal(await ops.deletePasskey('pk-b', 'k1'), false, "not another's");
    assert.equal(await ops.deletePasskey('pk-a', 'k1'), true);
    assert.equal(await ops.deletePasskey('pk-a', 'k1'), false);
    assert.equal(await ops.addPasskey(key('k4', 'pk-b', 50)), true);
    assert.equal(await ops.deletePasskeys('pk-b'), 2);
    assert.equal(await ops.deletePasskeys('pk-b'), 0);
    assert.equal(await ops.deleteOperator('pk-a'), true, 'with a passkey');
    assert.deepEqual(await ops.listPasskeys('pk-a'), []);
    assert.equal(await ops.findPasskey('k2'), null, 'gone with its operator');
    assert.equal(
      await ops.createOperator({
        username: 'pk-a',
        passwordHash: 'h',
        role: 'admin',
        accounts: null,
        createdAt: 2,
      }),
      true,
    );
    assert.deepEqual(await ops.listPasskeys('pk-a'), [], 'a new operator of the same name has none');
  });

  it('appends audit events and lists them newest first, per account, with paging', async () => {
    for (let i = 1; i <= 5; i++) {
      await store.audit.appendAudit({
        id: `e${i}`,
        at: i * 10,
        actor: 'op',
        accountId: i % 2 ? 'odd' : 'even',
        action: 'api-key.viewed',
        address: '127.0.0.1',
        detail: { n: i, ok: true, none: null },
      });
    }
    const odd = await store.audit.listAudit({ accountId: 'odd', limit: 10 });
    assert.deepEqual(
      odd.map((e) => e.id),
      ['e5', 'e3', 'e1'],
    );
    assert.deepEqual(odd[0]?.detail, { n: 5, ok: true, none: null });
    for (const id of ['same-z', 'same-a', 'same-m']) {
      await store.audit.appendAudit({
        id,
        at: 1_000,
        actor: 'op',
        accountId: 'same',
        action: 'x',
        address: null,
        detail: {},
      });
    }
    assert.deepEqual(
      (await store.audit.listAudit({ accountId: 'same', limit: 10 })).map((e) => e.id),
      ['same-m', 'same-a', 'same-z'],
      'same millisecond: newest appended first',
    );
    // Paging through the same millisecond: the page's last event says where the next one starts.
    const first = await store.audit.listAudit({ accountId: 'same', limit: 2 });
    const rest = await store.audit.listAudit({
      accountId: 'same',
      before: 1_000,
      beforeId: 'same-a',
      limit: 2,
    });
    assert.deepEqual(
      [...first, ...rest].map((e) => e.id),
      ['same-m', 'same-a', 'same-z'],
    );
    assert.deepEqual(
      (await store.audit.listAudit({ accountId: 'same', before: 1_000, beforeId: 'same-m', limit: 5 })).map(
        (e) => e.id,
      ),
      ['same-a', 'same-z'],
    );
    assert.deepEqual(
      await store.audit.listAudit({ accountId: 'same', before: 1_000, beforeId: 'ghost', limit: 5 }),
      [],
      'an id not of that time: as before alone',
    );
    const page = await store.audit.listAudit({ before: 40, limit: 2 });
    assert.deepEqual(
      page.map((e) => e.id),
      ['e3', 'e2'],
    );
  });

  it('lists the audit events by or about an operator, and only those of some accounts or of none', async () => {
    const event = (id: string, actor: string, accountId: string | null, username?: string) =>
      store.audit.appendAudit({
        id,
        at: 9_000_000 + Number(id.slice(1)),
        actor,
        accountId,
        action: username === undefined ? 'api-key.viewed' : 'operator.role-changed',
        address: null,
        detail: username === undefined ? {} : { username, role: 'viewer' },
      });
    await event('o1', 'boss', null, 'kim'); // about kim
    await event('o2', 'kim', 'acct-k'); // by kim
    await event('o3', 'kim', 'acct-other'); // by kim, elsewhere
    await event('o4', 'boss', null, 'lee'); // about someone else
    await event('o5', 'lee', 'acct-k'); // by someone else
    await event('o6', 'kim', null); // by kim, of no account
    const ids = async (filter: Omit<AuditFilter, 'limit'>) =>
      (await store.audit.listAudit({ ...filter, limit: 50 }))
        .map((e) => e.id)
        .filter((id) => id.startsWith('o'));
    assert.deepEqual(await ids({ operator: 'kim' }), ['o6', 'o3', 'o2', 'o1']);
    assert.deepEqual(await ids({ operator: 'kim', accounts: ['acct-k'] }), ['o6', 'o2', 'o1']);
    assert.deepEqual(await ids({ operator: 'kim', accountId: 'acct-k' }), ['o2']);
    assert.deepEqual(await ids({ accountId: 'acct-k', accounts: ['acct-k'] }), ['o5', 'o2']);
    assert.deepEqual(await ids({ accounts: [] }), ['o6', 'o4', 'o1'], 'no account: the events of none');
    assert.deepEqual(await ids({ operator: 'kim', before: 9_000_003 }), ['o2', 'o1']);
    assert.deepEqual(await ids({ operator: 'nobody' }), []);
  });

  it('purges audit events older than a cutoff, oldest first, a batch at a time', async () => {
    for (const [id, at] of [
      ['p4', 4_000_040],
      ['p1', 4_000_010],
      ['p3', 4_000_030],
      ['p2', 4_000_020],
      ['p5', 4_000_050],
    ] as const)
      await store.audit.appendAudit({
        id,
        at,
        actor: 'op',
        accountId: 'purged',
        action: 'x',
        address: null,
        detail: {},
      });
    // Events of the tests before this one are all older than 4,000,000.
    while ((await store.audit.purgeAuditBefore(4_000_000, 100)) > 0);
    const left = async () =>
      (await store.audit.listAudit({ accountId: 'purged', limit: 10 })).map((e) => e.id);
    // Only events older than the cutoff; the oldest go first.
    assert.equal(await store.audit.purgeAuditBefore(4_000_040, 2), 2);
    assert.deepEqual(await left(), ['p5', 'p4', 'p3']);
    assert.equal(await store.audit.purgeAuditBefore(4_000_040, 10), 1);
    assert.deepEqual(await left(), ['p5', 'p4']);
    assert.equal(await store.audit.purgeAuditBefore(4_000_040, 10), 0);
  });
});
