import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, randomUUID, sign } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { DpopService } from '../../src/services/dpop.js';
import {
  type AccountCredentials,
  basic,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  getToken,
  ISSUER,
  maintainOnce,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { type DpopKey, dpopHeaders, dpopKey, dpopProof, getDpopToken } from '../helpers/dpop.js';

describe('DPoP: access tokens bound to a key the client holds (RFC 9449)', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  let key: DpopKey;
  const call = caller(() => t);
  const form = 'application/x-www-form-urlencoded';

  /** A token request of `account` (client_secret_basic) with these extra headers. */
  const tokenRequest = (headers: Record<string, string> = {}, who = account) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic(who.userId, who.password), 'content-type': form, ...headers },
      payload: 'grant_type=client_credentials',
    });
  const tokenProof = (of: Partial<Parameters<typeof dpopProof>[2]> = {}, with_ = key) =>
    dpopProof(t, with_, { method: 'POST', url: '/oauth/token', ...of });
  const doc = (who = account) => `/v2/context/document/${who.accountId}/shop/conv1`;
  /** Reads the account's document with these headers: 200 when the credential is taken. */
  const read = (headers: Record<string, string>, url = doc()) =>
    t.app.inject({ method: 'GET', url, headers });

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
    account = await createAccount(t);
    key = await dpopKey('ES256');
    await createDocument(t, account);
  });
  after(async () => t.close());

  test('RFC 9728: the APIs as one resource and each API URL as its own; nothing for a path that is no API', async () => {
    const root = await t.app.inject('/.well-known/oauth-protected-resource');
    assert.equal(root.json().resource, ISSUER);
    assert.deepEqual(root.json().authorization_servers, [ISSUER]);
    const one = await t.app.inject('/.well-known/oauth-protected-resource/v2/policy/nextaction?x=1');
    assert.equal(one.json().resource, `${ISSUER}/v2/policy/nextaction`);
    for (const path of [
      '/api/admin/accounts',
      '/v2/../api/admin/accounts',
      '/',
      `/v2/${'a'.repeat(3_000)}`,
    ]) {
      const none = await t.app.inject(`/.well-known/oauth-protected-resource${path}`);
      assert.equal(none.statusCode, 404, path);
    }
  });

  test('the metadata lists the algorithms of proofs', async () => {
    const metadata = (await t.app.inject('/.well-known/oauth-authorization-server')).json();
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, [
      'ES256',
      'EdDSA',
      'Ed25519',
      'RS256',
      'PS256',
    ]);
  });

  for (const alg of ['ES256', 'EdDSA', 'RS256', 'PS256'] as const) {
    test(`a token request with a proof (${alg}) gets a DPoP token bound to its key; the key proves every call`, async () => {
      const own = await dpopKey(alg);
      const issued = await tokenRequest({ dpop: await tokenProof({}, own) });
      assert.equal(issued.statusCode, 200, issued.body);
      assert.equal(issued.json().token_type, 'DPoP');
      const token = issued.json().access_token as string;
      assert.deepEqual(decodeJwt(token).cnf, { jkt: await calculateJwkThumbprint(own.jwk) });

      const ok = await read(await dpopHeaders(t, own, token, 'GET', doc()));
      assert.equal(ok.statusCode, 200, ok.body);
      assert.deepEqual(ok.json().payload, { a: 1 });
      // A POST, with its own proof; the query string is not part of the proof's URL.
      const action = await t.app.inject({
        method: 'POST',
        url: '/v2/policy/nextaction?trace=1',
        headers: await dpopHeaders(t, own, token, 'POST', '/v2/policy/nextaction'),
        payload: { accountId: account.accountId, conversationId: 'c1' },
      });
      assert.ok(![401, 403].includes(action.statusCode), action.body);

      const introspected = await t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: basic(account.userId, account.password), 'content-type': form },
        payload: `token=${token}`,
      });
      assert.equal(introspected.json().active, true);
      assert.equal(introspected.json().token_type, 'DPoP');
      assert.deepEqual(introspected.json().cnf, { jkt: await calculateJwkThumbprint(own.jwk) });
    });
  }

  test('a token request without a proof still gets a bearer token', async () => {
    const issued = await tokenRequest();
    assert.equal(issued.json().token_type, 'Bearer');
    assert.equal(decodeJwt(issued.json().access_token).cnf, undefined);
  });

  test('the token endpoint refuses a proof that does not hold: 400 invalid_dpop_proof, with why', async () => {
    const ed = await dpopKey('EdDSA');
    // jose signs with no RSA key under 2,048 bits: this proof is made by hand.
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const smallProof = () => {
      const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
      const input = `${part({ typ: 'dpop+jwt', alg: 'RS256', jwk: small.publicKey.export({ format: 'jwk' }) })}.${part(
        {
          jti: randomUUID(),
          htm: 'POST',
          htu: `${ISSUER}/oauth/token`,
          iat: Math.floor(t.clock.now() / 1000),
        },
      )}`;
      return `${input}.${sign('sha256', Buffer.from(input), small.privateKey).toString('base64url')}`;
    };
    const { d: _d, ...publicJwk } = await exportJWK(
      (await generateKeyPair('ES256', { extractable: true })).privateKey,
    );
    const now = Math.floor(t.clock.now() / 1000);
    const cases: [string, () => Promise<string>, RegExp][] = [
      ['garbage', async () => 'not a jwt', /not one compact JWS/],
      ['a JWS of another type', () => tokenProof({ header: { typ: 'JWT' } }), /typ must be dpop\+jwt/],
      [
        'an HMAC algorithm',
        () =>
          new SignJWT({ jti: randomUUID(), htm: 'POST', htu: `${ISSUER}/oauth/token`, iat: now })
            .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.jwk } as never)
            .sign(new Uint8Array(32)),
        /alg must be one of/,
      ],
      ['no key in the header', () => tokenProof({ header: { jwk: undefined } }), /no jwk/],
      [
        'a private key in the header',
        () => tokenProof({ header: { jwk: { ...key.jwk, d: 'AAAA' } } }),
        /private or secret key/,
      ],
      [
        'a key of another algorithm',
        () => tokenProof({ header: { jwk: ed.jwk } }),
        /does not go with this key/,
      ],
      ['an RSA key of 1,024 bits', async () => smallProof(), /2,048 bits or more/],
      [
        'signed by another key than its header names',
        async () => tokenProof({ header: { jwk: publicJwk } }),
        /signature does not verify/,
      ],
      [
        'EdDSA, signed by another key than its header names',
        async () => tokenProof({ signer: await dpopKey('EdDSA') }, ed),
        /signature does not verify/,
      ],
      ['another method', () => tokenProof({ method: 'GET' }), /htm is not this request's method POST/],
      ['another URL', () => tokenProof({ url: 'https://elsewhere.example/oauth/token' }), /htu is not/],
      ['another path', () => tokenProof({ url: '/oauth/introspect' }), /htu is not/],
      ['no jti', () => tokenProof({ claims: { jti: undefined } }), /no usable jti/],
      ['made 6 minutes ago', () => tokenProof({ claims: { iat: now - 360 } }), /older than 300 seconds/],
      ['made 2 minutes ahead', () => tokenProof({ claims: { iat: now + 120 } }), /in the future/],
      ['no iat', () => tokenProof({ claims: { iat: undefined } }), /no iat/],
    ];
    for (const [name, proof, why] of cases) {
      const refused = await tokenRequest({ dpop: await proof() });
      assert.equal(refused.statusCode, 400, `${name}: ${refused.body}`);
      assert.equal(refused.json().error, 'invalid_dpop_proof', name);
      assert.match(refused.json().error_description, why, name);
      assert.equal(refused.headers['cache-control'], 'no-store');
    }
    // The URL's spelling does not matter: scheme and host in capitals, an explicit default port.
    const spelled = await tokenRequest({
      dpop: await tokenProof({ url: `${ISSUER.replace('http://', 'HTTP://').toUpperCase()}:80/oauth/token` }),
    });
    assert.equal(spelled.statusCode, 200, spelled.body);
  });

  test('each proof is taken once, also by a node that never saw it (the store remembers its jti)', async () => {
    const proof = await tokenProof();
    assert.equal((await tokenRequest({ dpop: proof })).statusCode, 200);
    const again = await tokenRequest({ dpop: proof });
    assert.equal(again.statusCode, 400);
    assert.match(again.json().error_description, /used already/);

    const token = await getDpopToken(t, account, key);
    const headers = await dpopHeaders(t, key, token, 'GET', doc());
    assert.equal((await read(headers)).statusCode, 200);
    const original = t.services.dpop;
    t.services.dpop = new DpopService(t.services.ctx);
    try {
      const replayed = await read(headers);
      assert.equal(replayed.statusCode, 401, replayed.body);
      assert.match(replayed.json().detail, /used already/);
    } finally {
      t.services.dpop = original;
    }
  });

  test('a bound token is refused without its proof, as a bearer token, or with a proof that does not fit', async () => {
    const token = await getDpopToken(t, account, key);
    const other = await dpopKey('ES256');
    const proof = (of: Partial<Parameters<typeof dpopProof>[2]> = {}, with_ = key) =>
      dpopProof(t, with_, { method: 'GET', url: doc(), token, ...of });
    const cases: [string, () => Promise<Record<string, string>>, RegExp, string][] = [
      [
        'no proof',
        async () => ({ authorization: `DPoP ${token}` }),
        /needs a DPoP proof/,
        'invalid_dpop_proof',
      ],
      [
        'as a bearer token',
        async () => ({ authorization: `Bearer ${token}`, dpop: await proof() }),
        /bound to a key/,
        'invalid_token',
      ],
      ['in the query', async () => ({ dpop: await proof() }), /bound to a key/, 'invalid_token'],
      [
        "a proof of another key (the thief's)",
        async () => ({ authorization: `DPoP ${token}`, dpop: await proof({}, other) }),
        /another key/,
        'invalid_dpop_proof',
      ],
      [
        'a proof without ath',
        async () => ({ authorization: `DPoP ${token}`, dpop: await proof({ token: undefined }) }),
        /ath is not the hash/,
        'invalid_dpop_proof',
      ],
      [
        'a proof for another token',
        async () => ({ authorization: `DPoP ${token}`, dpop: await proof({ token: `${token}x` }) }),
        /ath is not the hash/,
        'invalid_dpop_proof',
      ],
      [
        'a proof for another URL',
        async () => ({
          authorization: `DPoP ${token}`,
          dpop: await proof({ url: doc().replace('conv1', 'conv2') }),
        }),
        /htu is not/,
        'invalid_dpop_proof',
      ],
      [
        'a proof for another method',
        async () => ({ authorization: `DPoP ${token}`, dpop: await proof({ method: 'DELETE' }) }),
        /htm is not/,
        'invalid_dpop_proof',
      ],
      [
        'two proofs',
        async () => ({ authorization: `DPoP ${token}`, dpop: `${await proof()}, ${await proof()}` }),
        /not one compact JWS/,
        'invalid_dpop_proof',
      ],
    ];
    for (const [name, headers, why, error] of cases) {
      const url = name === 'in the query' ? `${doc()}?access_token=${token}` : doc();
      const refused = await read(await headers(), url);
      assert.equal(refused.statusCode, 401, `${name}: ${refused.body}`);
      assert.match(refused.json().detail, why, name);
      const challenge = String(refused.headers['www-authenticate']);
      assert.match(challenge, new RegExp(`^DPoP realm="[^"]+", error="${error}"`), `${name}: ${challenge}`);
      assert.match(challenge, /algs="ES256 EdDSA Ed25519 RS256 PS256"/, name);
    }
    // An unbound token is refused under the DPoP scheme (the client thinks it is bound: it is not).
    const bearer = await getToken(t, account);
    const unbound = await read({ authorization: `DPoP ${bearer}`, dpop: await proof({ token: bearer }) });
    assert.equal(unbound.statusCode, 401);
    assert.match(unbound.json().detail, /not bound to a key/);
    // Without any token, both schemes are offered, each with where the resource's metadata is (RFC 9728 §5.1).
    const none = await read({});
    const metadata = `resource_metadata="${ISSUER}/.well-known/oauth-protected-resource${doc()}"`;
    assert.equal(
      none.headers['www-authenticate'],
      `Bearer realm="conversation-orchestrator", ${metadata}, DPoP realm="conversation-orchestrator", algs="ES256 EdDSA Ed25519 RS256 PS256", ${metadata}`,
    );
    // A refused token, a missing scope, a refused proof: each challenge names it too, once.
    const narrow = await getToken(t, account, 'next-actions');
    for (const [headers, status] of [
      [{ authorization: 'Bearer eyJhbGciOiJFZERTQSJ9.e30.c2ln' }, 401],
      [{ authorization: `Bearer ${narrow}` }, 403],
      [{ authorization: `DPoP ${bearer}`, dpop: await proof({ token: bearer }) }, 401],
    ] as const) {
      const refused = await read(headers);
      assert.equal(refused.statusCode, status);
      const challenge = String(refused.headers['www-authenticate']);
      assert.ok(challenge.endsWith(`, ${metadata}`), challenge);
      assert.equal(challenge.split('resource_metadata=').length, 2, challenge);
    }
  });

  test('an account that requires DPoP gets no token without a proof, and none of its bearer tokens works', async () => {
    const strict = await createAccount(t);
    const bearer = await getToken(t, strict);
    const testToken = (
      await call('POST', `/api/admin/accounts/${strict.accountId}/test-token`, admin.headers, {})
    ).json().token as string;
    assert.equal((await read({ authorization: `Bearer ${testToken}` }, doc(strict))).statusCode, 404);

    const on = await call('PUT', `/api/admin/accounts/${strict.accountId}/dpop-required`, admin.headers, {});
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().dpopRequired, true);

    const refused = await tokenRequest({}, strict);
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error, 'invalid_request');
    assert.match(refused.json().error_description, /send a DPoP proof/);
    const login = await t.app.inject({
      method: 'POST',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(strict.userId, strict.password) },
    });
    assert.equal(login.statusCode, 400, login.body);
    for (const old of [bearer, testToken]) {
      const stale = await read({ authorization: `Bearer ${old}` }, doc(strict));
      assert.equal(stale.statusCode, 401, stale.body);
      assert.match(stale.json().detail, /must be bound to a key/);
      const introspected = await t.app.inject({
        method: 'POST',
        url: '/oauth/introspect',
        headers: { authorization: basic(strict.userId, strict.password), 'content-type': form },
        payload: `token=${old}`,
      });
      assert.equal(introspected.json().active, false);
    }

    // With a proof: a bound token, at the token endpoint and at the login endpoint alike.
    const bound = await getDpopToken(t, strict, key);
    assert.equal(
      (await read(await dpopHeaders(t, key, bound, 'GET', doc(strict)), doc(strict))).statusCode,
      404,
    );
    const loggedIn = await t.app.inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: {
        authorization: basic(strict.userId, strict.password),
        dpop: await dpopProof(t, key, { method: 'GET', url: '/v2/authenticate/login' }),
      },
    });
    assert.equal(loggedIn.statusCode, 200, loggedIn.body);
    assert.equal(loggedIn.json().token_type, 'DPoP');

    const off = await call('DELETE', `/api/admin/accounts/${strict.accountId}/dpop-required`, admin.headers);
    assert.equal(off.json().dpopRequired, false);
    assert.equal((await read({ authorization: `Bearer ${bearer}` }, doc(strict))).statusCode, 404);
    const events = (
      await call('GET', `/api/admin/audit?accountId=${strict.accountId}`, admin.headers)
    ).json() as { action: string; detail: Record<string, unknown> }[];
    assert.deepEqual(
      events.filter((e) => e.action === 'account.dpop-required-changed').map((e) => e.detail.dpopRequired),
      [false, true],
      'newest first',
    );
    assert.equal(
      (await call('PUT', '/api/admin/accounts/nosuchacct/dpop-required', admin.headers, {})).statusCode,
      404,
    );
  });

  test("a proof is verified and taken only within the account's rate: one refused 429 is not used up", async () => {
    const limited = await createAccount(t);
    await t.services.accountLimits.setRate(limited.accountId, { perSecond: 1, burst: 1 });
    try {
      const token = await getDpopToken(t, limited, key);
      t.clock.advance(1_000); // the token request counted too
      const first = await read(await dpopHeaders(t, key, token, 'GET', doc(limited)), doc(limited));
      assert.equal(first.statusCode, 404, first.body);
      const headers = await dpopHeaders(t, key, token, 'GET', doc(limited));
      assert.equal((await read(headers, doc(limited))).statusCode, 429);
      t.clock.advance(1_000);
      assert.equal(
        (await read(headers, doc(limited))).statusCode,
        404,
        'the same proof, not used up by the 429',
      );
    } finally {
      await t.services.accountLimits.setRate(limited.accountId, null);
    }
  });

  test('a proof is checked only for a client that authenticated', async () => {
    const refused = await t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        authorization: basic(account.userId, 'wrong'),
        'content-type': form,
        dpop: await tokenProof(),
      },
      payload: 'grant_type=client_credentials',
    });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.json().error, 'invalid_client');
  });

  test('jti values are kept in the store until the proof would be too old, then purged', async () => {
    const jti = randomUUID();
    assert.equal((await tokenRequest({ dpop: await tokenProof({ claims: { jti } }) })).statusCode, 200);
    const jkt = await calculateJwkThumbprint(key.jwk);
    assert.equal(await t.services.ctx.store.tokens.useClientAssertion(`dpop:${jkt}`, jti, 0), false);
    t.clock.advance(361_000);
    try {
      await maintainOnce(t);
      assert.equal(await t.services.ctx.store.tokens.useClientAssertion(`dpop:${jkt}`, jti, 0), true);
    } finally {
      t.clock.advance(-361_000);
    }
  });
});

describe('DPoP with server nonces (DPOP_NONCE=true, RFC 9449 §8–9)', () => {
  let t: TestApp;
  let account: AccountCredentials;
  let key: DpopKey;
  const form = 'application/x-www-form-urlencoded';
  const tokenRequest = (dpop: string) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { authorization: basic(account.userId, account.password), 'content-type': form, dpop },
      payload: 'grant_type=client_credentials',
    });

  before(async () => {
    t = await createTestApp({ store: 'sqlite', dpopNonce: true });
    account = await createAccount(t);
    key = await dpopKey('ES256');
  });
  after(async () => t.close());

  test('a proof without the nonce is answered use_dpop_nonce with one; with it, a token and the next nonce', async () => {
    const first = await tokenRequest(await dpopProof(t, key, { method: 'POST', url: '/oauth/token' }));
    assert.equal(first.statusCode, 400, first.body);
    assert.equal(first.json().error, 'use_dpop_nonce');
    const nonce = first.headers['dpop-nonce'] as string;
    assert.match(nonce, /^[A-Za-z0-9_-]{30}$/);
    const proof = (claims = {}) =>
      dpopProof(t, key, { method: 'POST', url: '/oauth/token', claims: { nonce, ...claims } });
    const issued = await tokenRequest(await proof());
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.headers['dpop-nonce'], nonce, 'the same minute, the same nonce');
    const token = issued.json().access_token as string;

    // At a v2 API: the same, with a 401 and a challenge.
    const url = `/v2/context/document/${account.accountId}/ns/none`;
    const call = async (claims: Record<string, unknown>) =>
      t.app.inject({
        method: 'GET',
        url,
        headers: {
          authorization: `DPoP ${token}`,
          dpop: await dpopProof(t, key, { method: 'GET', url, token, claims }),
        },
      });
    const without = await call({});
    assert.equal(without.statusCode, 401);
    assert.match(String(without.headers['www-authenticate']), /^DPoP realm="[^"]+", error="use_dpop_nonce"/);
    assert.equal(without.headers['dpop-nonce'], nonce);
    const answered = await call({ nonce });
    assert.equal(answered.statusCode, 404, answered.body);
    assert.equal(answered.headers['dpop-nonce'], nonce);

    // A nonce is taken until the end of the next minute; a forged or older one is not.
    t.clock.advance(60_000);
    assert.equal((await call({ nonce })).statusCode, 404, 'the last minute’s nonce');
    const next = (await call({ nonce })).headers['dpop-nonce'];
    assert.notEqual(next, nonce, 'a new minute, a new nonce');
    t.clock.advance(60_000);
    const stale = await call({ nonce });
    assert.equal(stale.statusCode, 401);
    assert.match(stale.json().detail, /not one this server takes now/);
    const forged = `${nonce.slice(0, 8)}${'A'.repeat(22)}`;
    assert.equal((await call({ nonce: forged })).statusCode, 401);
    assert.equal((await call({ nonce: 12 })).statusCode, 401);
  });

  test('during a master key rotation, a node takes the nonces of the nodes still on the previous key', async () => {
    const first = await tokenRequest(await dpopProof(t, key, { method: 'POST', url: '/oauth/token' }));
    const nonce = first.headers['dpop-nonce'] as string;
    const original = t.services.dpop;
    const proof = () => dpopProof(t, key, { method: 'POST', url: '/oauth/token', claims: { nonce } });
    try {
      t.services.dpop = new DpopService({
        ...t.ctx,
        masterKey: randomBytes(32),
        previousMasterKey: t.ctx.masterKey,
      });
      assert.equal((await tokenRequest(await proof())).statusCode, 200, 'rotating: the previous key’s nonce');
      t.services.dpop = new DpopService({ ...t.ctx, masterKey: randomBytes(32) });
      const refused = await tokenRequest(await proof());
      assert.equal(refused.json().error, 'use_dpop_nonce', 'rotated: another key’s nonce');
    } finally {
      t.services.dpop = original;
    }
  });

  test("a refused nonce does not use the proof's jti up", async () => {
    const jti = randomUUID();
    const refused = await tokenRequest(
      await dpopProof(t, key, { method: 'POST', url: '/oauth/token', claims: { jti } }),
    );
    assert.equal(refused.json().error, 'use_dpop_nonce');
    const nonce = refused.headers['dpop-nonce'] as string;
    const again = await tokenRequest(
      await dpopProof(t, key, { method: 'POST', url: '/oauth/token', claims: { jti, nonce } }),
    );
    assert.equal(again.statusCode, 200, again.body);
  });
});
