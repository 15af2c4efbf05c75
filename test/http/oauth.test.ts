import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose';
import { RedisRateLimitStore } from '../../src/adapters/redis/rate-limit.js';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  getToken,
  ISSUER,
  type TestApp,
} from '../helpers/app.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('POST /oauth/token', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  before(async () => {
    t = await createTestApp();
    acct = await createAccount(t);
  });
  after(async () => t.close());

  const token = (headers: Record<string, string>, payload: string, ip = '10.0.0.1') =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, ...headers },
      payload,
      remoteAddress: ip,
    });

  test('while the rate-limit counters cannot be read: 503 temporarily_unavailable with Retry-After, no token', async () => {
    const counters = t.ctx.rateLimits;
    // Nothing listens on port 1: every counter read is refused, as with a Redis that is down.
    const down = new RedisRateLimitStore('redis://127.0.0.1:1');
    t.ctx.rateLimits = down;
    try {
      const response = await token(
        { authorization: basic(acct.userId, acct.password) },
        'grant_type=client_credentials',
      );
      assert.equal(response.statusCode, 503);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(response.headers['cache-control'], 'no-store');
      assert.equal(response.json().error, 'temporarily_unavailable');
      const outageLines = () =>
        t.logs
          .filter((line) => line.includes('the store could not answer; answered 503'))
          .map((line) => JSON.parse(line) as { level: number; heldBack: number });
      assert.deepEqual(
        outageLines().map((l) => [l.level, l.heldBack]),
        [[40, 0]],
      );
      // Every request meets the outage; the log says so once a second, with how many it stands for.
      const again = () =>
        token({ authorization: basic(acct.userId, acct.password) }, 'grant_type=client_credentials');
      for (let i = 0; i < 3; i++) assert.equal((await again()).statusCode, 503);
      assert.equal(outageLines().length, 1);
      t.clock.advance(1000);
      assert.equal((await again()).statusCode, 503);
      assert.deepEqual(
        outageLines().map((l) => l.heldBack),
        [0, 3],
      );
    } finally {
      t.ctx.rateLimits = counters;
      await down.close();
    }
  });

  test('issues an RFC 9068 access token by client_secret_basic', async () => {
    const response = await token(
      { authorization: basic(acct.userId, acct.password) },
      'grant_type=client_credentials',
    );
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['cache-control'], 'no-store');
    const body = response.json();
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 3600);
    assert.equal(body.scope, 'context:read context:write next-actions policies:read');
    const header = decodeProtectedHeader(body.access_token);
    assert.equal(header.typ, 'at+jwt');
    assert.equal(header.alg, 'EdDSA');
    const claims = decodeJwt(body.access_token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.sub, acct.accountId);
    assert.equal(claims.aud, ISSUER);
    assert.equal(claims.client_id, acct.userId);
    assert.equal(typeof claims.jti, 'string');
    assert.equal(Number(claims.exp) - Number(claims.iat), 3600);
  });

  test('issues by client_secret_post and narrows scopes on request', async () => {
    const response = await token(
      {},
      `grant_type=client_credentials&scope=policies%3Awrite+context%3Aread&client_id=${acct.userId}&client_secret=${acct.password}`,
    );
    assert.equal(response.statusCode, 200);
    assert.equal(response.json().scope, 'context:read policies:write');
  });

  test('form-decodes Basic credentials (RFC 6749 Appendix B)', async () => {
    const encoded = basic(encodeURIComponent(acct.userId), encodeURIComponent(acct.password));
    assert.equal((await token({ authorization: encoded }, 'grant_type=client_credentials')).statusCode, 200);
  });

  test('unknown client and wrong secret get the same 401 invalid_client with a Basic challenge', async () => {
    const wrong = await token(
      { authorization: basic(acct.userId, `${acct.password}x`) },
      'grant_type=client_credentials',
      '10.1.0.1',
    );
    const unknown = await token(
      { authorization: basic('orch_client_nobody', acct.password) },
      'grant_type=client_credentials',
      '10.1.0.2',
    );
    for (const response of [wrong, unknown]) {
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /^Basic realm=/);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
    assert.deepEqual(wrong.json(), unknown.json());
    assert.deepEqual(wrong.json(), {
      error: 'invalid_client',
      error_description: 'client authentication failed',
    });
  });

  test('refuses both authentication methods at once, repeated parameters, and bad grants', async () => {
    const both = await token(
      { authorization: basic(acct.userId, acct.password) },
      `grant_type=client_credentials&client_id=${acct.userId}&client_secret=${acct.password}`,
    );
    assert.equal(both.statusCode, 400);
    assert.equal(both.json().error, 'invalid_request');
    const repeated = await token(
      { authorization: basic(acct.userId, acct.password) },
      'grant_type=client_credentials&grant_type=client_credentials',
    );
    assert.equal(repeated.json().error, 'invalid_request');
    const missing = await token({ authorization: basic(acct.userId, acct.password) }, 'scope=context%3Aread');
    assert.equal(missing.json().error, 'invalid_request');
    const code = await token(
      { authorization: basic(acct.userId, acct.password) },
      'grant_type=authorization_code',
    );
    assert.equal(code.json().error, 'unsupported_grant_type');
    const scope = await token(
      { authorization: basic(acct.userId, acct.password) },
      'grant_type=client_credentials&scope=admin',
    );
    assert.equal(scope.json().error, 'invalid_scope');
  });

  test('malformed input is a 4xx in the OAuth error format, never a 5xx', async () => {
    const cases: { headers: Record<string, string>; payload: string }[] = [
      { headers: { authorization: 'Basic !!!' }, payload: 'grant_type=client_credentials' },
      { headers: { authorization: 'Basic ' }, payload: 'grant_type=client_credentials' },
      {
        headers: { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
        payload: 'grant_type=client_credentials',
      },
      {
        headers: { authorization: `Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}` },
        payload: 'grant_type=client_credentials',
      },
      { headers: { authorization: `Basic ${'A'.repeat(5000)}` }, payload: 'grant_type=client_credentials' },
      { headers: { 'content-type': 'application/json' }, payload: '{"grant_type":"client_credentials"}' },
      { headers: { 'content-type': 'text/plain' }, payload: 'hello' },
      { headers: {}, payload: `grant_type=${'x'.repeat(70_000)}` },
      { headers: {}, payload: '%%%' },
    ];
    for (const [i, c] of cases.entries()) {
      const response = await token(c.headers, c.payload, `10.2.0.${i}`);
      assert.ok(
        response.statusCode >= 400 && response.statusCode < 500,
        `case ${i}: ${response.statusCode} ${response.body}`,
      );
      assert.equal(typeof response.json().error, 'string', `case ${i}`);
      assert.equal(response.headers['cache-control'], 'no-store');
    }
  });

  test('failed client authentications are rate-limited with Retry-After, and the right secret works again later', async () => {
    const victim = await createAccount(t);
    let last = await token(
      { authorization: basic(victim.userId, 'wrong') },
      'grant_type=client_credentials',
      '10.3.0.1',
    );
    for (let i = 0; i < 12; i++)
      last = await token(
        { authorization: basic(victim.userId, 'wrong') },
        'grant_type=client_credentials',
        '10.3.0.1',
      );
    assert.equal(last.statusCode, 429);
    assert.ok(Number(last.headers['retry-after']) >= 1);
    const blocked = await token(
      { authorization: basic(victim.userId, victim.password) },
      'grant_type=client_credentials',
      '10.3.0.2',
    );
    assert.equal(blocked.statusCode, 429, 'the client id is locked for the window');
    t.clock.advance(61_000);
    const ok = await token(
      { authorization: basic(victim.userId, victim.password) },
      'grant_type=client_credentials',
      '10.3.0.2',
    );
    assert.equal(ok.statusCode, 200);
  });
});

describe('POST /oauth/introspect and /oauth/revoke', () => {
  let t: TestApp;
  let a: AccountCredentials;
  let b: AccountCredentials;
  before(async () => {
    t = await createTestApp();
    a = await createAccount(t);
    b = await createAccount(t);
  });
  after(async () => t.close());

  const call = (path: string, who: AccountCredentials, payload: string) =>
    t.app.inject({
      method: 'POST',
      url: path,
      headers: { ...FORM, authorization: basic(who.userId, who.password) },
      payload,
    });

  test('introspection reports the caller’s own live token, and nothing of another account’s', async () => {
    const token = await getToken(t, a);
    const own = await call('/oauth/introspect', a, `token=${token}`);
    assert.equal(own.statusCode, 200);
    const body = own.json();
    assert.equal(body.active, true);
    assert.equal(body.sub, a.accountId);
    assert.equal(body.client_id, a.userId);
    assert.equal(body.token_type, 'Bearer');
    assert.deepEqual((await call('/oauth/introspect', b, `token=${token}`)).json(), { active: false });
    assert.deepEqual((await call('/oauth/introspect', a, 'token=garbage')).json(), { active: false });
  });

  test('revocation is limited to the caller’s tokens and takes effect at once', async () => {
    const token = await getToken(t, a);
    assert.equal((await call('/oauth/revoke', b, `token=${token}`)).statusCode, 200);
    assert.equal(
      (await call('/oauth/introspect', a, `token=${token}`)).json().active,
      true,
      'another account cannot revoke it',
    );
    assert.equal(
      (await call('/oauth/revoke', a, `token=${token}&token_type_hint=access_token`)).statusCode,
      200,
    );
    assert.equal((await call('/oauth/introspect', a, `token=${token}`)).json().active, false);
    assert.equal(
      (await call('/oauth/revoke', a, 'token=unknown')).statusCode,
      200,
      'RFC 7009 §2.2: unknown tokens are fine',
    );
  });

  test('both need client authentication and a token parameter', async () => {
    for (const path of ['/oauth/revoke', '/oauth/introspect']) {
      const anonymous = await t.app.inject({ method: 'POST', url: path, headers: FORM, payload: 'token=x' });
      assert.equal(anonymous.statusCode, 401);
      assert.equal(anonymous.json().error, 'invalid_client');
      assert.equal((await call(path, a, '')).json().error, 'invalid_request');
    }
  });

  test('regenerating credentials revokes every token issued under the old ones', async () => {
    const token = await getToken(t, a);
    await t.services.clients.regenerate(a.accountId);
    const fresh = await t.services.clients.reveal(a.accountId);
    assert.ok(fresh);
    const renewed = { ...a, userId: fresh.userId, password: fresh.password };
    assert.equal((await call('/oauth/introspect', renewed, `token=${token}`)).json().active, false);
    const old = await call('/oauth/token', a, 'grant_type=client_credentials');
    assert.equal(old.statusCode, 401);
  });
});

describe('GET|POST /v2/authenticate/login', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  before(async () => {
    t = await createTestApp();
    acct = await createAccount(t);
  });
  after(async () => t.close());

  for (const method of ['GET', 'POST'] as const) {
    test(`${method} answers the compatible body with the Basic credentials`, async () => {
      const response = await t.app.inject({
        method,
        url: '/v2/authenticate/login',
        headers: { authorization: basic(acct.userId, acct.password) },
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'token', 'token_type']);
      assert.equal(body.token, body.access_token);
      assert.equal(body.token_type, 'Bearer');
      assert.equal(response.headers['cache-control'], 'no-store');
    });
  }

  test('a wrong password and an unknown user get the same 401 with a Basic challenge', async () => {
    const wrong = await t.app.inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(acct.userId, 'nope') },
    });
    const unknown = await t.app.inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: { authorization: basic('demo', 'p@55w0rd') },
    });
    const none = await t.app.inject({ method: 'GET', url: '/v2/authenticate/login' });
    for (const response of [wrong, unknown, none]) {
      assert.equal(response.statusCode, 401);
      assert.match(String(response.headers['www-authenticate']), /^Basic/);
    }
    assert.deepEqual(wrong.json(), unknown.json());
  });
});

describe('metadata and JWKS', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(async () => t.close());

  test('RFC 8414 metadata names every endpoint under the issuer', async () => {
    const body = (
      await t.app.inject({ method: 'GET', url: '/.well-known/oauth-authorization-server' })
    ).json();
    assert.equal(body.issuer, ISSUER);
    assert.equal(body.token_endpoint, `${ISSUER}/oauth/token`);
    assert.deepEqual(body.grant_types_supported, ['client_credentials']);
    assert.deepEqual(body.token_endpoint_auth_methods_supported, [
      'client_secret_basic',
      'client_secret_post',
      'private_key_jwt',
    ]);
  });

  test('the JWKS holds public keys only, and a rotated key is published before it signs', async () => {
    const before1 = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    assert.equal(before1.keys.length, 1);
    assert.equal(before1.keys[0].d, undefined, 'no private part');
    const acct = await createAccount(t);
    const rotated = await t.services.keyring.rotate(300_000);
    const after1 = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    assert.equal(after1.keys.length, 2);
    const tokenNow = await getToken(t, acct);
    assert.notEqual(decodeProtectedHeader(tokenNow).kid, rotated.kid, 'not signing yet');
    t.clock.advance(300_001);
    const tokenLater = await getToken(t, acct);
    assert.equal(decodeProtectedHeader(tokenLater).kid, rotated.kid);
    assert.equal((await t.services.tokens.verify(tokenNow)).ok, true, 'tokens of the old key still verify');
    t.clock.advance(25 * 3_600_000);
    await t.ctx.store.signingKeys.deleteSigningKeysRemovedBefore(t.clock.now());
    t.bus.emit({ type: 'invalidate', topic: 'signing-keys', key: 'x' });
    const final = (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json();
    assert.deepEqual(
      final.keys.map((k: { kid: string }) => k.kid),
      [rotated.kid],
    );
  });
});

describe('tokens signed on the signing thread (SIGNING_THREADS=true, and auto with two cores or more)', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ signingPlace: 'thread' });
  });
  after(async () => t.close());

  test('Ed25519 and ES256 tokens verify against the JWKS as RFC 9068 tokens and open the v2 routes', async () => {
    const acct = await createAccount(t);
    for (const alg of ['EdDSA', 'ES256'] as const) {
      if (alg === 'ES256') await t.services.keyring.rotate(0, 'ES256');
      const jwks = createLocalJWKSet(
        (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json(),
      );
      // Asked for at once: the signatures run side by side on the pool, each for its own token.
      const tokens = await Promise.all(Array.from({ length: 12 }, () => getToken(t, acct)));
      assert.equal(new Set(tokens).size, tokens.length);
      for (const token of tokens) {
        const { payload, protectedHeader } = await jwtVerify(token, jwks, {
          issuer: ISSUER,
          audience: ISSUER,
          typ: 'at+jwt',
          currentDate: new Date(t.clock.now()),
        });
        assert.equal(protectedHeader.alg, alg);
        assert.equal(payload.sub, acct.accountId);
      }
      const bearer = { authorization: `Bearer ${tokens[0]}` };
      const created = await t.app.inject({
        method: 'POST',
        url: '/v2/context/document/create',
        headers: bearer,
        payload: { accountId: acct.accountId, nameSpace: 'signed', sessionId: alg, payload: { alg } },
      });
      assert.equal(created.statusCode, 201, created.body);
      const read = await t.app.inject({
        method: 'GET',
        url: `/v2/context/document/${acct.accountId}/signed/${alg}`,
        headers: bearer,
      });
      assert.equal(read.statusCode, 200, read.body);
    }
  });
});
