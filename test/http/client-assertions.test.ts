import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import {
  type AccountCredentials,
  basic,
  caller,
  createAccount,
  createTestApp,
  ISSUER,
  signIn,
  type TestApp,
  tokenByAssertion,
} from '../helpers/app.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

describe('private_key_jwt: clients that sign an assertion with their own key (RFC 7523)', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  let es: KeyPair;
  const call = caller(() => t);
  const seconds = () => Math.floor(t.clock.now() / 1000);

  /** An assertion of `account`'s client, signed with `key` (ES256 unless `alg`), with these claims changed. */
  const assertion = (
    key: KeyPair['privateKey'] = es.privateKey,
    claims: JWTPayload = {},
    /** `kid: ''`: the header names no key. */
    { alg = 'ES256', kid = 'laptop', typ }: { alg?: string; kid?: string; typ?: string } = {},
  ) =>
    new SignJWT({
      iss: account.userId,
      sub: account.userId,
      aud: `${ISSUER}/oauth/token`,
      iat: seconds(),
      exp: seconds() + 60,
      jti: randomUUID(),
      ...claims,
    })
      .setProtectedHeader({ alg, ...(kid ? { kid } : {}), ...(typ ? { typ } : {}) })
      .sign(key);
  /** A form posted to an OAuth endpoint. */
  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      payload: new URLSearchParams(form).toString(),
    });
  const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
    post('/oauth/token', { grant_type: 'client_credentials', ...form }, headers);
  const signed = (client_assertion: string, extra: Record<string, string> = {}) =>
    token({ client_assertion_type: ASSERTION_TYPE, client_assertion, ...extra });
  const addKey = (jwk: Record<string, unknown>, on = account.accountId) =>
    call('POST', `/api/admin/accounts/${on}/client-keys`, admin.headers, { jwk });

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
    account = await createAccount(t);
    es = await generateKeyPair('ES256');
  });
  after(async () => t.close());

  test('an admin adds public keys, named by kid or thumbprint; private keys, weak or unknown kinds are refused', async () => {
    const added = await addKey({ ...(await exportJWK(es.publicKey)), kid: 'laptop' });
    assert.equal(added.statusCode, 201, added.body);
    assert.deepEqual(
      [added.json().kid, added.json().alg, added.json().type],
      ['laptop', 'ES256', 'EC P-256'],
    );

    t.clock.advance(1000);
    const ed = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    const named = (await addKey(await exportJWK(ed.publicKey))).json();
    assert.match(named.kid, /^[A-Za-z0-9_-]{43}$/, 'its RFC 7638 thumbprint');
    assert.deepEqual([named.alg, named.type], ['EdDSA', 'OKP Ed25519']);
    t.clock.advance(1000);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
    assert.deepEqual((await addKey({ ...rsa, alg: 'PS256', kid: 'rsa' })).json().type, 'RSA 2048 bits');

    const refusals: [string, Record<string, unknown>, RegExp][] = [
      [
        'a private key',
        await exportJWK((await generateKeyPair('ES256', { extractable: true })).privateKey),
        /a private or secret key/,
      ],
      ['a shared secret', { kty: 'oct', k: 'c2VjcmV0' }, /a private or secret key/],
      [
        'RSA of 1,024 bits',
        generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }),
        /2,048 bits or more/,
      ],
      ['P-384', { kty: 'EC', crv: 'P-384', x: 'AA', y: 'AA' }, /P-256/],
      [
        'RSA with the exponent 1',
        {
          ...generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' }),
          e: 'AQ',
        },
        /exponent 65537/,
      ],
      [
        'not a point of the curve',
        { kty: 'EC', crv: 'P-256', x: 'AAAA', y: 'AAAA' },
        /not a valid public key/,
      ],
      ['an algorithm of another key', { ...(await exportJWK(es.publicKey)), alg: 'RS256' }, /does not go/],
      ['for encryption', { ...(await exportJWK(es.publicKey)), use: 'enc' }, /use must be sig/],
    ];
    for (const [name, jwk, message] of refusals) {
      const refused = await addKey(jwk);
      assert.equal(refused.statusCode, 400, `${name}: ${refused.body}`);
      assert.match(refused.json().detail, message, name);
    }
    assert.equal((await addKey({ ...(await exportJWK(es.publicKey)), kid: 'laptop' })).statusCode, 409);

    const listed = await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers);
    assert.deepEqual(
      (listed.json() as { kid: string }[]).map((k) => k.kid),
      ['laptop', named.kid, 'rsa'],
    );
    assert.equal(
      JSON.stringify(listed.json()).includes('"d"'),
      false,
      'public members only, as given or not',
    );
    for (let i = 0; i < 2; i++) await addKey(await exportJWK((await generateKeyPair('ES256')).publicKey));
    const sixth = await addKey(await exportJWK((await generateKeyPair('ES256')).publicKey));
    assert.equal(sixth.statusCode, 400);
    assert.match(sixth.json().detail, /5 client keys at most/);
  });

  test('a signed assertion gets a token, introspects and revokes it; each assertion serves once', async () => {
    const first = await assertion();
    const answer = await signed(first, { scope: 'context:read' });
    assert.equal(answer.statusCode, 200, answer.body);
    const { access_token: accessToken } = answer.json();
    const read = await t.app.inject({
      method: 'GET',
      url: `/v2/context/document/read?accountId=${account.accountId}&nameSpace=n&sessionId=s`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
    assert.notEqual(read.statusCode, 401, read.body);

    // With no kid, each of the account's keys of its kind is tried (it has three P-256 keys now).
    const unnamed = await signed(await assertion(undefined, {}, { kid: '' }));
    assert.equal(unnamed.statusCode, 200, unnamed.body);

    const again = await signed(first);
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().error, 'invalid_client');
    assert.match(again.json().error_description, /used already/);

    // At introspection and revocation, the assertion may name the endpoint called, or the issuer.
    const about = async (path: string, aud: string) =>
      post(path, {
        token: accessToken,
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(undefined, { aud }),
      });
    const introspected = await about('/oauth/introspect', `${ISSUER}/oauth/introspect`);
    assert.equal(introspected.json().active, true, introspected.body);
    const revoked = await about('/oauth/revoke', ISSUER);
    assert.equal(revoked.statusCode, 200, revoked.body);

    const metadata = (
      await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('private_key_jwt'));
    assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported, [
      'RS256',
      'PS256',
      'ES256',
      'EdDSA',
      'Ed25519',
    ]);
  });

  test('an assertion that is not the client’s, not for this server, too long-lived or unsigned is refused: 401 invalid_client', async () => {
    const stranger = await generateKeyPair('ES256');
    /** Each made when it is sent, at the test clock's time then. */
    const cases: [string, () => Promise<string> | string, RegExp][] = [
      [
        'signed by a key not the account’s',
        () => assertion(stranger.privateKey),
        /no key of this client verifies/,
      ],
      ['for another server', () => assertion(undefined, { aud: 'https://elsewhere.example' }), /aud/],
      ['issued by another', () => assertion(undefined, { iss: 'someone-else' }), /iss/],
      ['expired', () => assertion(undefined, { iat: seconds() - 600, exp: seconds() - 120 }), /exp/],
      [
        'valid for an hour',
        () => assertion(undefined, { exp: seconds() + 3600 }),
        /more than 10 minutes ahead/,
      ],
      ['no exp', () => assertion(undefined, { exp: undefined }), /exp/],
      ['no jti', () => assertion(undefined, { jti: undefined }), /jti/],
      [
        'a jti that is no string',
        () => assertion(undefined, { jti: { not: 'text' } as unknown as string }),
        /jti/,
      ],
      [
        'HS256 with the client secret',
        () =>
          new SignJWT({
            iss: account.userId,
            sub: account.userId,
            aud: ISSUER,
            exp: seconds() + 60,
            jti: 'h',
          })
            .setProtectedHeader({ alg: 'HS256' })
            .sign(new TextEncoder().encode(account.password)),
        /no key of this client verifies/,
      ],
      [
        'not signed',
        () =>
          `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(
            JSON.stringify({
              iss: account.userId,
              sub: account.userId,
              aud: ISSUER,
              exp: seconds() + 60,
              jti: 'n',
            }),
          ).toString('base64url')}.`,
        /no key of this client verifies|not a signed JWT/,
      ],
      ['not a JWT', () => 'not-a-jwt', /not a signed JWT/],
    ];
    for (const [index, [name, made, reason]] of cases.entries()) {
      // Refusals count against the client (below): a fresh window every few, so that all are answered.
      if (index % 5 === 4) t.clock.advance(15 * 60_000);
      const answer = await signed(await made());
      assert.equal(answer.statusCode, 401, `${name}: ${answer.body}`);
      assert.equal(answer.json().error, 'invalid_client', name);
      assert.match(answer.json().error_description, reason, name);
      assert.match(String(answer.headers['www-authenticate']), /^Basic/, name);
    }
    // Another client's id, or a client without keys: the same answer as another key's signature, so that ids cannot
    // be told apart.
    const ghost = await assertion(undefined, { iss: 'orch_ghost', sub: 'orch_ghost' });
    const keyless = await createAccount(t);
    const withoutKeys = await assertion(undefined, { iss: keyless.userId, sub: keyless.userId });
    for (const jwt of [ghost, withoutKeys])
      assert.equal(
        (await signed(jwt)).json().error_description,
        'client authentication failed: no key of this client verifies the assertion',
      );
    assert.equal((await signed(await assertion(), { client_id: 'someone-else' })).statusCode, 401);

    // Each refusal counted against the client, as a wrong secret is: held back a while, then let in again.
    t.clock.advance(15 * 60_000);
    let refusals = 0;
    while ((await signed(await assertion(stranger.privateKey))).statusCode === 401) refusals++;
    assert.ok(refusals >= 5 && refusals <= 20, `held back after ${refusals} refusals`);
    const held = await signed(await assertion());
    assert.equal(held.statusCode, 429, held.body);
    t.clock.advance(15 * 60_000);
    // The admin's session has been idle meanwhile, by the test clock.
    admin = await signIn(t);
    const both = await signed(await assertion(), {});
    assert.equal(both.statusCode, 200, 'alone it works');

    // Two methods at once, or another assertion type: a malformed request.
    const twice = await token(
      { client_assertion_type: ASSERTION_TYPE, client_assertion: await assertion() },
      { authorization: basic(account.userId, account.password) },
    );
    assert.equal(twice.statusCode, 400);
    assert.match(twice.json().error_description, /one client authentication method/);
    const otherType = await token({
      client_assertion_type: 'urn:example:saml',
      client_assertion: await assertion(),
    });
    assert.equal(otherType.statusCode, 400);
  });

  test('RFC 7523bis: an assertion typed client-authentication+jwt names the issuer alone; one typed as another kind of JWT is refused', async () => {
    // A fresh window for the client's refusals (they count against it, as wrong secrets do).
    t.clock.advance(15 * 60_000);
    const typed = (aud: string | string[], typ = 'client-authentication+jwt') =>
      assertion(undefined, { aud }, { typ });
    const accepted: [string, () => Promise<string>][] = [
      ['typed, the issuer', () => typed(ISSUER)],
      [
        'typed with its media type prefix, the issuer in an array of one',
        () => typed([ISSUER], 'application/client-authentication+jwt'),
      ],
      ['untyped, the token endpoint (RFC 7523, CLIENT_ASSERTION_AUDIENCE=any)', () => assertion()],
      ['typed JWT, the endpoint called', () => typed(`${ISSUER}/oauth/token`, 'JWT')],
      [
        'untyped, the issuer among others',
        () => assertion(undefined, { aud: ['https://elsewhere.example', ISSUER] }),
      ],
    ];
    for (const [name, made] of accepted) {
      const answer = await signed(await made());
      assert.equal(answer.statusCode, 200, `${name}: ${answer.body}`);
    }
    const refused: [string, () => Promise<string>, string][] = [
      [
        'typed, the token endpoint',
        () => typed(`${ISSUER}/oauth/token`),
        `the assertion's aud must be the issuer ${ISSUER} alone (RFC 7523bis: it is typed client-authentication+jwt)`,
      ],
      [
        'typed, the issuer among others',
        () => typed([ISSUER, 'https://elsewhere.example']),
        `the assertion's aud must be the issuer ${ISSUER} alone (RFC 7523bis: it is typed client-authentication+jwt)`,
      ],
      [
        'an access token of the client’s own making',
        () => typed(ISSUER, 'at+jwt'),
        'the assertion is typed at+jwt: a JWT of another kind, not a client assertion',
      ],
      [
        'a DPoP proof',
        () => typed(`${ISSUER}/oauth/token`, 'dpop+jwt'),
        'the assertion is typed dpop+jwt: a JWT of another kind, not a client assertion',
      ],
    ];
    for (const [name, made, reason] of refused) {
      const answer = await signed(await made());
      assert.equal(answer.statusCode, 401, `${name}: ${answer.body}`);
      assert.equal(answer.json().error_description, `client authentication failed: ${reason}`, name);
    }
    // A refused assertion's jti is not spent: the same one, right, is taken.
    const jti = randomUUID();
    assert.equal(
      (
        await signed(
          await assertion(
            undefined,
            { aud: `${ISSUER}/oauth/token`, jti },
            { typ: 'client-authentication+jwt' },
          ),
        )
      ).statusCode,
      401,
    );
    assert.equal(
      (await signed(await assertion(undefined, { aud: ISSUER, jti }, { typ: 'client-authentication+jwt' })))
        .statusCode,
      200,
    );
  });

  test('a key removed, or the account suspended, stops its assertions at once; new credentials keep the keys', async () => {
    assert.equal((await signed(await assertion())).statusCode, 200);
    const removed = await call(
      'DELETE',
      `/api/admin/accounts/${account.accountId}/client-keys/laptop`,
      admin.headers,
    );
    assert.equal(removed.statusCode, 204, removed.body);
    assert.match(
      (await signed(await assertion())).json().error_description,
      /no key of this client verifies/,
    );
    assert.equal(
      (await call('DELETE', `/api/admin/accounts/${account.accountId}/client-keys/laptop`, admin.headers))
        .statusCode,
      404,
    );
    assert.equal((await addKey({ ...(await exportJWK(es.publicKey)), kid: 'laptop' })).statusCode, 201);

    const regenerated = await call(
      'POST',
      `/api/admin/accounts/${account.accountId}/credentials/regenerate`,
      admin.headers,
    );
    const oldId = account.userId;
    account = { ...account, userId: regenerated.json().userId, password: regenerated.json().password };
    assert.equal((await signed(await assertion())).statusCode, 200, 'the new user ID, the same key');
    const withOldId = await assertion(undefined, { iss: oldId, sub: oldId });
    assert.equal((await signed(withOldId)).statusCode, 401, 'the old user ID is gone');

    await t.services.accounts.suspend(account.accountId);
    const suspended = await signed(await assertion());
    assert.equal(suspended.statusCode, 400);
    assert.equal(suspended.json().error, 'unauthorized_client');
    await t.services.accounts.resume(account.accountId);

    const audit = (
      await call('GET', `/api/admin/audit?accountId=${account.accountId}`, admin.headers)
    ).json() as { action: string; detail: Record<string, unknown> }[];
    assert.deepEqual(
      audit
        .filter((e) => e.action.startsWith('client-key.'))
        .map((e) => [e.action, e.detail.kid])
        .slice(0, 2),
      [
        ['client-key.added', 'laptop'],
        ['client-key.removed', 'laptop'],
      ],
    );
  });

  test("signed assertions alone: the account's password is refused everywhere, a key is required, the last one kept", async () => {
    const path = (on: string) => `/api/admin/accounts/${on}/signed-assertions-only`;
    const bare = await createAccount(t);
    const noKey = await call('PUT', path(bare.accountId), admin.headers, {});
    assert.equal(noKey.statusCode, 409, noKey.body);
    assert.match(noKey.json().detail, /no client key/);

    const on = await call('PUT', path(account.accountId), admin.headers, {});
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().signedAssertionsOnly, true);
    const byBasic = await token({}, { authorization: basic(account.userId, account.password) });
    assert.equal(byBasic.statusCode, 401);
    assert.match(byBasic.json().error_description, /signed assertion alone/);
    const byPost = await token({ client_id: account.userId, client_secret: account.password });
    assert.equal(byPost.statusCode, 401);
    const login = await t.app.inject({
      method: 'POST',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(account.userId, account.password) },
    });
    assert.equal(login.statusCode, 401, 'the compatible login endpoint too');
    assert.equal((await signed(await assertion())).statusCode, 200, 'a signed assertion still gets a token');
    // The same answer whether the password is right or not: it cannot be confirmed this way.
    const wrong = await token({}, { authorization: basic(account.userId, 'a wrong password') });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error_description, byBasic.json().error_description);

    // Its keys can go but the last: the client could not get a token any more.
    const keys = (
      await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers)
    ).json() as {
      kid: string;
    }[];
    for (const { kid } of keys.filter((k) => k.kid !== 'laptop'))
      assert.equal(
        (await call('DELETE', `/api/admin/accounts/${account.accountId}/client-keys/${kid}`, admin.headers))
          .statusCode,
        204,
      );
    const last = await call(
      'DELETE',
      `/api/admin/accounts/${account.accountId}/client-keys/laptop`,
      admin.headers,
    );
    assert.equal(last.statusCode, 409, last.body);

    const off = await call('DELETE', path(account.accountId), admin.headers);
    assert.equal(off.json().signedAssertionsOnly, false);
    assert.equal(
      (await token({}, { authorization: basic(account.userId, account.password) })).statusCode,
      200,
    );
    const audit = (
      await call('GET', `/api/admin/audit?accountId=${account.accountId}`, admin.headers)
    ).json() as { action: string; detail: Record<string, unknown> }[];
    assert.deepEqual(
      audit
        .filter((e) => e.action === 'account.signed-assertions-only-changed')
        .map((e) => e.detail.signedAssertionsOnly),
      [false, true],
      'newest first',
    );
  });

  test('changes made at once on two nodes never leave more than five keys, nor signed assertions alone without a key', async () => {
    const racer = await createAccount(t);
    const jwkOf = async () => exportJWK((await generateKeyPair('ES256')).publicKey);
    for (let i = 0; i < 3; i++) assert.equal((await addKey(await jwkOf(), racer.accountId)).statusCode, 201);
    t.clock.advance(1000);
    const keys = t.services.clients.keys;
    // Named, so that nothing is awaited before each reads the keys: the three read three keys, then all add.
    const jwks = await Promise.all([1, 2, 3].map(async (n) => ({ ...(await jwkOf()), kid: `race-${n}` })));
    const added = await Promise.allSettled(jwks.map((jwk) => keys.add(racer.accountId, jwk)));
    assert.equal(added.filter((a) => a.status === 'fulfilled').length, 2, 'two of the three fitted');
    assert.equal((await keys.list(racer.accountId)).length, 5);

    // The last key removed while signed assertions alone is turned on: one of the two gives way.
    for (const key of (await keys.list(racer.accountId)).slice(1))
      await keys.remove(racer.accountId, key.kid);
    const [last] = await keys.list(racer.accountId);
    await Promise.allSettled([
      keys.remove(racer.accountId, last?.kid as string),
      t.services.accountLimits.setFlag(racer.accountId, 'signedAssertionsOnly', true),
    ]);
    const account = await t.services.accounts.require(racer.accountId);
    const left = await keys.list(racer.accountId);
    assert.ok(!(account.signedAssertionsOnly && left.length === 0), 'never on without a key');
  });

  test('used assertions are forgotten once expired; an operator of another account cannot see or change the keys', async () => {
    const used = await assertion();
    assert.equal((await signed(used)).statusCode, 200);
    t.clock.advance(5 * 60_000);
    assert.ok(
      (await t.ctx.store.tokens.purgeUsedAssertionsBefore(t.clock.now(), 1_000)) >= 1,
      'purged after it expired',
    );
    const other = await createAccount(t);
    await t.services.operators.createOperator('other-admin', 'other admin password', 'admin', [
      other.accountId,
    ]);
    const theirs = await signIn(t, 'other-admin', 'other admin password');
    const path = `/api/admin/accounts/${account.accountId}/client-keys`;
    assert.equal((await call('GET', path, theirs.headers)).statusCode, 404);
    assert.equal(
      (await call('POST', path, theirs.headers, { jwk: await exportJWK(es.publicKey) })).statusCode,
      404,
    );
  });
});

test('CLIENT_ASSERTION_AUDIENCE=issuer: every assertion names the issuer alone (RFC 7523bis), typed or not', async () => {
  const t = await createTestApp({ clientAssertionAudience: 'issuer' });
  try {
    const admin = await signIn(t);
    const account = await createAccount(t);
    const key = await generateKeyPair('ES256');
    const added = await caller(() => t)(
      'POST',
      `/api/admin/accounts/${account.accountId}/client-keys`,
      admin.headers,
      {
        jwk: { ...(await exportJWK(key.publicKey)), kid: 'k1' },
      },
    );
    assert.equal(added.statusCode, 201, added.body);
    const seconds = Math.floor(t.clock.now() / 1000);
    const signedFor = (aud: string | string[]) =>
      tokenByAssertion(t, key.privateKey, 'k1', {
        iss: account.userId,
        sub: account.userId,
        aud,
        exp: seconds + 60,
        jti: randomUUID(),
      });
    assert.equal((await signedFor(ISSUER)).statusCode, 200);
    assert.equal((await signedFor([ISSUER])).statusCode, 200);
    for (const aud of [`${ISSUER}/oauth/token`, [ISSUER, `${ISSUER}/oauth/token`]]) {
      const answer = await signedFor(aud);
      assert.equal(answer.statusCode, 401, answer.body);
      assert.equal(
        answer.json().error_description,
        `client authentication failed: the assertion's aud must be the issuer ${ISSUER} alone (RFC 7523bis)`,
      );
    }
  } finally {
    await t.close();
  }
});
