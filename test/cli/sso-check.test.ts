import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { SSO_CLIENT_ID, SSO_CLIENT_SECRET, startIdentityProvider } from '../helpers/identity-provider.js';

const ISSUER = 'https://orchestrator.example.com';
const dataFolder = tempFolders('sso-check');

describe('orchestrator sso check: what to register at the provider, and what it cannot serve', () => {
  let provider: Awaited<ReturnType<typeof startIdentityProvider>>;
  before(async () => {
    provider = await startIdentityProvider({ redirectUri: `${ISSUER}/api/admin/sso/callback` });
  });
  after(async () => provider.close());

  const sso = (change: Record<string, string | undefined> = {}) =>
    cliEnv({
      DATA_DIR: dataFolder(),
      ORCHESTRATOR_ADMIN_PASSWORD: '',
      ISSUER,
      OPERATOR_SSO_ISSUER: provider.issuer,
      OPERATOR_SSO_CLIENT_ID: SSO_CLIENT_ID,
      OPERATOR_SSO_CLIENT_SECRET: SSO_CLIENT_SECRET,
      ...change,
    });

  test('the provider read: the addresses to register, its endpoints; scopes it does not list', async () => {
    const text = await runCli(sso({ OPERATOR_SSO_SIGN_OUT: 'provider' }), 'sso', 'check');
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`provider: ${provider.issuer} \\(its metadata read\\)`));
    assert.match(
      text.stdout,
      /redirect URI: https:\/\/orchestrator\.example\.com\/api\/admin\/sso\/callback/,
    );
    assert.match(text.stdout, /post-logout redirect URI: https:\/\/orchestrator\.example\.com\/\n/);
    assert.match(
      text.stdout,
      /back-channel logout URI: https:\/\/orchestrator\.example\.com\/api\/admin\/sso\/back-channel-logout \(with the session required: sid\)/,
    );
    assert.ok(!text.stdout.includes(SSO_CLIENT_SECRET), 'no secret printed');

    const json = await runCli(
      sso({ OPERATOR_SSO_SCOPE: 'openid profile offices' }),
      'sso',
      'check',
      '--json',
    );
    assert.equal(json.code, 0, json.stderr);
    const check = JSON.parse(json.stdout);
    assert.equal(check.ok, true);
    assert.equal(check.issuer, provider.issuer);
    assert.equal(check.postLogoutRedirectUri, null, 'no sign-out at the provider asked');
    assert.deepEqual(check.scopesNotListed, ['offices']);
    assert.equal(check.endSessionEndpoint, `${provider.issuer}/session/end`);
    assert.equal(check.userInfoEndpoint, `${provider.issuer}/me`);
    assert.equal(check.backChannelLogout, 'session');
    assert.equal(check.backChannelLogoutUri, `${ISSUER}/api/admin/sso/back-channel-logout`);
  });

  test('a provider with no sign-out for applications: sign-out there cannot work (exit 1); no back-channel logout', async () => {
    const bare = await startIdentityProvider({
      redirectUri: `${ISSUER}/api/admin/sso/callback`,
      signOut: false,
    });
    try {
      const env = { OPERATOR_SSO_ISSUER: bare.issuer };
      const asked = await runCli(sso({ ...env, OPERATOR_SSO_SIGN_OUT: 'provider' }), 'sso', 'check');
      assert.equal(asked.code, 1, asked.stdout);
      assert.match(
        asked.stdout,
        /problem: OPERATOR_SSO_SIGN_OUT=provider, but the provider has no end_session_endpoint/,
      );
      assert.match(asked.stdout, /back-channel logout: the provider does not offer it/);
      assert.match(asked.stdout, /end-session endpoint: none/);
      const json = JSON.parse((await runCli(sso(env), 'sso', 'check', '--json')).stdout);
      assert.equal(json.ok, true, 'signing out here only needs nothing of the provider');
      assert.equal(json.backChannelLogout, 'none');
      assert.equal(json.endSessionEndpoint, null);
    } finally {
      await bare.close();
    }
  });

  test('a provider that cannot be reached, and no single sign-on set up: exit 1 and 2, said', async () => {
    const down = await runCli(sso({ OPERATOR_SSO_ISSUER: 'http://localhost:1' }), 'sso', 'check', '--json');
    assert.equal(down.code, 1);
    const answer = JSON.parse(down.stdout);
    assert.equal(answer.ok, false);
    assert.match(answer.problems[0], /the provider's metadata could not be read/);
    const none = await runCli(
      sso({
        OPERATOR_SSO_ISSUER: undefined,
        OPERATOR_SSO_CLIENT_ID: undefined,
        OPERATOR_SSO_CLIENT_SECRET: undefined,
      }),
      'sso',
      'check',
    );
    assert.equal(none.code, 2);
    assert.match(none.stderr, /single sign-on is not set up/);
  });
});
