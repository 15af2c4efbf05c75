import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Scope } from '../../src/core/auth/scopes.js';
import { SCOPES } from '../../src/core/auth/scopes.js';
import type { RouteModule } from '../../src/http/server.js';
import {
  type AccountCredentials,
  basic,
  createAccount,
  createTestApp,
  getToken,
  type TestApp,
} from './app.js';
import { type DpopKey, dpopHeaders, dpopKey, getDpopToken } from './dpop.js';
import { CLIENT_CERT_HEADER, certificate, clientCert, der } from './mtls.js';

export interface ProtectedRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Builds the URL for the account whose data is addressed. */
  url: (accountId: string) => string;
  /** Builds the JSON body, if the route takes one, for the account whose data is addressed. */
  body?: (accountId: string) => unknown;
  /** v1 routes take the maven-api-key header; v2 routes a bearer token with this scope. */
  auth: { v1: true } | { v2: Scope };
}

type Inject = {
  method: ProtectedRoute['method'];
  url: string;
  headers: Record<string, string>;
  payload?: string;
};

function request(route: ProtectedRoute, accountId: string, headers: Record<string, string>): Inject {
  const body = route.body?.(accountId);
  return {
    method: route.method,
    url: route.url(accountId),
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  };
}

/**
 * The shared security tests every protected route runs: no credential, wrong credential, another account's
 * credential, missing scope, expired, revoked. None of them may succeed, and none may answer 5xx.
 */
export function describeSecurity(
  name: string,
  route: ProtectedRoute,
  options: { extraRoutes?: RouteModule[] } = {},
): void {
  describe(`security: ${name}`, () => {
    let t: TestApp;
    let owner: AccountCredentials;
    let other: AccountCredentials;
    before(async () => {
      // Requests come from 127.0.0.1: the test proxy that forwards clients' certificates.
      t = await createTestApp({
        extraRoutes: options.extraRoutes ?? [],
        clientCertificates: { header: CLIENT_CERT_HEADER, proxies: ['127.0.0.1'] },
      });
      owner = await createAccount(t);
      other = await createAccount(t);
    });
    after(async () => t.close());

    const send = async (headers: Record<string, string>, accountId = owner.accountId) => {
      const response = await t.app.inject(request(route, accountId, headers));
      assert.ok(response.statusCode < 500, `answered ${response.statusCode}: ${response.body}`);
      return response;
    };

    test('no credential → 401', async () => {
      const response = await send({});
      assert.equal(response.statusCode, 401);
      if ('v2' in route.auth) assert.match(String(response.headers['www-authenticate']), /^Bearer/);
    });

    if ('v1' in route.auth) {
      test('wrong key → 401', async () => {
        const response = await send({ 'maven-api-key': `orch_key_${'A'.repeat(43)}` });
        assert.equal(response.statusCode, 401);
        assert.equal((await send({ 'maven-api-key': 'garbage' })).statusCode, 401);
      });
      test("another account's key → 403", async () => {
        assert.equal((await send({ 'maven-api-key': other.apiKey })).statusCode, 403);
      });
      test('regenerated (revoked) key → 401', async () => {
        const account = await createAccount(t);
        await t.services.apiKeys.regenerate(account.accountId);
        assert.equal((await send({ 'maven-api-key': account.apiKey }, account.accountId)).statusCode, 401);
      });
      test('key past its grace period (expired) → 401', async () => {
        const account = await createAccount(t);
        await t.services.apiKeys.regenerate(account.accountId, 60);
        t.clock.advance(61_000);
        assert.equal((await send({ 'maven-api-key': account.apiKey }, account.accountId)).statusCode, 401);
      });
    } else {
      const scope = route.auth.v2;
      const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
      test('wrong token → 401 invalid_token', async () => {
        const response = await send(bearer('eyJhbGciOiJFZERTQSJ9.e30.c2ln'));
        assert.equal(response.statusCode, 401);
        assert.match(String(response.headers['www-authenticate']), /error="invalid_token"/);
        assert.equal((await send(bearer('not a token!'))).statusCode, 401);
      });
      test("another account's token → 403", async () => {
        assert.equal((await send(bearer(await getToken(t, other, scope)))).statusCode, 403);
      });
      test('token without the scope → 403', async () => {
        const others = SCOPES.filter((s) => s !== scope).join(' ');
        const response = await send(bearer(await getToken(t, owner, others)));
        assert.equal(response.statusCode, 403);
        assert.match(String(response.headers['www-authenticate']), /insufficient_scope/);
      });
      test('expired token → 401', async () => {
        const token = await getToken(t, owner, scope);
        t.clock.advance(3_601_000);
        try {
          assert.equal((await send(bearer(token))).statusCode, 401);
        } finally {
          t.clock.advance(-3_601_000);
        }
      });
      test('revoked token → 401', async () => {
        const token = await getToken(t, owner, scope);
        const revoked = await t.app.inject({
          method: 'POST',
          url: '/oauth/revoke',
          headers: {
            authorization: basic(owner.userId, owner.password),
            'content-type': 'application/x-www-form-urlencoded',
          },
          payload: `token=${token}`,
        });
        assert.equal(revoked.statusCode, 200);
        assert.equal((await send(bearer(token))).statusCode, 401);
      });
      test('token of regenerated credentials → 401', async () => {
        const account = await createAccount(t);
        const token = await getToken(t, account, scope);
        await t.services.clients.regenerate(account.accountId);
        assert.equal((await send(bearer(token), account.accountId)).statusCode, 401);
      });
      test('token bound to a key (DPoP): without its proof, as a bearer token, or proven by another key → 401', async () => {
        const key = await dpopKey();
        const token = await getDpopToken(t, owner, key, scope);
        const { method, url } = request(route, owner.accountId, {});
        const proof = async (by: DpopKey) => (await dpopHeaders(t, by, token, method, url)).dpop as string;
        const cases: Record<string, string>[] = [
          { authorization: `DPoP ${token}` },
          { authorization: `Bearer ${token}`, dpop: await proof(key) },
          { authorization: `DPoP ${token}`, dpop: await proof(await dpopKey()) },
        ];
        for (const headers of cases) {
          const response = await send(headers);
          assert.equal(response.statusCode, 401, response.body);
          assert.match(String(response.headers['www-authenticate']), /^DPoP /);
        }
        // With its own proof the credential is taken (whatever the route then answers).
        const proven = await send(await dpopHeaders(t, key, token, method, url));
        assert.ok(![401, 403].includes(proven.statusCode), `answered ${proven.statusCode}: ${proven.body}`);
      });
      test('token bound to a client certificate (mutual TLS): without it, or with another → 401', async () => {
        const account = await createAccount(t);
        const mine = certificate('client-ec');
        await t.services.clients.keys.add(account.accountId, { x5c: [der(mine)] });
        const issued = await t.app.inject({
          method: 'POST',
          url: '/oauth/token',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            [CLIENT_CERT_HEADER]: clientCert(mine),
          },
          payload: `grant_type=client_credentials&client_id=${account.userId}&scope=${scope}`,
        });
        assert.equal(issued.statusCode, 200, issued.body);
        const token = bearer(issued.json().access_token);
        for (const headers of [
          token,
          { ...token, [CLIENT_CERT_HEADER]: clientCert(certificate('other-ec')) },
        ]) {
          const response = await send(headers, account.accountId);
          assert.equal(response.statusCode, 401, response.body);
          assert.match(String(response.headers['www-authenticate']), /client certificate/);
        }
        const presented = await send({ ...token, [CLIENT_CERT_HEADER]: clientCert(mine) }, account.accountId);
        assert.ok(
          ![401, 403].includes(presented.statusCode),
          `answered ${presented.statusCode}: ${presented.body}`,
        );
      });
    }
  });
}
