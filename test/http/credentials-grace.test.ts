import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import { versionHolds } from '../../src/services/clients.js';
import {
  type AccountCredentials,
  basic,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  ISSUER,
  signIn,
  type TestApp,
  tokenByAssertion,
} from '../helpers/app.js';

/**
 * Regenerating the v2 credentials with a grace period (graceSeconds, as the v1 key has): the old user ID and password,
 * and the tokens issued under them, work that much longer, so that a fleet of clients moves without an outage.
 */
describe('v2 credentials regenerated with a grace period', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);

  const token = (who: { userId: string; password: string }) =>
    t.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: {
        authorization: basic(who.userId, who.password),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: 'grant_type=client_credentials',
    });
  const read = (account: AccountCredentials, accessToken: string) =>
    t.app.inject({
      method: 'GET',
      url: `/v2/context/document/${account.accountId}/shop/conv1`,
      headers: { authorization: `Bearer ${accessToken}` },
    });
  const regenerate = (account: AccountCredentials, body: unknown) =>
    call('POST', `/api/admin/accounts/${account.accountId}/credentials/regenerate`, admin.headers, body);
  const page = async (account: AccountCredentials) =>
    (await call('GET', `/api/admin/accounts/${account.accountId}/api-authorization`, admin.headers)).json()
      .credentials;

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
  });
  after(async () => t.close());

  test('the old user ID and password and their tokens work through the grace period, then stop; the new ones at once', async () => {
    const account = await createAccount(t);
    await createDocument(t, account);
    const before = await token(account);
    assert.equal(before.statusCode, 200, before.body);
    const oldToken = before.json().access_token as string;
    assert.equal((await read(account, oldToken)).statusCode, 200, 'verified, and remembered by this node');

    const regenerated = await regenerate(account, { graceSeconds: 600 });
    assert.equal(regenerated.statusCode, 200, regenerated.body);
    const answer = regenerated.json();
    assert.equal(answer.graceSeconds, 600);
    assert.equal(answer.previousExpiresAt, new Date(t.clock.now() + 600_000).toISOString());
    const fresh = { userId: answer.userId as string, password: answer.password as string };
    assert.notEqual(fresh.userId, account.userId);

    // Both work meanwhile; a token got with the old ones is of the old version, and ends with the grace period.
    const newToken = (await token(fresh)).json().access_token as string;
    const graceToken = await token(account);
    assert.equal(graceToken.statusCode, 200, graceToken.body);
    assert.equal(decodeJwt(graceToken.json().access_token).client_id, account.userId);
    assert.equal(decodeJwt(graceToken.json().access_token).cv, decodeJwt(oldToken).cv);
    assert.equal(decodeJwt(newToken).cv, (decodeJwt(oldToken).cv as number) + 1);
    for (const accessToken of [oldToken, graceToken.json().access_token, newToken])
      assert.equal((await read(account, accessToken)).statusCode, 200);
    // The compatible login endpoint too; a wrong password for the old user ID is refused as any.
    const login = await t.app.inject({
      method: 'POST',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(account.userId, account.password) },
    });
    assert.equal(login.statusCode, 200, login.body);
    const wrong = await token({ userId: account.userId, password: fresh.password });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error, 'invalid_client');

    // The page shows the old user ID with its end and its last use (the password is not kept).
    const shown = await page(account);
    assert.equal(shown.userId, fresh.userId);
    assert.equal(shown.previous.userId, account.userId);
    assert.equal(shown.previous.expiresAt, answer.previousExpiresAt);
    assert.equal(shown.previous.password, undefined);
    // Its use during the grace period is recorded against it (off the request's path: a moment later).
    const minute = new Date(Math.floor(t.clock.now() / 60_000) * 60_000).toISOString();
    for (let i = 0; i < 100 && (await page(account)).previous.lastUsedAt !== minute; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await page(account)).previous.lastUsedAt, minute);
    assert.equal((await page(account)).lastUsedAt, minute, 'and the new ones their own');

    // At its end, on this node's own clock: the old ones and every token under them are refused, the new ones not.
    t.clock.advance(600_000);
    const late = await token(account);
    assert.equal(late.statusCode, 401);
    assert.equal(late.json().error, 'invalid_client');
    for (const accessToken of [oldToken, graceToken.json().access_token]) {
      const refused = await read(account, accessToken);
      assert.equal(refused.statusCode, 401);
      assert.match(String(refused.headers['www-authenticate']), /invalid_token/);
    }
    assert.equal((await read(account, newToken)).statusCode, 200);
    assert.equal((await page(account)).previous, null);
    // Introspection by the new client says the old token is no longer active.
    const introspected = await t.app.inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: {
        authorization: basic(fresh.userId, fresh.password),
        'content-type': 'application/x-www-form-urlencoded',
      },
      payload: `token=${oldToken}`,
    });
    assert.equal(introspected.json().active, false);
  });

  test('regenerating again ends the credentials kept before at once; without a grace period, as before, nothing is kept', async () => {
    const account = await createAccount(t);
    const first = (await regenerate(account, { graceSeconds: 3600 })).json();
    const second = (await regenerate(account, { graceSeconds: 60 })).json();
    // The original ones were in their grace period: no longer.
    assert.equal((await token(account)).statusCode, 401);
    assert.equal((await token(first)).statusCode, 200, 'the ones just replaced, for 60 s');
    assert.equal((await token(second)).statusCode, 200);
    const third = (await regenerate(account, {})).json();
    assert.equal(third.graceSeconds, 0);
    assert.equal(third.previousExpiresAt, null);
    assert.equal((await token(second)).statusCode, 401);
    assert.equal((await token(third)).statusCode, 200);
    assert.equal((await page(account)).previous, null);
  });

  test('a signed assertion may name the old user ID through the grace period', async () => {
    const account = await createAccount(t);
    const key = await generateKeyPair('ES256');
    const added = await call('POST', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers, {
      jwk: { ...(await exportJWK(key.publicKey)), kid: 'k' },
    });
    assert.equal(added.statusCode, 201, added.body);
    const signed = (userId: string) => {
      const now = Math.floor(t.clock.now() / 1000);
      return tokenByAssertion(t, key.privateKey, 'k', {
        iss: userId,
        sub: userId,
        aud: `${ISSUER}/oauth/token`,
        iat: now,
        exp: now + 60,
        jti: randomUUID(),
      });
    };
    const fresh = (await regenerate(account, { graceSeconds: 120 })).json();
    assert.equal((await signed(account.userId)).statusCode, 200);
    assert.equal((await signed(fresh.userId)).statusCode, 200);
    t.clock.advance(120_000);
    assert.equal((await signed(account.userId)).statusCode, 401);
    assert.equal((await signed(fresh.userId)).statusCode, 200);
  });

  test('graceSeconds is a whole number from 0 to 86,400; the audit event says it', async () => {
    const account = await createAccount(t);
    for (const graceSeconds of [-1, 86_401, 1.5, '60', null]) {
      const refused = await regenerate(account, { graceSeconds });
      assert.equal(refused.statusCode, 400, `${graceSeconds}: ${refused.body}`);
      assert.match(refused.json().detail, /graceSeconds/);
    }
    assert.equal((await regenerate(account, { graceSeconds: 1, other: true })).statusCode, 400);
    // Nothing was replaced by a refused request.
    assert.equal((await token(account)).statusCode, 200);
    // No body at all, as the compatible API sends: no grace period (the v1 key's regeneration likewise).
    const bare = await regenerate(account, undefined);
    assert.equal(bare.statusCode, 200, bare.body);
    assert.equal(bare.json().graceSeconds, 0);
    const bareKey = await call(
      'POST',
      `/api/admin/accounts/${account.accountId}/api-key/regenerate`,
      admin.headers,
    );
    assert.equal(bareKey.statusCode, 200, bareKey.body);
    assert.equal((await regenerate(account, { graceSeconds: 86_400 })).statusCode, 200);
    const events = (
      await call('GET', `/api/admin/audit?accountId=${account.accountId}`, admin.headers)
    ).json() as { action: string; detail: unknown }[];
    const regenerated = events.find((e) => e.action === 'credentials.regenerated');
    assert.deepEqual(regenerated?.detail, { graceSeconds: 86_400 });
  });

  test("a token's version holds when it is the current one, or the previous one's within its time — not the one in between", () => {
    const state = {
      version: 5,
      previous: { version: 3, until: 1_000 },
      assertionsOnly: false,
      dpopRequired: false,
      certificateRequired: false,
    };
    assert.equal(versionHolds(5, state, 2_000), true);
    assert.equal(versionHolds(3, state, 999), true);
    assert.equal(versionHolds(3, state, 1_000), false);
    // Version 4 was replaced by a node that knew nothing of grace periods (a rolling upgrade): not taken.
    assert.equal(versionHolds(4, state, 0), false);
    assert.equal(versionHolds(5, { ...state, version: 'suspended' }, 0), false);
    assert.equal(versionHolds(5, { ...state, version: null }, 0), false);
  });
});
