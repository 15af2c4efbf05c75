import assert from 'node:assert/strict';
import { test } from 'node:test';
import { totpCode } from '../../src/core/auth/totp.js';
import { ADMIN_PASSWORD, basic, createTestApp } from '../helpers/app.js';
import { probeRoutes } from '../helpers/probes.js';

test('no password, key, client secret, token, session or CSRF value issued in a full flow appears in any log line', async () => {
  const t = await createTestApp({ extraRoutes: [probeRoutes], logLevel: 'trace' });
  const secrets = new Set<string>([ADMIN_PASSWORD]);
  const keep = (value: unknown) => {
    if (typeof value === 'string' && value.length >= 8) secrets.add(value);
  };
  try {
    const inject = t.app.inject.bind(t.app);
    await inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: 'wrong-password-attempt' },
    });
    keep('wrong-password-attempt');
    const login = await inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    const csrf = login.json().csrfToken as string;
    const sessionId = login.cookies[0]?.value as string;
    keep(csrf);
    keep(sessionId);
    const headers = { cookie: `orch_session=${sessionId}`, 'x-csrf-token': csrf };
    await inject({ method: 'POST', url: '/api/admin/accounts', headers, payload: { accountId: 'logs1' } });
    const view = (
      await inject({ method: 'GET', url: '/api/admin/accounts/logs1/api-authorization', headers })
    ).json();
    keep(view.apiKey.key);
    keep(view.credentials.password);
    const opToken = (
      await inject({ method: 'POST', url: '/api/admin/operator-tokens', headers, payload: { name: 'x' } })
    ).json().token;
    keep(opToken);
    await inject({
      method: 'GET',
      url: '/api/admin/accounts',
      headers: { authorization: `Bearer ${opToken}` },
    });
    const newKey = (
      await inject({
        method: 'POST',
        url: '/api/admin/accounts/logs1/api-key/regenerate',
        headers,
        payload: { graceSeconds: 60 },
      })
    ).json().key;
    keep(newKey);
    for (const key of [view.apiKey.key, newKey, 'orch_key_wrongwrongwrongwrongwrongwrongwrongwro']) {
      await inject({ method: 'GET', url: '/probe/v1/account/logs1', headers: { 'maven-api-key': key } });
    }
    const testToken = (
      await inject({ method: 'POST', url: '/api/admin/accounts/logs1/test-token', headers })
    ).json().token;
    keep(testToken);
    const { userId, password } = view.credentials;
    const loginToken = (
      await inject({
        method: 'GET',
        url: '/v2/authenticate/login',
        headers: { authorization: basic(userId, password) },
      })
    ).json().token;
    keep(loginToken);
    await inject({
      method: 'GET',
      url: '/v2/authenticate/login',
      headers: { authorization: basic(userId, 'bad-secret-value') },
    });
    keep('bad-secret-value');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const posted = await inject({
      method: 'POST',
      url: '/oauth/token',
      headers: form,
      payload: `grant_type=client_credentials&client_id=${userId}&client_secret=${password}`,
    });
    keep(posted.json().access_token);
    for (const token of [testToken, loginToken]) {
      await inject({ method: 'GET', url: `/probe/v2/account/logs1?access_token=${token}` });
      await inject({
        method: 'GET',
        url: '/probe/v2/account/logs1',
        headers: { authorization: `Bearer ${token}` },
      });
    }
    await inject({
      method: 'POST',
      url: '/oauth/introspect',
      headers: { ...form, authorization: basic(userId, password) },
      payload: `token=${loginToken}`,
    });
    await inject({
      method: 'POST',
      url: '/oauth/revoke',
      headers: { ...form, authorization: basic(userId, password) },
      payload: `token=${loginToken}`,
    });
    const renewed = (
      await inject({ method: 'POST', url: '/api/admin/accounts/logs1/credentials/regenerate', headers })
    ).json();
    keep(renewed.password);
    await inject({ method: 'GET', url: `/probe/v2/account/logs1?access_token=${loginToken}` });
    // Operators: a generated password, a password change, a one-time-code secret and its codes.
    const added = (
      await inject({ method: 'POST', url: '/api/admin/operators', headers, payload: { username: 'logs-op' } })
    ).json();
    keep(added.password);
    const setup = (await inject({ method: 'POST', url: '/api/admin/totp/setup', headers })).json();
    keep(setup.secret);
    keep(setup.uri);
    const code = totpCode(setup.secret, t.clock.now());
    const enabled = (
      await inject({ method: 'POST', url: '/api/admin/totp/enable', headers, payload: { code } })
    ).json() as { recoveryCodes: string[] };
    for (const recoveryCode of enabled.recoveryCodes) {
      keep(recoveryCode);
      keep(recoveryCode.replaceAll('-', ''));
    }
    await inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD, code: '000000' === code ? '111111' : '000000' },
    });
    const recovered = await inject({
      method: 'POST',
      url: '/api/admin/login',
      payload: { username: 'admin', password: ADMIN_PASSWORD, recoveryCode: enabled.recoveryCodes[0] },
    });
    assert.equal(recovered.statusCode, 200, recovered.body);
    await inject({ method: 'POST', url: '/api/admin/logout', headers });

    const all = t.logs.join('\n');
    assert.ok(t.logs.length > 40, `expected many log lines, got ${t.logs.length}`);
    assert.match(all, /access_token=\[redacted\]/, 'the query parameter is logged redacted');
    // The audit events go to the log too (for log pipelines), without a secret either.
    const audited = t.logs
      .map((line) => JSON.parse(line) as { msg?: string; audit?: { action: string; actor: string } })
      .filter((line) => line.msg === 'audit event')
      .map((line) => `${line.audit?.actor} ${line.audit?.action}`);
    for (const expected of [
      'admin operator.signed-in',
      'admin api-authorization.viewed',
      'admin api-key.regenerated',
      'admin operator.created',
      'admin operator.totp-enabled',
    ])
      assert.ok(audited.includes(expected), `${expected} in ${audited.join(', ')}`);
    for (const secret of secrets) {
      assert.ok(!all.includes(secret), `a secret leaked into the logs: ${secret.slice(0, 12)}…`);
    }
  } finally {
    await t.close();
  }
});
