import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DELETED_ID_HELD_MS } from '../../src/services/accounts.js';
import {
  type AccountCredentials,
  basic,
  caller,
  createAccount,
  createTestApp,
  getToken,
  maintainOnce,
  maintenanceOf,
  signIn,
  type TestApp,
} from '../helpers/app.js';

type Headers = Record<string, string>;

for (const store of ['memory', 'sqlite-cached'] as const) {
  describe(`accounts are suspended, resumed and deleted (${store})`, () => {
    let t: TestApp;
    let admin: Headers;
    before(async () => {
      t = await createTestApp({ store });
      admin = (await signIn(t)).headers;
    });
    after(async () => t.close());

    const call = caller(() => t);
    const keyed = (a: AccountCredentials) => ({ 'maven-api-key': a.apiKey });
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const v1List = (a: AccountCredentials) => call('GET', `/v1/account/${a.accountId}`, keyed(a));
    const v2Read = (a: AccountCredentials, token: string) =>
      call('GET', `/v2/context/document/${a.accountId}/ns/s1`, bearer(token));
    const tokenRequest = (a: AccountCredentials) =>
      t.app.inject({
        method: 'POST',
        url: '/oauth/token',
        headers: {
          authorization: basic(a.userId, a.password),
          'content-type': 'application/x-www-form-urlencoded',
        },
        payload: 'grant_type=client_credentials',
      });
    const login = (a: AccountCredentials) =>
      call('POST', '/v2/authenticate/login', { authorization: basic(a.userId, a.password) });
    const status = async (accountId: string) =>
      ((await call('GET', `/api/admin/accounts/${accountId}`, admin)).json() as { status: string }).status;
    const auditActions = async (accountId: string) =>
      (
        (await call('GET', `/api/admin/audit?accountId=${accountId}&limit=500`, admin)).json() as {
          action: string;
        }[]
      ).map((e) => e.action);

    const dataRemoved = async (accountId: string) =>
      (
        (await call('GET', `/api/admin/audit?accountId=${accountId}&limit=500`, admin)).json() as {
          action: string;
          detail: unknown;
        }[]
      )
        .filter((e) => e.action === 'account.data-removed')
        .map((e) => e.detail);

    /** An account with a context document and a token that reads it. */
    const withData = async () => {
      const account = await createAccount(t);
      const token = await getToken(t, account);
      const created = await call('POST', '/v2/context/document/create', bearer(token), {
        accountId: account.accountId,
        nameSpace: 'ns',
        sessionId: 's1',
        payload: { intent: 'billing' },
      });
      assert.equal(created.statusCode, 201, created.body);
      assert.equal((await v2Read(account, token)).statusCode, 200);
      assert.equal((await v1List(account)).statusCode, 200);
      return { account, token };
    };

    test('suspending refuses every credential at once, with a reason; resuming lets the same ones work again', async () => {
      const { account, token } = await withData();
      const other = await withData();
      const testToken = (
        await call('POST', `/api/admin/accounts/${account.accountId}/test-token`, admin)
      ).json() as { token: string };
      assert.equal((await v2Read(account, testToken.token)).statusCode, 200);

      const suspended = await call('POST', `/api/admin/accounts/${account.accountId}/suspend`, admin);
      assert.equal(suspended.statusCode, 200, suspended.body);
      assert.deepEqual(suspended.json(), {
        accountId: account.accountId,
        createdAt: new Date(t.clock.now()).toISOString(),
        status: 'suspended',
        statusChangedAt: new Date(t.clock.now()).toISOString(),
        suspendedUntil: null,
        rateLimit: null,
        effectiveRateLimit: null,
        rateScope: 'node',
        allowedNetworks: null,
        signedAssertionsOnly: false,
        dpopRequired: false,
        certificateRequired: false,
      });

      const v1 = await v1List(account);
      assert.equal(v1.statusCode, 401);
      assert.match(v1.json().detail, /suspended/);
      for (const bearerToken of [token, testToken.token]) {
        const v2 = await v2Read(account, bearerToken);
        assert.equal(v2.statusCode, 401);
        assert.match(String(v2.headers['www-authenticate']), /error="invalid_token"/);
        assert.match(String(v2.headers['www-authenticate']), /account suspended/);
      }
      for (const refused of [await tokenRequest(account), await login(account)]) {
        assert.equal(refused.statusCode, 400, refused.body);
        assert.deepEqual(refused.json(), {
          error: 'unauthorized_client',
          error_description: 'the account is suspended',
        });
      }
      // A wrong password still gets the usual answer: the state is only told to whoever proves the secret.
      const wrong = await tokenRequest({ ...account, password: `${account.password}x` });
      assert.equal(wrong.statusCode, 401);
      assert.equal(wrong.json().error, 'invalid_client');
      const issue = await call('POST', `/api/admin/accounts/${account.accountId}/test-token`, admin);
      assert.equal(issue.statusCode, 409, issue.body);
      // The other account is untouched; operators still see the suspended one's page.
      assert.equal((await v1List(other.account)).statusCode, 200);
      assert.equal((await v2Read(other.account, other.token)).statusCode, 200);
      const page = await call('GET', `/api/admin/accounts/${account.accountId}/api-authorization`, admin);
      assert.equal(page.statusCode, 200);
      const listed = (await call('GET', '/api/admin/accounts', admin)).json() as {
        accountId: string;
        status: string;
      }[];
      assert.equal(listed.find((a) => a.accountId === account.accountId)?.status, 'suspended');
      assert.equal(listed.find((a) => a.accountId === other.account.accountId)?.status, 'active');

      const again = await call('POST', `/api/admin/accounts/${account.accountId}/suspend`, admin);
      assert.equal(again.statusCode, 409);
      assert.match(again.json().detail, /is suspended, not active/);

      const resumed = await call('POST', `/api/admin/accounts/${account.accountId}/resume`, admin);
      assert.equal(resumed.statusCode, 200, resumed.body);
      assert.equal(resumed.json().status, 'active');
      assert.equal((await v1List(account)).statusCode, 200);
      assert.equal((await v2Read(account, token)).statusCode, 200);
      assert.equal((await v2Read(account, testToken.token)).statusCode, 200);
      assert.equal((await tokenRequest(account)).statusCode, 200);
      assert.equal(
        (await call('POST', `/api/admin/accounts/${account.accountId}/resume`, admin)).statusCode,
        409,
      );
      assert.deepEqual(
        (await auditActions(account.accountId)).filter((a) => a.startsWith('account.')),
        ['account.resumed', 'account.suspended'],
      );
    });

    test('a suspension with an end: its key and tokens refused until then, resumed by the housekeeping at the end; the end moved; bad ends refused', async () => {
      const { account, token } = await withData();
      const path = `/api/admin/accounts/${account.accountId}/suspend`;
      const inAnHour = new Date(t.clock.now() + 3_600_000).toISOString();
      // Bad ends: none of them suspends the account.
      const bad: [unknown, RegExp][] = [
        [
          new Date(t.clock.now() - 1_000).toISOString(),
          /until must be in the future and at most 366 days ahead/,
        ],
        [new Date(t.clock.now() + 367 * 86_400_000).toISOString(), /at most 366 days ahead/],
        ['tomorrow', /until/],
        [42, /until/],
      ];
      for (const [until, reason] of bad) {
        const refused = await call('POST', path, admin, { until });
        assert.equal(refused.statusCode, 400, `${JSON.stringify(until)}: ${refused.body}`);
        assert.match(refused.json().detail, reason);
      }
      assert.equal((await call('POST', path, admin, { until: inAnHour, more: 1 })).statusCode, 400);
      assert.equal(await status(account.accountId), 'active');

      const suspended = await call('POST', path, admin, { until: inAnHour });
      assert.equal(suspended.statusCode, 200, suspended.body);
      assert.equal(suspended.json().suspendedUntil, inAnHour);
      const since = suspended.json().statusChangedAt;
      assert.equal((await v1List(account)).statusCode, 401);
      assert.equal((await v2Read(account, token)).statusCode, 401);

      // Moved to two hours: still suspended since the same time.
      const inTwoHours = new Date(t.clock.now() + 7_200_000).toISOString();
      const moved = await call('POST', path, admin, { until: inTwoHours });
      assert.equal(moved.statusCode, 200, moved.body);
      assert.deepEqual([moved.json().suspendedUntil, moved.json().statusChangedAt], [inTwoHours, since]);
      // Without a body, a suspended account is refused as before.
      assert.equal((await call('POST', path, admin)).statusCode, 409);

      // An hour on, the first end has passed but not the moved one.
      // (The admin's session goes idle as the test clock moves: signed in again each time.)
      t.clock.advance(3_600_000 + 1_000);
      await maintainOnce(t);
      admin = (await signIn(t)).headers;
      assert.equal(await status(account.accountId), 'suspended');
      assert.equal((await v1List(account)).statusCode, 401);
      // A second before the end, the key is refused (and remembered so by this node); at the end, taken again.
      t.clock.advance(Date.parse(inTwoHours) - t.clock.now() - 1_000);
      await maintainOnce(t);
      assert.equal((await v1List(account)).statusCode, 401);
      t.clock.advance(1_000);
      await maintainOnce(t);
      admin = (await signIn(t)).headers;
      assert.equal(await status(account.accountId), 'active');
      const view = (await call('GET', `/api/admin/accounts/${account.accountId}`, admin)).json();
      assert.equal(view.suspendedUntil, null);
      // The same key and credentials work again, at once (the caches were told); the token of before has expired.
      assert.equal((await v1List(account)).statusCode, 200);
      assert.equal((await v2Read(account, await getToken(t, account))).statusCode, 200);
      const events = (
        (await call('GET', `/api/admin/audit?accountId=${account.accountId}&limit=500`, admin)).json() as {
          action: string;
          actor: string;
          detail: unknown;
        }[]
      ).filter((e) => e.action.startsWith('account.'));
      assert.deepEqual(
        events.map((e) => [e.action, e.actor, e.detail]),
        [
          ['account.resumed', 'schedule', { scheduled: true }],
          ['account.suspended', 'admin', { until: inTwoHours }],
          ['account.suspended', 'admin', { until: inAnHour }],
        ],
      );

      // An end may be taken off: then only a resume by hand ends it.
      assert.equal(
        (
          await call('POST', path, admin, {
            until: inAnHour.replace(/^\d{4}/, String(new Date(t.clock.now()).getUTCFullYear() + 1)),
          })
        ).statusCode,
        200,
      );
      const open = await call('POST', path, admin, { until: null });
      assert.equal(open.json().suspendedUntil, null);
      t.clock.advance(400 * 86_400_000);
      await maintainOnce(t);
      admin = (await signIn(t)).headers;
      assert.equal(await status(account.accountId), 'suspended');
      assert.equal(
        (await call('POST', `/api/admin/accounts/${account.accountId}/resume`, admin)).statusCode,
        200,
      );
    });

    test('deleting: only once suspended; the data goes, the id is held until no old token can be valid', async () => {
      const { account, token } = await withData();
      const { accountId } = account;
      const policy = await call(
        'POST',
        '/v2/policies',
        bearer(await getToken(t, account, 'policies:write')),
        {
          name: 'p',
          enabled: true,
          conditions: [{ attribute: 'ns.intent', operator: 'EQUAL', value: 'billing' }],
          actions: [{ type: 'SEND_MESSAGE', payload: { message: 'hi' } }],
        },
      );
      assert.equal(policy.statusCode, 201, policy.body);
      const evaluated = await call('POST', '/v2/policy/nextaction', bearer(token), {
        accountId,
        conversationId: 'c1',
        sessionId: 's1',
      });
      assert.equal(evaluated.statusCode, 200, evaluated.body);
      assert.equal(evaluated.json().length, 1);

      // A namespace larger than one deletion batch (a thousand documents a statement).
      for (let i = 0; i < 2_500; i++)
        await t.ctx.store.contextDocuments.mergeDocument(
          { accountId, namespace: 'big', sessionId: `s${i}` },
          { i },
          { now: t.clock.now(), expiresAt: null, maxChars: 800_000 },
        );
      assert.equal(
        (
          await t.ctx.store.contextDocuments.listDocuments(accountId, 'big', {
            offset: 0,
            limit: 5_000,
            now: t.clock.now(),
          })
        ).length,
        2_500,
      );
      const early = await call('DELETE', `/api/admin/accounts/${accountId}`, admin);
      assert.equal(early.statusCode, 409, early.body);
      assert.match(early.json().detail, /is active, not suspended/);
      assert.equal(await status(accountId), 'active');

      assert.equal((await call('POST', `/api/admin/accounts/${accountId}/suspend`, admin)).statusCode, 200);
      const deleted = await call('DELETE', `/api/admin/accounts/${accountId}`, admin);
      assert.equal(deleted.statusCode, 204, deleted.body);

      assert.equal((await call('GET', `/api/admin/accounts/${accountId}`, admin)).statusCode, 404);
      assert.equal(
        (await call('GET', `/api/admin/accounts/${accountId}/api-authorization`, admin)).statusCode,
        404,
      );
      assert.equal((await call('DELETE', `/api/admin/accounts/${accountId}`, admin)).statusCode, 404);
      const listed = (await call('GET', '/api/admin/accounts', admin)).json() as { accountId: string }[];
      assert.ok(!listed.some((a) => a.accountId === accountId));
      assert.equal((await v1List(account)).statusCode, 401);
      assert.equal((await v2Read(account, token)).statusCode, 401);
      assert.equal((await tokenRequest(account)).statusCode, 401);

      // Its data is gone from the store itself, not only hidden.
      const store = t.ctx.store;
      assert.deepEqual(await store.contextNamespaces.listNamespaces(accountId), []);
      assert.deepEqual(
        await store.contextDocuments.listDocuments(accountId, 'big', {
          offset: 0,
          limit: 5_000,
          now: t.clock.now(),
        }),
        [],
      );
      assert.equal(
        await store.contextDocuments.getDocument(
          { accountId, namespace: 'ns', sessionId: 's1' },
          t.clock.now(),
        ),
        null,
      );
      assert.deepEqual(await store.policies.getPolicySet(accountId), {
        policies: [],
        customAttributes: {},
        version: 0,
      });
      assert.equal(await store.credentials.findClientByAccount(accountId), null);
      assert.deepEqual(await store.credentials.listApiKeys(accountId), []);
      assert.equal(await store.tokens.getTestToken(accountId), null);
      assert.ok((await auditActions(accountId)).includes('account.deleted'), 'the audit trail stays');
      assert.deepEqual(await dataRemoved(accountId), [{ documents: 2_501 }], 'said once the data went');

      // The id stays taken while a token of the old account could still be unexpired.
      const reuse = await call('POST', '/api/admin/accounts', admin, { accountId });
      assert.equal(reuse.statusCode, 409, reuse.body);
      assert.match(reuse.json().detail, /was deleted; its id can be used again from \d{4}-/);
      assert.equal(
        reuse.json().reusableAt,
        new Date(t.clock.now() + DELETED_ID_HELD_MS).toISOString(),
        'the time is also a field of its own',
      );
      const maintenance = maintenanceOf(t);
      try {
        t.clock.advance(DELETED_ID_HELD_MS - 60_000);
        await maintenance.purgeNow();
        admin = (await signIn(t)).headers; // a day later, the session has ended
        assert.equal((await call('POST', '/api/admin/accounts', admin, { accountId })).statusCode, 409);
        t.clock.advance(60_000);
        await maintenance.purgeNow();
      } finally {
        await maintenance.stop();
      }
      const recreated = await call('POST', '/api/admin/accounts', admin, { accountId });
      assert.equal(recreated.statusCode, 201, recreated.body);
      assert.equal(recreated.json().status, 'active');
      // A new account of the same id shows nothing of the old one's policy log.
      const logs = await call('GET', `/api/admin/accounts/${accountId}/policy-logs`, admin);
      assert.equal(logs.statusCode, 200);
      assert.deepEqual(logs.json(), []);
    });

    test('deleting with wait=false answers 202 at once; the data goes in the background, and the audit log says when', async () => {
      const { account, token } = await withData();
      const { accountId } = account;
      for (let i = 0; i < 3_000; i++)
        await t.ctx.store.contextDocuments.mergeDocument(
          { accountId, namespace: 'big', sessionId: `s${i}` },
          { i },
          { now: t.clock.now(), expiresAt: null, maxChars: 800_000 },
        );
      assert.equal((await call('POST', `/api/admin/accounts/${accountId}/suspend`, admin)).statusCode, 200);
      const bad = await call('DELETE', `/api/admin/accounts/${accountId}?wait=later`, admin);
      assert.equal(bad.statusCode, 400, bad.body);
      assert.equal(await status(accountId), 'suspended', 'a malformed request deleted nothing');

      const accepted = await call('DELETE', `/api/admin/accounts/${accountId}?wait=false`, admin);
      assert.equal(accepted.statusCode, 202, accepted.body);
      // Deleted from the answer on: its credentials and the account itself are gone at once.
      assert.equal((await call('GET', `/api/admin/accounts/${accountId}`, admin)).statusCode, 404);
      assert.equal((await v2Read(account, token)).statusCode, 401);
      assert.ok((await auditActions(accountId)).includes('account.deleted'));

      const until = Date.now() + 20_000;
      while ((await dataRemoved(accountId)).length === 0 && Date.now() < until)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.deepEqual(await dataRemoved(accountId), [{ documents: 3_001 }]);
      assert.deepEqual(await t.ctx.store.contextNamespaces.listNamespaces(accountId), []);
    });

    test('a viewer can read an account and its status but neither suspend, resume nor delete it', async () => {
      const { account } = await withData();
      const made = await call('POST', '/api/admin/operators', admin, {
        username: `viewer-${store}`,
        password: 'a long enough secret',
        role: 'viewer',
      });
      assert.equal(made.statusCode, 201, made.body);
      const viewer = (await signIn(t, `viewer-${store}`, 'a long enough secret')).headers;
      assert.equal((await call('GET', `/api/admin/accounts/${account.accountId}`, viewer)).statusCode, 200);
      for (const [method, path] of [
        ['POST', 'suspend'],
        ['POST', 'resume'],
        ['DELETE', ''],
      ] as const) {
        const url = `/api/admin/accounts/${account.accountId}${path ? `/${path}` : ''}`;
        const refused = await call(method, url, viewer);
        assert.equal(refused.statusCode, 403, `${method} ${url}: ${refused.body}`);
      }
      assert.equal(await status(account.accountId), 'active');
      // Without the CSRF token, a change is refused too.
      const { cookie } = await signIn(t);
      const noCsrf = await call('POST', `/api/admin/accounts/${account.accountId}/suspend`, { cookie });
      assert.equal(noCsrf.statusCode, 403);
      assert.equal(await status(account.accountId), 'active');
    });

    test('a POST without a body may say Content-Type: application/json (as curl users do); a route that needs a body says so', async () => {
      const { account } = await withData();
      const empty = (url: string) =>
        t.app.inject({
          method: 'POST',
          url,
          headers: { ...admin, 'content-type': 'application/json' },
          payload: '',
        });
      const suspended = await empty(`/api/admin/accounts/${account.accountId}/suspend`);
      assert.equal(suspended.statusCode, 200, suspended.body);
      assert.equal((await empty(`/api/admin/accounts/${account.accountId}/resume`)).statusCode, 200);
      const needsBody = await empty('/api/admin/accounts');
      assert.equal(needsBody.statusCode, 400);
      assert.equal(needsBody.json().code, 'validation_failed');
      const broken = await t.app.inject({
        method: 'POST',
        url: '/api/admin/accounts',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: '{"accountId": ',
      });
      assert.equal(broken.statusCode, 400);
      const poisoned = await t.app.inject({
        method: 'POST',
        url: '/api/admin/accounts',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: '{"accountId":"x1","__proto__":{"polluted":true}}',
      });
      assert.equal(poisoned.statusCode, 400, 'prototype poisoning is still refused');
    });

    test('unknown and malformed account ids get 404 and 400', async () => {
      assert.equal((await call('POST', '/api/admin/accounts/nobody/suspend', admin)).statusCode, 404);
      assert.equal((await call('DELETE', '/api/admin/accounts/nobody', admin)).statusCode, 404);
      assert.equal((await call('GET', '/api/admin/accounts/nobody', admin)).statusCode, 404);
      assert.equal((await call('POST', '/api/admin/accounts/bad%20id/suspend', admin)).statusCode, 400);
    });
  });
}
