import assert from 'node:assert/strict';
import { createHash, randomUUID, X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { totpCode } from '../../src/core/auth/totp.js';
import { dpopHeaders, dpopKey, dpopProof } from '../helpers/dpop.js';
import { certificate, der, thumbprint } from '../helpers/mtls.js';
import { basic } from '../helpers/net.js';
import { SERVER_ADMIN_PASSWORD } from '../helpers/server.js';
import {
  accessibilityViolations,
  browserSuite,
  ConsoleWatch,
  newContext,
  readClipboard,
  refusedStatus,
} from './harness.js';

/** RFC 6238's time step, as the server uses it (src/core/auth/totp.ts). */
const TOTP_STEP_MS = 30_000;
/** RFC 7523 §2.2: a client assertion's type at the OAuth endpoints. */
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('web app in Chromium', { timeout: 300_000 }, () => {
  const accountId = `le${Date.now() % 100_000_000}`;
  /** A token issued with the account's current credentials, for the v2 calls of later steps. */
  let codeToken = '';
  /** The node backs itself up here (BACKUP_DIR). */
  const backupDir = join(mkdtempSync(join(tmpdir(), 'orchestrator-web-backups-')), 'backups');
  /** …and BACKUP_COMMAND copies each backup here, the off-site copy (removed with backupDir's parent). */
  const offSiteDir = join(backupDir, '..', 'off-site');

  /**
   * Client certificates forwarded by a TLS proxy (none calls from there in these tests) and a CA trusted for them
   * (CLIENT_CA_FILE) with its CRL (CLIENT_CRL_FILE, revoking revoked.pem): the metadata lists tls_client_auth, and
   * the page offers to add certificate subjects and lists the CA; a host of their own (MTLS_BASE_URL), which the
   * certificate section names.
   */
  const suite = browserSuite({
    env: {
      BACKUP_DIR: backupDir,
      // Run by /bin/sh -c in BACKUP_DIR, with this environment (the whole of it: PATH too) and the backup's own.
      BACKUP_COMMAND: `mkdir -p '${offSiteDir}' && cp -r "$BACKUP_PATH" '${offSiteDir}'/"$BACKUP_NAME"`,
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      CLIENT_CERT_HEADER: 'client-cert',
      CLIENT_CERT_PROXIES: '10.0.0.0/8',
      CLIENT_CA_FILE: fileURLToPath(new URL('../fixtures/pki/issuing.pem', import.meta.url)),
      CLIENT_CRL_FILE: fileURLToPath(new URL('../fixtures/pki/crl.pem', import.meta.url)),
      MTLS_BASE_URL: 'https://mtls.orchestrator.test',
    },
  });
  const { http, checked, accessibility } = suite;
  /**
   * `POST /oauth/token` as a client that signs its own assertion (private_key_jwt): ES256 with `key` (named `kid`),
   * iss = sub = the user ID, for the token endpoint, a minute long, a jti of its own.
   */
  const tokenWithAssertion = async (userId: string, key: Parameters<SignJWT['sign']>[0], kid: string) =>
    http('/oauth/token', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await new SignJWT({})
          .setProtectedHeader({ alg: 'ES256', kid })
          .setIssuer(userId)
          .setSubject(userId)
          .setAudience(`${suite.server.issuer}/oauth/token`)
          .setExpirationTime(Math.floor(Date.now() / 1000) + 60)
          .setJti(randomUUID())
          .sign(key),
      }),
    });
  // After the suite's own: the server no longer writes there.
  after(() => rmSync(join(backupDir, '..'), { recursive: true, force: true }));

  const v1 = (key: string) => http(`/v1/account/${accountId}`, { headers: { 'maven-api-key': key } });
  const v2Create = (token: string, payload: Record<string, unknown>, sessionId: string | null = 'conv-1') =>
    http('/v2/context/document/create', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId, nameSpace: 'bot', ...(sessionId ? { sessionId } : {}), payload }),
    });
  const loginV2 = (userId: string, password: string) =>
    http('/v2/authenticate/login', { method: 'POST', headers: { authorization: basic(userId, password) } });

  /** Checks the page (the admin's, unless told) with axe-core and saves its screenshot: every page is pictured. */
  const visited = (name: string, on: Page = suite.page): Promise<void> => checked(name, on, true);

  /**
   * A viewer of every account made for a step, signed in in a browser of their own: `look` runs on their page, which
   * must log no console error but the session check before signing in (401); then they are removed.
   */
  async function asViewer(username: string, look: (viewer: Page) => Promise<void>): Promise<void> {
    const password = `a viewer password for ${username}`;
    const operators = suite.server.server.runtime.services.operators;
    await operators.createOperator(username, password, 'viewer');
    const context = await newContext(suite.browser, suite.server.url);
    try {
      const viewer = await context.newPage();
      const watch = new ConsoleWatch(viewer);
      await viewer.goto('/');
      await submitSignIn(viewer, username, password);
      await viewer.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await look(viewer);
      assert.deepEqual(watch.unexpected({ start: [refusedStatus('401')] }), []);
      assert.equal(watch.errors.length, 1, 'the session check before signing in');
    } finally {
      await context.close();
      await operators.removeOperator(username, { username: 'admin', role: 'admin', accounts: null });
    }
  }

  /** What a page posts to the endpoint whose path ends with `suffix`, gathered by `keep` (a request listener). */
  function postsTo(suffix: string) {
    const posted: unknown[] = [];
    const keep = (request: { method(): string; url(): string; postDataJSON(): unknown }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith(suffix))
        posted.push(request.postDataJSON());
    };
    return { posted, keep };
  }

  async function openSection(label: string, heading: string): Promise<void> {
    await suite.page
      .getByRole('navigation', { name: `Account ${accountId}` })
      .getByRole('link', { name: label })
      .click();
    await suite.page.getByRole('heading', { level: 1, name: heading }).waitFor();
  }

  /** The Limits cell of the account's row on Accounts, by its accessible name. */
  function accountLimits(on: Page, name: string | RegExp): Locator {
    return on
      .getByRole('row', { name: new RegExp(`^${accountId}\\b`) })
      .getByRole('cell', { name, exact: typeof name === 'string' });
  }

  /** Opens the account's API Authorization page from the Accounts list; answers its section `name`. */
  async function apiAuthorizationSection(name: string): Promise<Locator> {
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    await suite.page.getByRole('rowheader', { name: accountId, exact: true }).getByRole('link').click();
    await suite.page.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
    return suite.page.getByRole('region', { name });
  }

  test('sign-in: a wrong password and too many attempts are explained; the right password opens the accounts', async () => {
    suite.watch.step = 'sign-in';
    await suite.page.goto('/');
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await visited('sign-in');

    // By keyboard: type, Tab, type, Enter.
    await suite.page.getByLabel('Username').focus();
    await suite.page.keyboard.press('ControlOrMeta+a');
    await suite.page.keyboard.type('admin');
    await suite.page.keyboard.press('Tab');
    await suite.page.keyboard.type('not the password');
    await suite.page.keyboard.press('Enter');
    await assertAlert(suite.page, /Wrong username or password/);

    // The guard allows 5 failures per username in each clock minute; the 6th attempt is answered 429. The
    // windows are fixed, so a run that crosses a minute's end starts counting again: fail over HTTP until
    // the server answers 429, then try on the page, and go round again if the page's attempt fell in a new
    // minute (on a slow machine under the whole suite, that happened).
    const lockOut = async () => {
      for (let i = 0; i < 12; i++) {
        const answer = await http('/api/admin/login', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'mallory', password: 'guess' }),
        });
        if (answer.status === 429) return;
      }
      assert.fail('the sign-in guard never answered 429');
    };
    await suite.page.getByLabel('Username').fill('mallory');
    await suite.page.getByLabel('Password').fill('guess again');
    for (let round = 1; ; round++) {
      await lockOut();
      const [answer] = await Promise.all([
        suite.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/admin/login'),
        suite.page.getByRole('button', { name: 'Sign in' }).click(),
      ]);
      if (answer.status() === 429) break;
      assert.ok(round < 3, `the page's attempt was answered ${answer.status()}, not 429, ${round} times`);
    }
    await assertAlert(suite.page, /Too many failed sign-ins\. Wait \d+ seconds/);

    await submitSignIn(suite.page, 'admin', SERVER_ADMIN_PASSWORD);
    await suite.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    const [cookie] = await suite.context.cookies();
    assert.equal(cookie?.name, 'orch_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
  });

  test('accounts: create an account; its API Authorization page has the three sections', async () => {
    suite.watch.step = 'accounts';
    await suite.page.getByText('No accounts yet').waitFor();
    accessibility['accounts-empty'] = await accessibilityViolations(suite.page);
    await suite.page.getByLabel('Account ID').fill('not valid!');
    await suite.page.getByRole('button', { name: 'Create account' }).click();
    await suite.page.getByText('Use 1 to 64 letters, digits, "_" or "-".').waitFor();
    await suite.page.getByLabel('Account ID').fill(accountId);
    await suite.page.getByRole('button', { name: 'Create account' }).click();

    suite.watch.step = 'api-authorization';
    await suite.page.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
    for (const title of [
      'Token for testing the v2 APIs',
      'Credentials for using the v2 APIs in your code',
      'API key for v1 APIs',
    ]) {
      await suite.page.getByRole('heading', { level: 2, name: title }).waitFor();
    }
    await suite.page.getByText('such as Postman').waitFor();
    await suite.page.getByText('Do not use it in your code').waitFor();
    assert.equal(await suite.page.locator('#credentials-password').textContent(), '••••••••••••••••');
    assert.match((await suite.page.locator('#login-url').textContent()) ?? '', /\/v2\/authenticate\/login$/);
    await suite.page.getByText("-H 'Authorization: Basic").waitFor();
    await suite.page.getByText('Not used yet').waitFor();
    await suite.page
      .locator('#credentials-last-used')
      .filter({ hasText: 'Not used since they were made' })
      .waitFor();
  });

  test('Copy puts the API key on the clipboard, and the copy is audited', async () => {
    const key = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    assert.match(key, /^orch_key_/);
    await suite.page.getByRole('button', { name: 'Copy API key' }).click();
    await suite.page.getByRole('status').filter({ hasText: 'Copied' }).waitFor();
    assert.equal(await readClipboard(suite.page), key);
    const events = await suite.server.server.runtime.services.ctx.store.audit.listAudit({
      accountId,
      limit: 5,
    });
    assert.ok(events.some((e) => e.action === 'api-key.copied' && e.actor === 'admin'));
    assert.equal((await v1(key)).status, 200);
  });

  test('Regenerate Key asks first; on confirming, the new key shows and over HTTP the old key gets 401, the new 200', async () => {
    const oldKey = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    const open = suite.page.getByRole('button', { name: 'Regenerate Key' });

    // Keyboard: Enter opens the dialog with Cancel focused; Escape closes it and nothing changes.
    await open.focus();
    await suite.page.keyboard.press('Enter');
    const dialog = suite.page.getByRole('dialog', { name: 'Regenerate the API key?' });
    await dialog.waitFor();
    await dialog.getByText('The current key stops working everywhere at once').waitFor();
    // Its last use as the page loaded it, which says Not used yet too (the call of the step before came after).
    await dialog.getByText('This key has never been used.', { exact: true }).waitFor();
    await dialog.getByLabel('Grace period in seconds (optional)').waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await visited('api-key-regenerate-dialog');
    await suite.page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await suite.page.locator('#api-key-value').textContent(), oldKey);

    await open.click();
    await dialog.getByLabel('Grace period in seconds (optional)').fill('abc');
    await dialog.getByText('Enter a whole number of seconds from 0 to 86400.').waitFor();
    await dialog.getByLabel('Grace period in seconds (optional)').fill('');
    await dialog.getByRole('button', { name: 'Regenerate Key' }).click();
    await suite.page.getByText('The old key has stopped working everywhere.').waitFor();
    await suite.page.locator('#api-key-value').filter({ hasNotText: oldKey }).waitFor();
    const newKey = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    const [oldAnswer, newAnswer] = await Promise.all([v1(oldKey), v1(newKey)]);
    assert.equal(oldAnswer.status, 401);
    assert.equal(newAnswer.status, 200);
  });

  test('Regenerate Key with a grace period: both keys work, and the page says until when the old one does', async () => {
    const oldKey = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Regenerate Key' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Regenerate the API key?' });
    await dialog.getByLabel('Grace period in seconds (optional)').fill('600');
    await dialog.getByRole('button', { name: 'Regenerate Key' }).click();
    await suite.page.getByText('The old key keeps working for 600 seconds, then stops everywhere.').waitFor();
    await suite.page.getByText(/Still works until/).waitFor();
    const newKey = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    assert.notEqual(newKey, oldKey);
    assert.deepEqual(
      (await Promise.all([v1(oldKey), v1(newKey)])).map((r) => r.status),
      [200, 200],
    );
  });

  test('Get a new token: the token for testing works against a v2 API', async () => {
    await suite.page.getByText('No token for testing has been issued yet').waitFor();
    await suite.page.getByRole('button', { name: 'Get a new token' }).click();
    const token = suite.page.locator('#test-token-value');
    await token.waitFor();
    await suite.page.getByText(/in 1 day|in 24 hours/).waitFor();
    await suite.page.getByRole('button', { name: 'Copy token' }).click();
    const copied = await readClipboard(suite.page);
    assert.equal(copied, await token.textContent());
    const created = await v2Create(copied, { intent: 'billing', tier: 'gold' });
    assert.equal(created.status, 201, await created.text());
    assert.equal((await v2Create(copied, { welcome: 'namespace level' }, null)).status, 201);
  });

  test('regenerate credentials: the old password and a token issued with it get 401 at once', async () => {
    const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await visited('api-authorization');
    await suite.page.getByRole('button', { name: 'Show password' }).click();
    await suite.page.getByRole('button', { name: 'Hide password' }).waitFor();
    const password = (await suite.page.locator('#credentials-password').textContent()) ?? '';
    await suite.page.getByText(basic(userId, password)).waitFor();
    const login = await loginV2(userId, password);
    assert.equal(login.status, 200);
    const { access_token: oldToken } = (await login.json()) as { access_token: string };
    assert.equal((await v2Create(oldToken, { step: 1 })).status, 201);

    await suite.page.getByRole('button', { name: 'Regenerate credentials' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Regenerate the credentials?' });
    await dialog.getByText('every access token issued with them is revoked').waitFor();
    await dialog.getByRole('button', { name: 'Regenerate credentials' }).click();
    await suite.page.getByText('New credentials were created.').waitFor();
    await suite.page.locator('#credentials-user-id').filter({ hasNotText: userId }).waitFor();
    // The old ones got a token just before; the new ones have not been used.
    await suite.page
      .locator('#credentials-last-used')
      .filter({ hasText: 'Not used since they were made' })
      .waitFor();
    const [oldLogin, oldTokenUse] = await Promise.all([
      loginV2(userId, password),
      v2Create(oldToken, { step: 2 }),
    ]);
    assert.equal(oldLogin.status, 401);
    assert.equal(oldTokenUse.status, 401);
    const newUserId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const newPassword = await readClipboard(suite.page);
    const newLogin = await loginV2(newUserId, newPassword);
    assert.equal(newLogin.status, 200);
    codeToken = ((await newLogin.json()) as { access_token: string }).access_token;
  });

  test('Regenerate credentials with a grace period: the old user ID and password still get a token, and the page says until when', async () => {
    const oldUserId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const oldPassword = await readClipboard(suite.page);
    const token = (userId: string, password: string) =>
      http('/oauth/token', {
        method: 'POST',
        headers: {
          authorization: basic(userId, password),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    assert.equal((await token(oldUserId, oldPassword)).status, 200);
    assert.equal(await suite.page.locator('#credentials-previous').count(), 0);

    await suite.page.getByRole('button', { name: 'Regenerate credentials' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Regenerate the credentials?' });
    await dialog.getByText('unless you give a grace period below').waitFor();
    const grace = dialog.getByLabel('Grace period in seconds (optional)');
    const confirm = dialog.getByRole('button', { name: 'Regenerate credentials' });
    // A number the server does not take is said on the field, and the dialog cannot be confirmed with it.
    await grace.fill('86401');
    await dialog.getByText('Enter a whole number of seconds from 0 to 86400.').waitFor();
    assert.equal(await grace.getAttribute('aria-invalid'), 'true');
    assert.equal(await confirm.isDisabled(), true);
    await grace.fill('600');
    assert.equal(await confirm.isDisabled(), false);
    await checked('credentials-regenerate-grace-dialog');
    const { posted, keep } = postsTo('/credentials/regenerate');
    suite.page.on('request', keep);
    try {
      await confirm.click();
      await suite.page
        .getByText(
          'New credentials were created. The old user ID and password, and every token issued with them, keep working for 600 seconds, then stop everywhere.',
        )
        .waitFor();
    } finally {
      suite.page.off('request', keep);
    }
    assert.deepEqual(posted, [{ graceSeconds: 600 }]);
    await suite.page.locator('#credentials-user-id').filter({ hasNotText: oldUserId }).waitFor();
    const newUserId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    assert.notEqual(newUserId, oldUserId);

    // Under the new user ID: the previous one, until when (about 600 s from now, to the second) and its last use
    // (the token just above, and the login of the step before).
    const previous = suite.page.locator('#credentials-previous');
    await previous.getByText(`The previous user ID ${oldUserId} still works until`).waitFor();
    assert.equal(await previous.locator('code').textContent(), oldUserId);
    const until = (await previous.locator('time').first().getAttribute('datetime')) ?? '';
    const left = new Date(until).getTime() - Date.now();
    assert.ok(left > 540_000 && left <= 600_000, until);
    await previous.getByText(/\(grace period; last used .+\)/).waitFor();
    assert.equal(await previous.locator('time').count(), 2);
    await checked('api-authorization-previous-credentials');

    // Both work: the old user ID and password get a token, and so does the token issued with them before; the new
    // ones too, and later steps go on with a token of theirs.
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const newPassword = await readClipboard(suite.page);
    const [oldAnswer, newAnswer, oldTokenUse] = await Promise.all([
      token(oldUserId, oldPassword),
      token(newUserId, newPassword),
      v2Create(codeToken, { step: 3 }),
    ]);
    assert.equal(oldAnswer.status, 200, await oldAnswer.clone().text());
    assert.equal(newAnswer.status, 200, await newAnswer.clone().text());
    assert.equal(oldTokenUse.status, 201);
    codeToken = ((await newAnswer.json()) as { access_token: string }).access_token;
  });

  test('keys for signed client assertions: a public JWK added on the page gets a token at /oauth/token; private keys and bad JSON are refused on the field; removed, its assertions get 401', async () => {
    suite.watch.step = 'client-keys';
    const section = suite.page.getByRole('region', { name: 'Keys for signed client assertions' });
    const field = section.getByRole('textbox', { name: 'Public key (JWK)' });
    const add = section.getByRole('button', { name: 'Add key' });
    const refusedOnField = await fieldRefusal(suite.page, field);
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    await section.getByText(`The form it sends to ${suite.server.issuer}/oauth/token:`).waitFor();
    await section.getByText(`client_assertion_type=${ASSERTION_TYPE}`).waitFor();

    // The public half, pasted as the bare JWK: listed, and the heading has the focus with the notice under it.
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    await field.fill(JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'ci-key' }, null, 2));
    await add.click();
    await section
      .getByRole('status')
      .filter({ hasText: 'The key “ci-key” (EC P-256, ES256) was added' })
      .waitFor();
    const row = section
      .getByRole('table', { name: 'Keys for signed client assertions, oldest first' })
      .getByRole('row', { name: /^ci-key\b/ });
    await row.getByRole('cell', { name: 'EC P-256', exact: true }).waitFor();
    await row.getByRole('cell', { name: 'ES256', exact: true }).waitFor();
    await row.getByRole('cell', { name: 'never used', exact: true }).waitFor();
    await section.getByText('The account has 1 key (5 at most).').waitFor();
    await suite.page.locator('#client-keys:focus').waitFor();
    assert.equal(await field.inputValue(), '');
    await visited('api-authorization-client-keys');

    // The private half, as {"jwk": …}: the server's refusal (400) on the field, which takes the focus.
    await field.fill(JSON.stringify({ jwk: { ...(await exportJWK(privateKey)), kid: 'ci-private' } }));
    await add.click();
    await refusedOnField('a private or secret key');
    // Not JSON: said on the field, and nothing is sent.
    let posted = 0;
    const countPosts = (request: { method(): string; url(): string }) => {
      if (request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/client-keys')) posted++;
    };
    suite.page.on('request', countPosts);
    try {
      await field.fill('{"kty": "EC", "crv": "P-256",');
      await add.click();
      await refusedOnField('This is not valid JSON');
      assert.equal(posted, 0);
    } finally {
      suite.page.off('request', countPosts);
    }
    assert.equal(await section.getByRole('row', { name: /^ci-private\b/ }).count(), 0);

    // The key at work: the account's client gets a token with an assertion it signed, and uses it.
    const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    const assertionToken = () => tokenWithAssertion(userId, privateKey, 'ci-key');
    const granted = await assertionToken();
    assert.equal(granted.status, 200, await granted.clone().text());
    const { access_token: signedToken } = (await granted.json()) as { access_token: string };
    assert.equal((await v2Create(signedToken, { signedWith: 'ci-key' })).status, 201);

    // Removed behind a confirmation: the next assertion (a new jti) is refused at once.
    await row.getByRole('button', { name: 'Remove the key ci-key' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Remove this key?' });
    await dialog.getByText('Assertions signed with the key “ci-key” are refused at once').waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await dialog.getByRole('button', { name: 'Remove key' }).click();
    await section.getByRole('status').filter({ hasText: 'The key “ci-key” was removed' }).waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    await suite.page.locator('#client-keys:focus').waitFor();
    const refused = await assertionToken();
    assert.equal(refused.status, 401);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_client');
  });

  test('certificates for mutual TLS: a PEM certificate pasted on the page is sent as x5c and listed with its subject, last day and thumbprint; a P-384 one is refused on the field, a private key before anything is sent', async () => {
    suite.watch.step = 'client-certificates';
    const section = suite.page.getByRole('region', { name: 'Keys for signed client assertions' });
    const field = section.getByRole('textbox', { name: 'Public key (JWK) or certificate (PEM)' });
    const add = section.getByRole('button', { name: 'Add key' });
    const table = section.getByRole('table', { name: 'Keys for signed client assertions, oldest first' });
    const certificateColumn = table.getByRole('columnheader', { name: 'Certificate', exact: true });
    const rowOf = (kid: string) =>
      table.getByRole('row').filter({ has: suite.page.getByRole('rowheader', { name: kid, exact: true }) });
    const refusedOnField = await fieldRefusal(suite.page, field);
    /** What the page posts to the client-keys endpoint. */
    const { posted, keep: keepPosts } = postsTo('/client-keys');
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    await section.getByText(/certificate-bound tokens/).waitFor();

    const pem = certificate('client-ec');
    const kid = await calculateJwkThumbprint(
      new X509Certificate(pem).publicKey.export({ format: 'jwk' }) as JWK,
    );
    suite.page.on('request', keepPosts);
    try {
      // A JWK alone: the table has no Certificate column, as before.
      const { publicKey, privateKey: plainKey } = await generateKeyPair('ES256', { extractable: true });
      await field.fill(JSON.stringify({ ...(await exportJWK(publicKey)), kid: 'plain-key' }));
      await add.click();
      await section
        .getByRole('status')
        .filter({ hasText: 'The key “plain-key” (EC P-256, ES256) was added' })
        .waitFor();
      await rowOf('plain-key').waitFor();
      assert.equal(await certificateColumn.count(), 0);

      // The certificate as openssl writes it: sent as {"jwk": {"x5c": [its base64 DER]}}, the key read from it by
      // the server and named by its RFC 7638 thumbprint; listed with its subject, last day and x5t#S256.
      await field.fill(pem);
      await add.click();
      await section
        .getByRole('status')
        .filter({ hasText: `The key “${kid}” (EC P-256, ES256) was added with the certificate CN=client-ec` })
        .waitFor();
      assert.deepEqual(posted.at(-1), { jwk: { x5c: [der(pem)] } });
      assert.equal(await field.inputValue(), '');
      await certificateColumn.waitFor();
      const facts = rowOf(kid).getByRole('cell').filter({ hasText: 'CN=client-ec' });
      await facts.getByText(/^Valid until .*2045$/).waitFor();
      await facts.getByText(thumbprint(pem), { exact: true }).waitFor();
      await facts.getByText('x5t#S256:').waitFor();
      // The key without one says so in that column.
      await rowOf('plain-key').getByRole('cell', { name: 'None', exact: true }).waitFor();
      await section.getByText('The account has 2 keys (5 at most).').waitFor();
      await checked('api-authorization-client-certificate');

      // The JWK at work: the client gets a token with an assertion signed with it. Its use is recorded to the minute,
      // off the request's path: the page loaded anew below shows it, in the key's row and under the credentials (an
      // assertion authenticates the client too, its last authentication), the key with the certificate never used.
      const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
      const asked = Date.now();
      const granted = await tokenWithAssertion(userId, plainKey, 'plain-key');
      assert.equal(granted.status, 200, await granted.clone().text());
      const usedMinutes = [asked, Date.now()].map((t) => new Date(t - (t % 60_000)).toISOString());
      const usedAt = (on: Locator) => on.locator(usedMinutes.map((m) => `time[datetime="${m}"]`).join(', '));

      // Its last day (2045-12-31T23:59:59Z) is far off: nothing stands out under it. Seen at later times (the
      // browser's clock, in a context of its own on the same session: this page's session watch keeps the real
      // one; the page loaded anew at each), a warning comes under it within 30 days, the days rounded up; past it,
      // that it no longer works.
      assert.equal(await facts.getByText(/^Expire/).count(), 0);
      const laterContext = await newContext(suite.browser, suite.server.issuer);
      try {
        await laterContext.addCookies(await suite.context.cookies());
        const later = await laterContext.newPage();
        const laterWatch = new ConsoleWatch(later);
        const laterRowOf = (listed: string) =>
          later
            .getByRole('region', { name: 'Keys for signed client assertions' })
            .getByRole('row')
            .filter({ has: later.getByRole('rowheader', { name: listed, exact: true }) });
        const laterFacts = laterRowOf(kid).getByRole('cell').filter({ hasText: 'CN=client-ec' });
        await later.clock.install();
        for (const [time, warning] of [
          ['2045-12-20T00:00:00Z', 'Expires in 12 days: add its successor before then'],
          ['2045-12-31T12:00:00Z', 'Expires today: add its successor before then'],
          ['2046-01-02T00:00:00Z', 'Expired: the client cannot authenticate with it'],
        ] as const) {
          // The page of the time before is left first: none sees the clock jump (its session watch would take the
          // days for inactivity, and end the session this context shares with the suite's page).
          await later.goto('about:blank');
          await later.clock.setSystemTime(new Date(time));
          await later.goto(suite.page.url());
          await laterFacts.getByText(warning, { exact: true }).waitFor();
          await laterFacts.getByText(/^Valid until .*2045$/).waitFor();
          assert.deepEqual(laterWatch.unexpected(), [], time);
        }
        // Last used, as the server recorded it: the JWK's minute (a time in its row and under the credentials);
        // the key with the certificate, never.
        const plainUse = usedAt(laterRowOf('plain-key'));
        await plainUse.waitFor();
        assert.match((await plainUse.textContent()) ?? '', /\d/);
        await laterRowOf(kid).getByRole('cell', { name: 'never used', exact: true }).waitFor();
        await usedAt(later.locator('#credentials-last-used')).waitFor();
        // A day and more after those uses (in that clock), the confirmations that would cut them off give the day
        // and time of each, no warning.
        const laterRemoval = later.getByRole('dialog', { name: 'Remove this key?' });
        const laterRegeneration = later.getByRole('dialog', { name: 'Regenerate the credentials?' });
        for (const [open, confirmation] of [
          [laterRowOf('plain-key').getByRole('button', { name: 'Remove the key plain-key' }), laterRemoval],
          [later.getByRole('button', { name: 'Regenerate credentials' }), laterRegeneration],
        ] as const) {
          await open.click();
          await confirmation.getByText(/^Last used on .+\.$/).waitFor();
          await usedAt(confirmation).waitFor();
          assert.equal(await confirmation.locator('.notice-warning').count(), 0);
          await confirmation.getByRole('button', { name: 'Cancel' }).click();
          await confirmation.waitFor({ state: 'hidden' });
        }
        assert.deepEqual(laterWatch.unexpected(), []);
      } finally {
        await laterContext.close();
      }

      // On a curve the server does not take (P-384): its refusal (400) on the field, which takes the focus.
      const sent = posted.length;
      await field.fill(certificate('client-p384'));
      await add.click();
      await refusedOnField('an EC key must be on P-256');
      assert.equal(posted.length, sent + 1);
      // A PEM private key: said on the field, and never sent.
      await field.fill(await readFile(new URL('../fixtures/mtls/client-ec.key', import.meta.url), 'utf8'));
      await add.click();
      await refusedOnField('This is a private key');
      assert.equal(posted.length, sent + 1);
    } finally {
      suite.page.off('request', keepPosts);
    }
    assert.equal(await table.getByRole('row').filter({ hasText: 'CN=client-p384' }).count(), 0);

    // Both removed, for the tests that follow: first the key with the certificate, whose dialog says it was never
    // used; then, the list read again, the JWK's dialog warns of its use above (this page read the list before it).
    const dialog = suite.page.getByRole('dialog', { name: 'Remove this key?' });
    for (const [removed, lastUse] of [
      [kid, 'This key has never been used.'],
      [
        'plain-key',
        /^This key authenticated the client (less than a minute|\d+ minutes?) ago: a client still using it will be refused as soon as it is removed\.$/,
      ],
    ] as const) {
      await rowOf(removed)
        .getByRole('button', { name: `Remove the key ${removed}` })
        .click();
      await dialog.getByText(lastUse).waitFor();
      await dialog.getByRole('button', { name: 'Remove key' }).click();
      await section
        .getByRole('status')
        .filter({ hasText: `The key “${removed}” was removed` })
        .waitFor();
      await dialog.waitFor({ state: 'hidden' });
    }
    await section.getByText('The account has no key for signed client assertions.').waitFor();
  });

  test("certificate subjects (tls_client_auth): a DNS name added on the page is listed in words; an IP address that is none is refused on the field with the server's words; the trusted CA and its CRL are listed in words; a certificate checked authenticates by the subject, an impostor's and a revoked one do not, text that is none is refused on the field; a viewer sees the subject and the CA without Remove and checks too; removed, it is gone", async () => {
    suite.watch.step = 'certificate-subjects';
    const section = suite.page.getByRole('region', { name: 'Keys for signed client assertions' });
    const form = section.getByRole('form', { name: 'Add a certificate subject' });
    const kind = form.getByRole('combobox', { name: 'Kind of subject' });
    const field = form.getByRole('textbox', { name: 'Value', exact: true });
    const add = form.getByRole('button', { name: 'Add subject' });
    const table = section.getByRole('table', { name: 'Keys for signed client assertions, oldest first' });
    const refusedOnField = await fieldRefusal(suite.page, field);
    /** What the page posts to the client-keys endpoint. */
    const { posted, keep: keepPosts } = postsTo('/client-keys');
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    // The server trusts a CA (CLIENT_CA_FILE): its metadata says so, and the form is offered in place of the note.
    const metadata = (await (await http('/.well-known/oauth-authorization-server')).json()) as {
      token_endpoint_auth_methods_supported: string[];
    };
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('tls_client_auth'));
    await form.waitFor();
    assert.equal(await section.getByText('This server trusts no CA for client certificates').count(), 0);
    // The CA it trusts, with its last day and its CRL in words; both current, so no warning, and CRLs are read.
    const caName = 'C=US, O=Acme, CN=Acme Client CA';
    const caRow = (on: Locator) =>
      on
        .getByRole('table', { name: 'CAs this server trusts for client certificates' })
        .getByRole('row')
        .filter({ has: on.page().getByRole('rowheader', { name: caName, exact: true }) });
    const ourCa = caRow(section);
    await ourCa.getByText('Valid until 31 Dec 2045', { exact: true }).waitFor();
    await ourCa
      .getByText('CRL of 1 Jun 2025, next update due 31 Dec 2045, 1 revoked certificate', { exact: true })
      .waitFor();
    assert.equal(await ourCa.getByText(/out of/i).count(), 0);
    assert.equal(await section.getByText(/CLIENT_CRL_FILE is not set/).count(), 0);

    // A DNS name: sent as the RFC 8705 member, listed with its words, named by the SHA-256 of member and value.
    const kid = createHash('sha256')
      .update('tls_client_auth_san_dns\nbilling.acme.example')
      .digest('base64url');
    const row = table
      .getByRole('row')
      .filter({ has: suite.page.getByRole('rowheader', { name: kid, exact: true }) });
    suite.page.on('request', keepPosts);
    try {
      await kind.selectOption({ label: 'DNS name' });
      await form.getByText('such as billing.acme.example').waitFor();
      await field.fill('billing.acme.example');
      await add.click();
      await section
        .getByRole('status')
        .filter({
          hasText: 'The certificate subject “subjectAltName DNS name: billing.acme.example” was added',
        })
        .waitFor();
      assert.deepEqual(posted.at(-1), { tlsClientAuth: { tls_client_auth_san_dns: 'billing.acme.example' } });
      await row
        .getByRole('cell', {
          name: 'Certificate subject — subjectAltName DNS name: billing.acme.example',
          exact: true,
        })
        .waitFor();
      await row.getByRole('cell', { name: 'tls_client_auth', exact: true }).waitFor();
      await row.getByRole('cell', { name: 'Any one with this subject that a trusted CA issued' }).waitFor();
      await section.getByText('The account has 1 key (5 at most).').waitFor();
      await suite.page.locator('#client-keys:focus').waitFor();
      assert.equal(await field.inputValue(), '');
      await visited('api-authorization-certificate-subject');

      // An IP address cut short: the server's refusal (400) on the field, which takes the focus; nothing added.
      await kind.selectOption({ label: 'IP address' });
      await field.fill('10.1.2');
      await add.click();
      await refusedOnField('tls_client_auth_san_ip must be an IPv4 or IPv6 address');
      assert.deepEqual(posted.at(-1), { tlsClientAuth: { tls_client_auth_san_ip: '10.1.2' } });
      await section.getByText('The account has 1 key (5 at most).').waitFor();
    } finally {
      suite.page.off('request', keepPosts);
    }

    // Checked while the account has the subject: the certificate the trusted CA issued with the DNS name
    // authenticates the client by it, with its names, dates and thumbprint; the impostor, with the same names from
    // another CA, does not, and says why; nothing typed is caught before sending; text that is no certificate is
    // refused on the field (400). Nothing is added.
    const check = section.getByRole('form', { name: 'Check a client certificate' });
    const pem = check.getByRole('textbox', { name: 'Client certificate (PEM)' });
    const checkButton = check.getByRole('button', { name: 'Check', exact: true });
    const answer = check.locator('[aria-live="polite"]');
    const refusedOnCheck = await fieldRefusal(suite.page, pem);
    const billingPem = readFileSync(new URL('../fixtures/pki/billing.pem', import.meta.url), 'utf8');
    const impostorPem = readFileSync(new URL('../fixtures/pki/impostor.pem', import.meta.url), 'utf8');
    const revokedPem = readFileSync(new URL('../fixtures/pki/revoked.pem', import.meta.url), 'utf8');
    await checkButton.click();
    await refusedOnCheck('Paste the certificate (PEM).');
    await pem.fill(billingPem);
    await checkButton.click();
    await answer
      .getByText(
        'This certificate authenticates the client by its subject (issued by C=US, O=Acme, CN=Acme Client CA; certificate subject “subjectAltName DNS name: billing.acme.example”).',
        { exact: true },
      )
      .waitFor();
    assert.equal(await pem.getAttribute('aria-invalid'), null);
    const facts = answer.locator('dl');
    assert.deepEqual(await facts.locator('dt').allTextContents(), [
      'Subject',
      'subjectAltName',
      'Valid',
      'x5t#S256',
    ]);
    await facts.getByText('C=US, O=Acme, OU=Contact Centre, CN=billing-bot', { exact: true }).waitFor();
    await facts.getByText(/^DNS:billing\.acme\.example, URI:spiffe:\/\/acme\.example\/billing/).waitFor();
    await facts.locator('time[datetime="2025-01-01T00:00:00.000Z"]').waitFor();
    await facts.locator('time[datetime="2045-12-31T23:59:59.000Z"]').waitFor();
    await facts.getByText(thumbprint(billingPem), { exact: true }).waitFor();
    await visited('api-authorization-certificate-check');

    await pem.fill(impostorPem);
    // The answer goes with the text it was about.
    await facts.waitFor({ state: 'detached' });
    await checkButton.click();
    await answer
      .getByText(/^This certificate does not authenticate the client: .*not issued by a CA of CLIENT_CA_FILE/)
      .waitFor();
    await facts.getByText(thumbprint(impostorPem), { exact: true }).waitFor();
    // The one with billing's names that the CA's CRL revokes (CLIENT_CRL_FILE): refused, and why.
    await pem.fill(revokedPem);
    await facts.waitFor({ state: 'detached' });
    await checkButton.click();
    await answer
      .getByText(
        /^This certificate does not authenticate the client: .*its CA revoked it \(.*CLIENT_CRL_FILE\)\.$/,
      )
      .waitFor();
    await facts.getByText(thumbprint(revokedPem), { exact: true }).waitFor();

    await pem.fill('hello');
    await checkButton.click();
    await refusedOnCheck('certificate: not a PEM or base64 DER X.509 certificate');
    assert.equal(await facts.count(), 0);
    await section.getByText('The account has 1 key (5 at most).').waitFor();

    // A viewer reads the subject in the same words, with no Remove and no form.
    await asViewer('subject-viewer', async (viewer) => {
      await viewer.goto(`/accounts/${accountId}/api-authorization`);
      const theirs = viewer.getByRole('region', { name: 'Keys for signed client assertions' });
      await theirs
        .getByRole('cell', {
          name: 'Certificate subject — subjectAltName DNS name: billing.acme.example',
          exact: true,
        })
        .waitFor();
      assert.equal(await theirs.getByRole('button', { name: /^Remove/ }).count(), 0);
      // And that no certificate has authenticated the client by it yet.
      await theirs
        .getByRole('row')
        .filter({ has: viewer.getByRole('rowheader', { name: kid, exact: true }) })
        .getByRole('cell', { name: 'never used', exact: true })
        .waitFor();
      // The CA and its CRL too.
      await caRow(theirs)
        .getByText(/^CRL of .*, 1 revoked certificate$/)
        .waitFor();
      // Of the forms, only the check, open to viewers too (a certificate is public).
      assert.equal(await theirs.getByRole('form').count(), 1);
      const theirCheck = theirs.getByRole('form', { name: 'Check a client certificate' });
      await theirCheck.getByRole('textbox', { name: 'Client certificate (PEM)' }).fill(billingPem);
      await theirCheck.getByRole('button', { name: 'Check', exact: true }).click();
      await theirCheck.getByText(/^This certificate authenticates the client by its subject \(/).waitFor();
      accessibility['viewer-certificate-subject'] = await accessibilityViolations(viewer);
    });

    // Removed behind a confirmation that says what stops working: gone from the list.
    await row.getByRole('button', { name: 'Remove the certificate subject billing.acme.example' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Remove this certificate subject?' });
    await dialog
      .getByText(
        "Certificates with the subjectAltName DNS name billing.acme.example no longer authenticate the account's client",
      )
      .waitFor();
    // Checked, never used (as the viewer read too).
    await dialog.getByText('This certificate subject has never been used.', { exact: true }).waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await dialog.getByRole('button', { name: 'Remove subject' }).click();
    await section
      .getByRole('status')
      .filter({
        hasText: 'The certificate subject “subjectAltName DNS name: billing.acme.example” was removed',
      })
      .waitFor();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    assert.equal(await row.count(), 0);
    await suite.page.locator('#client-keys:focus').waitFor();
  });

  test('signed assertions only: with a key, refused behind a confirmation, the password gets 401 and an assertion 200; the last key is kept; allowed again, the password works', async () => {
    suite.watch.step = 'signed-assertions-only';
    const section = suite.page.getByRole('region', { name: 'Keys for signed client assertions' });
    const setting = section.locator('#signed-assertions-only');
    await setting.getByRole('heading', { level: 3, name: 'Signed assertions only' }).waitFor();
    const now = setting.locator('#signed-assertions-only-now');
    const refuse = setting.getByRole('button', { name: 'Refuse the password' });
    const allowAgain = setting.getByRole('button', { name: 'Allow the password again' });
    const dialog = suite.page.getByRole('dialog', { name: 'Refuse the password?' });
    const passwordNote = suite.page.locator('#credentials-password-refused');
    const clientKeys = suite.server.server.runtime.services.clients.keys;
    await now.filter({ hasText: 'Now: The user ID and password also get tokens.' }).waitFor();

    // No key: the button is off, described by why.
    await section.getByText('The account has no key for signed client assertions.').waitFor();
    assert.equal(await refuse.isDisabled(), true);
    const why = await refuse.getAttribute('aria-describedby');
    assert.ok(why);
    await suite.page.locator(`[id="${why}"]`).filter({ hasText: 'Add a key first' }).waitFor();

    // A key added on the page: the button is on.
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'only-key' };
    await section.getByRole('textbox', { name: 'Public key (JWK)' }).fill(JSON.stringify(jwk));
    await section.getByRole('button', { name: 'Add key' }).click();
    await section.getByRole('status').filter({ hasText: 'The key “only-key”' }).waitFor();
    // The section says the key was added, then reads the keys again: the button comes on with them.
    await refuse.and(suite.page.locator('button:enabled')).waitFor();
    assert.equal(await refuse.getAttribute('aria-describedby'), null);

    // The key gone behind the page's back: the server's refusal (409) is said in the dialog, which stays open.
    await clientKeys.remove(accountId, 'only-key');
    await refuse.click();
    await dialog.getByRole('button', { name: 'Refuse the password' }).click();
    await dialog.getByRole('alert').filter({ hasText: 'the account has no client key' }).waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await now.filter({ hasText: 'Now: The user ID and password also get tokens.' }).waitFor();
    await clientKeys.add(accountId, jwk);

    // On, behind a confirmation that says who is refused; the focus is back on the button, now the other one.
    await refuse.click();
    await dialog
      .getByText('Systems that still use the user ID and password are refused at once, on every server node')
      .waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await checked('signed-assertions-only-dialog');
    await dialog.getByRole('button', { name: 'Refuse the password' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByRole('status').filter({ hasText: 'The password is refused' }).waitFor();
    await now
      .filter({ hasText: 'Now: Only signed assertions get tokens: the user ID and password are refused.' })
      .waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Allow the password again');
    await passwordNote.filter({ hasText: 'Refused for this account' }).waitFor();
    await visited('signed-assertions-only');
    // The accounts list says it too, in the account's Limits.
    const list = await suite.context.newPage();
    await list.goto('/');
    await accountLimits(list, /assertions only/).waitFor();
    await list.close();

    // Over HTTP: the password is refused at the token endpoint and the login endpoint; an assertion gets a token.
    const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const password = await readClipboard(suite.page);
    const basicToken = () =>
      http('/oauth/token', {
        method: 'POST',
        headers: {
          authorization: basic(userId, password),
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    const refusedBasic = await basicToken();
    assert.equal(refusedBasic.status, 401);
    assert.equal(((await refusedBasic.json()) as { error: string }).error, 'invalid_client');
    assert.equal((await loginV2(userId, password)).status, 401);
    const signed = await tokenWithAssertion(userId, privateKey, 'only-key');
    assert.equal(signed.status, 200, await signed.clone().text());

    // The last key is kept while the password is refused: the server's words in the removal's dialog.
    const row = section
      .getByRole('table', { name: 'Keys for signed client assertions, oldest first' })
      .getByRole('row', { name: /^only-key\b/ });
    await row.getByRole('button', { name: 'Remove the key only-key' }).click();
    const removal = suite.page.getByRole('dialog', { name: 'Remove this key?' });
    await removal.getByRole('button', { name: 'Remove key' }).click();
    await removal.getByRole('alert').filter({ hasText: "this is the account's last client key" }).waitFor();
    await removal.getByRole('button', { name: 'Cancel' }).click();
    await removal.waitFor({ state: 'hidden' });
    await row.waitFor();

    // Off again, at a click: the password gets a token, and the note under it is gone.
    await allowAgain.click();
    await section
      .getByRole('status')
      .filter({ hasText: 'The user ID and password get tokens again' })
      .waitFor();
    await now.filter({ hasText: 'Now: The user ID and password also get tokens.' }).waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Refuse the password');
    assert.equal(await passwordNote.count(), 0);
    assert.equal((await basicToken()).status, 200);

    // Now the last key may go.
    await row.getByRole('button', { name: 'Remove the key only-key' }).click();
    await removal.getByRole('button', { name: 'Remove key' }).click();
    await section.getByRole('status').filter({ hasText: 'The key “only-key” was removed' }).waitFor();
    await section.getByText('The account has no key for signed client assertions.').waitFor();
  });

  test('DPoP required: turned on behind a confirmation, a token request without a proof gets 400 and bearer tokens 401 while a bound token works; the list, the token for testing and a viewer say it; off again, bearer tokens work', async () => {
    suite.watch.step = 'dpop-required';
    const section = await apiAuthorizationSection('Tokens bound to a key (DPoP)');
    const now = section.locator('#dpop-required-now');
    const requireIt = section.getByRole('button', { name: 'Require DPoP' });
    const dialog = suite.page.getByRole('dialog', { name: 'Require DPoP?' });
    const testTokenNote = suite.page
      .getByRole('region', { name: 'Token for testing the v2 APIs' })
      .getByRole('status')
      .filter({ hasText: 'This token is refused while the account requires DPoP.' });
    await now.filter({ hasText: 'Now: Not required: bearer tokens are accepted too.' }).waitFor();
    assert.equal(await testTokenNote.count(), 0);

    // The calls over HTTP: the client's password with and without a proof, and a read of the v2 API.
    const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const password = await readClipboard(suite.page);
    const testToken = (await suite.page.locator('#test-token-value').textContent()) ?? '';
    const wallClock = { clock: { now: () => Date.now() } };
    const key = await dpopKey('ES256');
    const tokenRequest = async (withProof: boolean) =>
      http('/oauth/token', {
        method: 'POST',
        headers: {
          authorization: basic(userId, password),
          'content-type': 'application/x-www-form-urlencoded',
          ...(withProof
            ? {
                dpop: await dpopProof(wallClock, key, {
                  method: 'POST',
                  url: `${suite.server.issuer}/oauth/token`,
                }),
              }
            : {}),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials' }),
      });
    const documentPath = `/v2/context/document/${accountId}/bot/conv-1`;
    const v2Read = (headers: Record<string, string>) => http(documentPath, { headers });
    const bearerReads = async () =>
      (await Promise.all([testToken, codeToken].map((t) => v2Read({ authorization: `Bearer ${t}` })))).map(
        (r) => r.status,
      );
    assert.deepEqual(await bearerReads(), [200, 200]);

    // On, behind a confirmation that says what stops working; the focus is back on the button, now the other one.
    await requireIt.click();
    await dialog.getByText('At once, on every server node, these stop working:').waitFor();
    for (const item of [
      'the bearer tokens the account was issued already',
      'the token for testing on this page',
      'every system that asks for tokens without a DPoP proof',
    ])
      await dialog.getByRole('listitem').filter({ hasText: item }).waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await visited('dpop-required-dialog');
    await dialog.getByRole('button', { name: 'Require DPoP' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByRole('status').filter({ hasText: 'DPoP is required' }).waitFor();
    await now
      .filter({
        hasText: 'Now: Required: only tokens bound to a key are accepted; bearer tokens are refused.',
      })
      .waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Stop requiring DPoP');
    // The token for testing says it is refused, and can still be copied and renewed.
    await testTokenNote.waitFor();
    await suite.page.getByRole('button', { name: 'Get a new token' }).waitFor();
    await visited('dpop-required');
    // The accounts list says it too, in the account's Limits.
    const list = await suite.context.newPage();
    await list.goto('/');
    await accountLimits(list, /DPoP required/).waitFor();
    await list.close();

    // Over HTTP: without a proof no token (400, at the login endpoint too), and every bearer token is refused (the
    // token for testing and one issued before); with a proof, a bound token that works with its own proofs.
    const refused = await tokenRequest(false);
    assert.equal(refused.status, 400);
    assert.equal(((await refused.json()) as { error: string }).error, 'invalid_request');
    assert.equal((await loginV2(userId, password)).status, 400);
    assert.deepEqual(await bearerReads(), [401, 401]);
    const bound = await tokenRequest(true);
    assert.equal(bound.status, 200, await bound.clone().text());
    const { access_token: boundToken, token_type: tokenType } = (await bound.json()) as {
      access_token: string;
      token_type: string;
    };
    assert.equal(tokenType, 'DPoP');
    const boundRead = await v2Read(
      await dpopHeaders(wallClock, key, boundToken, 'GET', `${suite.server.issuer}${documentPath}`),
    );
    assert.equal(boundRead.status, 200, await boundRead.clone().text());

    // A viewer reads whether it is required, without the button.
    await asViewer('dpop-viewer', async (viewer) => {
      await accountLimits(viewer, /DPoP required/).waitFor();
      await viewer.goto(`/accounts/${accountId}/api-authorization`);
      const theirs = viewer.getByRole('region', { name: 'Tokens bound to a key (DPoP)' });
      await theirs
        .locator('#dpop-required-now')
        .filter({ hasText: 'Now: Required: only tokens bound to a key are accepted' })
        .waitFor();
      await theirs.getByText('An admin of the account turns it on and off.').waitFor();
      assert.equal(await theirs.getByRole('button').count(), 0);
      accessibility['viewer-dpop-required'] = await accessibilityViolations(viewer);
    });

    // Off again, at a click: bearer tokens are taken again, those issued before too, and the note goes.
    await section.getByRole('button', { name: 'Stop requiring DPoP' }).click();
    await section.getByRole('status').filter({ hasText: 'DPoP is no longer required' }).waitFor();
    await now.filter({ hasText: 'Now: Not required: bearer tokens are accepted too.' }).waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Require DPoP');
    assert.equal(await testTokenNote.count(), 0);
    assert.equal((await tokenRequest(false)).status, 200);
    assert.deepEqual(await bearerReads(), [200, 200]);
  });

  test('client certificate required: refused (409, said in the dialog) with no certificate key; with one, turned on behind a confirmation, the page, the list and the token for testing say it; off again', async () => {
    suite.watch.step = 'certificate-required';
    const section = await apiAuthorizationSection('Client certificate required (mutual TLS)');
    const now = section.locator('#certificate-required-now');
    const requireIt = section.getByRole('button', { name: 'Require a client certificate' });
    const dialog = suite.page.getByRole('dialog', { name: 'Require a client certificate?' });
    const testTokenNote = suite.page
      .getByRole('region', { name: 'Token for testing the v2 APIs' })
      .getByRole('status')
      .filter({ hasText: 'This token is refused while the account requires a client certificate.' });
    await now.filter({ hasText: 'Now: Not required' }).waitFor();
    assert.equal(await testTokenNote.count(), 0);
    // Where clients with certificates go (MTLS_BASE_URL).
    assert.equal(
      await section.locator('#mtls-token-url').textContent(),
      'https://mtls.orchestrator.test/oauth/token',
    );

    // No key of the account has a certificate: the server's refusal (409) is said in the dialog, which stays open.
    await requireIt.click();
    await dialog.getByRole('listitem').filter({ hasText: 'the token for testing on this page' }).waitFor();
    await dialog.getByRole('button', { name: 'Require a client certificate' }).click();
    await dialog
      .getByRole('alert')
      .filter({ hasText: 'the account has no client certificate among its keys' })
      .waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });

    // A certificate registered as a key (through the admin API): now it is required, behind the confirmation.
    const cookie = await cookieOf(suite.context);
    const { csrfToken } = (await (await http('/api/admin/session', { headers: { cookie } })).json()) as {
      csrfToken: string;
    };
    const admin = { cookie, 'content-type': 'application/json', 'x-csrf-token': csrfToken };
    const added = await http(`/api/admin/accounts/${accountId}/client-keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ jwk: { x5c: [der(certificate('client-ec'))] } }),
    });
    assert.equal(added.status, 201, await added.clone().text());
    const { kid } = (await added.json()) as { kid: string };
    await requireIt.click();
    await dialog.getByRole('button', { name: 'Require a client certificate' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByRole('status').filter({ hasText: 'A client certificate is required' }).waitFor();
    await now
      .filter({
        hasText:
          "Now: Required: tokens are issued only over mutual TLS with one of the account's certificates",
      })
      .waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Stop requiring a client certificate');
    await testTokenNote.waitFor();
    await visited('certificate-required');
    const list = await suite.context.newPage();
    await list.goto('/');
    await accountLimits(list, /certificate required/).waitFor();
    await list.close();

    // Off again, at a click; the key removed, for the tests that follow.
    await section.getByRole('button', { name: 'Stop requiring a client certificate' }).click();
    await section
      .getByRole('status')
      .filter({ hasText: 'A client certificate is no longer required' })
      .waitFor();
    await now.filter({ hasText: 'Now: Not required' }).waitFor();
    assert.equal(await testTokenNote.count(), 0);
    const removed = await http(`/api/admin/accounts/${accountId}/client-keys/${encodeURIComponent(kid)}`, {
      method: 'DELETE',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    assert.equal(removed.status, 204, await removed.clone().text());
  });

  test('policies: custom attributes, the editor with server field errors, a dry run, reorder, enable; the v2 API returns the action', async () => {
    suite.watch.step = 'policies';
    assert.equal((await v2Create(codeToken, { intent: 'billing', tier: 'silver' }, 'conv-9')).status, 201);
    await openSection('Policies', 'Policies');
    await suite.page.getByText('No policies yet.').waitFor();
    await suite.page.getByRole('button', { name: 'Add an attribute' }).click();
    await suite.page.locator('#custom-0-name').fill('vipSkill');
    await suite.page.locator('#custom-0-value').fill('4242');
    await suite.page.getByRole('button', { name: 'Save custom attributes' }).click();
    await suite.page.getByText('Custom attributes saved.').waitFor();

    await suite.page.getByRole('link', { name: 'New policy' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'New policy' }).waitFor();
    await suite.page.getByLabel('Name', { exact: true }).fill('Billing to the VIP skill');
    await suite.page.getByLabel('Attribute').fill('intent');
    await suite.page.getByLabel('Value').fill('billing');
    await suite.page.getByLabel('Skill ID').fill('{{custom.vipSkill}}');
    await suite.page.getByRole('button', { name: 'Add an action' }).click();
    await suite.page.locator('#action-1-type').selectOption('SEND_MESSAGE');
    await suite.page.locator('#action-1-message').fill('Connecting you about {{bot.intent}}');
    await suite.page.getByRole('button', { name: 'Create policy' }).click();
    // The server's message shows next to the field it is about, tied to it for screen readers.
    const attribute = suite.page.locator('#condition-0-attribute');
    await suite.page
      .locator('#condition-0-attribute-error')
      .filter({ hasText: 'must be an attribute name' })
      .waitFor();
    assert.equal(await attribute.getAttribute('aria-invalid'), 'true');
    assert.match((await attribute.getAttribute('aria-describedby')) ?? '', /condition-0-attribute-error/);
    await assertAlert(suite.page, /The policy was not saved/);

    // The summary links to the field; once edited, the server's message about it goes away.
    await suite.page.getByRole('alert').getByRole('link', { name: 'Condition 1, attribute' }).click();
    await suite.page.locator('#condition-0-attribute:focus').waitFor();
    await attribute.fill('bot.intent');
    await suite.page.locator('#condition-0-attribute-error').waitFor({ state: 'detached' });
    const dryRun = suite.page.getByRole('region', { name: 'Dry run this policy' });
    await dryRun.getByLabel('Conversation ID').fill('conv-9');
    await dryRun.getByRole('button', { name: 'Run dry run' }).click();
    await dryRun.getByText('Policy “Billing to the VIP skill” would match.').waitFor();
    await dryRun.getByText('TRANSFER_TO_SKILL (skillId: 4242)').waitFor();
    await dryRun.getByRole('cell', { name: '"billing"' }).waitFor();
    await visited('policy-editor');
    await suite.page.getByRole('button', { name: 'Create policy' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor();

    // The expression form, and the third action type.
    await suite.page.getByRole('link', { name: 'New policy' }).click();
    await suite.page.getByLabel('Name', { exact: true }).fill('Gold customers to an agent');
    await suite.page.getByLabel('Expression').check();
    await suite.page
      .locator('#policy-expression')
      .fill("bot.tier == 'gold' and not (conversation.consumerId == 'bot')");
    await suite.page.locator('#action-0-type').selectOption('TRANSFER_TO_AGENT');
    await suite.page.getByLabel('Agent user ID').fill('agent-7');
    await suite.page.getByLabel('Fallback skill ID (optional)').fill('77');
    await suite.page.getByRole('button', { name: 'Create policy' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Policies' }).waitFor();

    const names = () => suite.page.locator('.policy-list .policy-name').allTextContents();
    await suite.page.locator('.policy-list li').nth(1).waitFor();
    assert.deepEqual(await names(), ['Billing to the VIP skill', 'Gold customers to an agent']);
    await suite.page.getByRole('button', { name: 'Move up Gold customers to an agent' }).click();
    await suite.page.getByText('moved to position 1').waitFor();
    assert.deepEqual(await names(), ['Gold customers to an agent', 'Billing to the VIP skill']);
    // The focus stays with the moved policy (its Move down button, now that it is first).
    await suite.page.locator('[id^="move-down-"]:focus').waitFor();
    await suite.page.getByRole('button', { name: 'Enable Billing to the VIP skill' }).click();
    await suite.page.getByText('Policy “Billing to the VIP skill” is now enabled.').waitFor();

    const listRun = suite.page.getByRole('region', { name: 'Dry run', exact: true });
    await listRun.getByLabel('Conversation ID').fill('conv-9');
    await listRun.getByRole('button', { name: 'Run dry run' }).click();
    await listRun.getByText('Policy “Billing to the VIP skill” would match.').waitFor();
    await listRun
      .getByRole('row', { name: /Gold customers to an agent/ })
      .getByText('the policy is disabled')
      .waitFor();
    await visited('policies');

    // Someone else changes the policies meanwhile: a move on this page, loaded before, is refused (412), and
    // the page says so over the list as it now is.
    await suite.server.server.runtime.services.policies.create(accountId, {
      name: 'Added elsewhere',
      conditions: [{ attribute: 'conversation.conversationId', operator: 'EQUAL', value: 'never' }],
      actions: [{ type: 'SEND_MESSAGE', payload: { text: 'unused' } }],
    });
    await suite.page.getByRole('button', { name: 'Move down Gold customers to an agent' }).click();
    await suite.page
      .getByRole('alert')
      .getByText('The policies changed since this page loaded; they are shown again as they are now.', {
        exact: false,
      })
      .waitFor();
    assert.deepEqual(await names(), [
      'Gold customers to an agent',
      'Billing to the VIP skill',
      'Added elsewhere',
    ]);

    const next = await http('/v2/policy/nextaction', {
      method: 'POST',
      headers: { authorization: `Bearer ${codeToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId, conversationId: 'conv-9' }),
    });
    assert.equal(next.status, 200);
    assert.deepEqual(await next.json(), [
      { type: 'TRANSFER_TO_SKILL', payload: { skillId: 4242 } },
      { type: 'SEND_MESSAGE', payload: { message: 'Connecting you about billing' } },
    ]);
  });

  test("policy history: the page's changes are listed; View shows a list; Restore brings one back (412 when the list changed meanwhile); a viewer may view, not restore", async () => {
    suite.watch.step = 'policy-history';
    await openSection('Policies', 'Policies');
    const history = suite.page.getByRole('region', { name: 'History' });
    const rows = history
      .getByRole('table', { name: 'Lists of policies saved, newest first' })
      .locator('tbody tr');
    /** A row's who, what and how many (its cells after the version and the time). */
    const described = async (row: Locator) => (await row.getByRole('cell').allTextContents()).slice(1, 4);
    // The earlier step's changes, newest first: the policy added behind the page's back (no operator: the system),
    // the enable, the move, the two policies created on the page.
    await rows.nth(4).waitFor();
    const earlier = [
      ['system', 'created a policy', '3'],
      ['admin', 'changed a policy', '2'],
      ['admin', 'replaced or reordered the policy list', '2'],
      ['admin', 'created a policy', '2'],
      ['admin', 'created a policy', '1'],
    ];
    for (const [i, expected] of earlier.entries()) assert.deepEqual(await described(rows.nth(i)), expected);

    // A change on the page is in the history at once.
    await suite.page.getByRole('button', { name: 'Disable Billing to the VIP skill' }).click();
    await suite.page.getByText('Policy “Billing to the VIP skill” is now disabled.').waitFor();
    await rows.nth(5).waitFor();
    assert.deepEqual(await described(rows.first()), ['admin', 'changed a policy', '3']);

    // View says what changed from the list before it in the history: the newest list, the policy disabled; the
    // move of the earlier step, the policy moved and its positions; the oldest list, nothing older to compare with.
    const before = rows.nth(1);
    const version = (await before.getByRole('rowheader').textContent()) ?? '';
    /** Views the list of a row, and gives its "What changed" and that row's version. */
    const changesOf = async (row: Locator) => {
      const which = (await row.getByRole('rowheader').textContent()) ?? '';
      await row.getByRole('button', { name: `View version ${which}` }).click();
      const region = history
        .getByRole('region', { name: `The list of version ${which}` })
        .getByRole('region', { name: 'What changed' });
      return { region, lines: region.getByRole('list', { name: `Changes in version ${which}` }) };
    };
    const newest = await changesOf(rows.first());
    await newest.region.getByText(`Compared with version ${version}, the list before it:`).waitFor();
    await newest.lines.getByRole('listitem').first().waitFor();
    assert.deepEqual(await newest.lines.getByRole('listitem').allTextContents(), [
      'Changed “Billing to the VIP skill”: disabled.',
    ]);
    await visited('policy-history-changes');
    const reordered = await changesOf(rows.nth(3));
    await reordered.lines.getByRole('listitem').first().waitFor();
    assert.deepEqual(await reordered.lines.getByRole('listitem').allTextContents(), [
      'The order changed: “Billing to the VIP skill” moved from position 1 to 2.',
    ]);
    const oldest = await changesOf(rows.last());
    await oldest.region
      .getByText('is the oldest list kept: there is nothing older to compare it with.')
      .waitFor();

    // View shows the list before that change, in order, with Billing still enabled, and the policy added then.
    await before.getByRole('button', { name: `View version ${version}` }).click();
    const shown = history.getByRole('region', { name: `The list of version ${version}` });
    await suite.page
      .getByRole('heading', { level: 3, name: `The list of version ${version}` })
      .and(suite.page.locator(':focus'))
      .waitFor();
    const listed = shown.getByRole('list', { name: `Policies of version ${version}, in order` });
    await listed.getByRole('listitem').nth(2).waitFor();
    assert.deepEqual(await listed.getByRole('listitem').allTextContents(), [
      'Gold customers to an agent Disabled',
      'Billing to the VIP skill Enabled',
      'Added elsewhere Disabled',
    ]);
    assert.equal(
      await history.getByRole('button', { name: `View version ${version}` }).getAttribute('aria-pressed'),
      'true',
    );
    await shown
      .getByRole('list', { name: `Changes in version ${version}` })
      .getByText('Added “Added elsewhere”.')
      .waitFor();
    await visited('policy-history-version');

    // Restore asks first, saying what happens, whose list it is, and what it changes in the current list.
    await shown.getByRole('button', { name: 'Restore this list' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Restore this list of policies?' });
    await dialog.getByText(`the list of version ${version}, saved`).waitFor();
    await dialog.getByText('by system — 3 policies — on every node from the next request').waitFor();
    await dialog
      .getByText('Compared with the current list, restoring it changes “Billing to the VIP skill” (enabled).')
      .waitFor();
    await dialog.getByText('it can itself be undone from there').waitFor();
    await visited('policy-history-restore-dialog');
    await dialog.getByRole('button', { name: 'Restore this list' }).click();
    await suite.page
      .getByRole('status')
      .getByText(`The list of version ${version}, saved`)
      .filter({ hasText: 'is the current one again (3 policies)' })
      .waitFor();
    await dialog.waitFor({ state: 'hidden' });
    // The focus is back on the button that opened the dialog; the list and the history are read again.
    await suite.page.locator('#restore-version:focus').waitFor();
    await suite.page.getByRole('button', { name: 'Disable Billing to the VIP skill' }).waitFor();
    const names = () => suite.page.locator('.policy-list .policy-name').allTextContents();
    assert.deepEqual(await names(), [
      'Gold customers to an agent',
      'Billing to the VIP skill',
      'Added elsewhere',
    ]);
    await rows.nth(6).waitFor();
    assert.deepEqual(await described(rows.first()), ['admin', 'restored an earlier policy list', '3']);

    // Someone else changes the list meanwhile: the restore is refused (412), the page says so and shows the list
    // and its history as they are now; restored again, the list is back.
    await suite.server.server.runtime.services.policies.create(accountId, {
      name: 'Added meanwhile',
      conditions: [{ attribute: 'conversation.conversationId', operator: 'EQUAL', value: 'never' }],
      actions: [{ type: 'SEND_MESSAGE', payload: { text: 'unused' } }],
    });
    // The dialog compares with the list as the page has it: the same as this one, until the page reads it again.
    await shown.getByRole('button', { name: 'Restore this list' }).click();
    await dialog
      .getByText('This list is the same as the current one: restoring it changes no policy.')
      .waitFor();
    await dialog.getByRole('button', { name: 'Restore this list' }).click();
    await assertAlert(
      suite.page,
      /The policies changed since this page loaded; they are shown again as they are now/,
    );
    await suite.page.locator('.policy-list li').nth(3).waitFor();
    assert.equal((await names()).at(-1), 'Added meanwhile');
    await rows.nth(7).waitFor();
    assert.deepEqual(await described(rows.first()), ['system', 'created a policy', '4']);
    await shown.getByRole('button', { name: 'Restore this list' }).click();
    await dialog
      .getByText('Compared with the current list, restoring it removes “Added meanwhile”.')
      .waitFor();
    await dialog.getByRole('button', { name: 'Restore this list' }).click();
    await suite.page.getByRole('status').getByText('is the current one again (3 policies)').waitFor();
    await rows.nth(8).waitFor();
    assert.deepEqual(await names(), [
      'Gold customers to an agent',
      'Billing to the VIP skill',
      'Added elsewhere',
    ]);
    assert.deepEqual(await described(rows.first()), ['admin', 'restored an earlier policy list', '3']);

    // Close gives the focus back to the row's View button.
    await shown.getByRole('button', { name: `Close version ${version}` }).click();
    await history.locator(`#history-view-${version}:focus`).waitFor();
    assert.equal(await shown.count(), 0);

    // A viewer reads the history and views a list, with no Restore.
    await asViewer('history-viewer', async (viewer) => {
      await viewer.goto(`/accounts/${accountId}/policies`);
      const theirs = viewer.getByRole('region', { name: 'History' });
      const theirRows = theirs.locator('tbody tr');
      await theirRows.nth(8).waitFor();
      assert.deepEqual(await described(theirRows.first()), ['admin', 'restored an earlier policy list', '3']);
      await theirs.getByRole('button', { name: `View version ${version}` }).click();
      await theirs.getByRole('listitem').nth(2).waitFor();
      assert.equal(await viewer.getByRole('button', { name: /^Restore/ }).count(), 0);
      accessibility['viewer-policy-history'] = await accessibilityViolations(viewer);
    });
  });

  test('policy logs: the evaluation shows, found by its conversation id', async () => {
    suite.watch.step = 'policy-logs';
    await openSection('Policy logs', 'Policy logs');
    await suite.page.getByRole('search').getByLabel('Conversation ID').fill('conv-9');
    await suite.page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    const entry = suite.page.getByRole('article').filter({ hasText: 'conversation conv-9' });
    await entry.getByRole('rowheader', { name: 'Billing to the VIP skill — matched' }).waitFor();
    await entry
      .getByRole('row', { name: /Gold customers to an agent/ })
      .getByText('DISABLED')
      .waitFor();
    await visited('policy-logs');
    await suite.page.getByRole('search').getByLabel('Conversation ID').fill('no-such-conversation');
    await suite.page.getByRole('search').getByRole('button', { name: 'Search' }).click();
    await suite.page.getByText('No evaluation for conversation no-such-conversation').waitFor();
  });

  test('context browser: namespaces → sessions → properties with expiry; delete a property, then a session', async () => {
    suite.watch.step = 'context';
    await openSection('Context', 'Context');
    await suite.page.getByRole('button', { name: 'Show sessions of bot' }).click();
    const session = suite.page.getByRole('article', { name: 'Session conv-1' });
    await session.getByRole('rowheader', { name: 'intent' }).waitFor();
    await session.getByText('Expires').waitFor();
    await visited('context');

    await session.getByRole('button', { name: 'Delete property tier of Session conv-1' }).click();
    await suite.page
      .getByRole('dialog', { name: 'Delete this property?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await suite.page.getByText('Property tier of session conv-1 was deleted.').waitFor();
    await session.getByRole('rowheader', { name: 'tier' }).waitFor({ state: 'detached' });

    await session.getByRole('button', { name: 'Delete session conv-1' }).click();
    await suite.page
      .getByRole('dialog', { name: 'Delete this session?' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await suite.page.getByText('Session conv-1 was deleted.').waitFor();
    await session.waitFor({ state: 'detached' });
    const events = await suite.server.server.runtime.services.ctx.store.audit.listAudit({
      accountId,
      limit: 2,
    });
    assert.deepEqual(
      events.map((e) => e.action),
      ['context.session-deleted', 'context.property-deleted'],
    );
  });

  test('audit log: who viewed, copied and regenerated which secret, when and from where', async () => {
    suite.watch.step = 'audit';
    await openSection('Audit log', 'Audit log');
    const table = suite.page.getByRole('table');
    // The account's events since the first step, 50 a page: the older pages too.
    const rows = table.locator('tbody tr');
    await rows.first().waitFor();
    const older = suite.page.getByRole('button', { name: 'Show older events' });
    while ((await older.count()) > 0) {
      const shown = await rows.count();
      await older.click();
      // More rows, or (the last page was full and nothing is older) no button any more.
      const pending = suite.page.getByRole('button', { name: /^(Show older events|Loading…)$/ });
      while ((await rows.count()) <= shown && (await pending.count()) > 0)
        await suite.page.waitForTimeout(50);
    }
    for (const action of [
      'regenerated the API key',
      'copied the API key',
      'regenerated the v2 credentials',
      'revealed the v2 password',
      'added a key for signed client assertions',
      'added a certificate subject (mutual TLS)',
      'removed a key for signed client assertions',
      'removed a certificate subject (mutual TLS)',
      'refused the v2 password (signed assertions only)',
      'allowed the v2 password again',
      'required DPoP (tokens bound to a key)',
      'stopped requiring DPoP (bearer tokens accepted again)',
      'restored an earlier policy list (version',
    ]) {
      await table.getByText(action).first().waitFor();
    }
    await table.getByText('127.0.0.1').first().waitFor();
    // A certificate subject's member in words, when it was added and when it was removed.
    const subjectRows = table
      .getByRole('row')
      .filter({ hasText: /type: certificate subject, subjectAltName DNS name: billing\.acme\.example/ });
    await subjectRows.filter({ hasText: 'added a certificate subject (mutual TLS)' }).waitFor();
    await subjectRows.filter({ hasText: 'removed a certificate subject (mutual TLS)' }).waitFor();
    await visited('audit-log');
  });

  test('operator API tokens: created once, copied, and they open the admin API to automation', async () => {
    suite.watch.step = 'operator-tokens';
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'API tokens' })
      .click();
    await suite.page.getByRole('heading', { level: 1, name: 'Operator API tokens' }).waitFor();
    await suite.page.getByLabel('Name').fill('ci-deploy');
    await suite.page.getByRole('button', { name: 'Create token' }).click();
    await suite.page.getByText('it is shown only once').waitFor();
    await suite.page.getByRole('button', { name: 'Copy token' }).click();
    const token = await readClipboard(suite.page);
    assert.equal(token, await suite.page.locator('#operator-token-value').textContent());
    // Listed for every operator, with who made it; it expires in 90 days unless told otherwise.
    const row = suite.page
      .getByRole('table', { name: 'Operator API tokens, oldest first' })
      .getByRole('row', { name: /ci-deploy/ });
    await row.getByRole('cell', { name: 'admin', exact: true }).waitFor();
    await row.getByRole('cell', { name: "its operator's role", exact: true }).waitFor();
    await row.getByText('never used').waitFor();
    const bearer = { authorization: `Bearer ${token}` };
    const accounts = await http('/api/admin/accounts', { headers: bearer });
    assert.equal(accounts.status, 200);
    assert.ok(((await accounts.json()) as { accountId: string }[]).some((a) => a.accountId === accountId));
    const listed = (await (await http('/api/admin/operator-tokens', { headers: bearer })).json()) as {
      name: string;
      createdAt: string;
      expiresAt: string;
    }[];
    const made = listed.find((t) => t.name === 'ci-deploy');
    assert.ok(made);
    assert.equal(Date.parse(made.expiresAt) - Date.parse(made.createdAt), 90 * 86_400_000);

    // One made to act as a viewer, for a dashboard: it reads the accounts, never their secrets.
    const actsAs = suite.page.getByRole('group', { name: 'Acts as' });
    assert.equal(await actsAs.getByRole('radio', { name: 'With your role (admin)' }).isChecked(), true);
    await actsAs.getByRole('radio', { name: 'As a viewer: reads, never a secret' }).check();
    await suite.page.getByLabel('Name').fill('dashboard');
    await suite.page.getByRole('button', { name: 'Create token' }).click();
    await suite.page.getByRole('heading', { level: 2, name: 'Token “dashboard”' }).waitFor();
    await suite.page.getByText('It acts as a viewer').waitFor();
    const viewerToken = await suite.page.locator('#operator-token-value').textContent();
    assert.ok(viewerToken);
    const viewerRow = suite.page
      .getByRole('table', { name: 'Operator API tokens, oldest first' })
      .getByRole('row', { name: /dashboard/ });
    await viewerRow.getByRole('cell', { name: 'viewer', exact: true }).waitFor();
    await visited('operator-tokens');
    const asViewer = { authorization: `Bearer ${viewerToken}` };
    assert.equal((await http('/api/admin/accounts', { headers: asViewer })).status, 200);
    const secrets = await http(`/api/admin/accounts/${accountId}/api-authorization`, { headers: asViewer });
    assert.equal(secrets.status, 403);
    // It may revoke itself, off the page: the list shows it gone at its next load.
    const dashboard = (
      (await (await http('/api/admin/operator-tokens', { headers: asViewer })).json()) as {
        id: string;
        name: string;
        role: string | null;
      }[]
    ).find((t) => t.name === 'dashboard');
    assert.ok(dashboard);
    assert.equal(dashboard.role, 'viewer');
    const revoked = await http(`/api/admin/operator-tokens/${dashboard.id}`, {
      method: 'DELETE',
      headers: asViewer,
    });
    assert.equal(revoked.status, 204);

    // Revoked through the dialog: gone from the list, and refused at once.
    await row.getByRole('button', { name: 'Revoke' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Revoke this token?' });
    await dialog.getByText('stops working at once').waitFor();
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await suite.page.getByText('Token “ci-deploy” was revoked').waitFor();
    await row.waitFor({ state: 'detached' });
    await suite.page.getByText('No tokens yet.').waitFor();
    assert.equal((await http('/api/admin/accounts', { headers: bearer })).status, 401);
  });

  test('operators: add one with a generated password that signs in, remove them; change your own password and back', async () => {
    suite.watch.step = 'operators';
    const signIn = (username: string, password: string) =>
      http('/api/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Operators' })
      .click();
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    const table = suite.page.getByRole('table', { name: 'Operators, by username' });
    await table
      .getByRole('row', { name: /^admin\b/ })
      .getByText('you')
      .waitFor();

    // A new operator is a viewer unless the admin chooses otherwise.
    const role = suite.page.getByLabel('Role');
    assert.equal(await role.inputValue(), 'viewer');
    assert.deepEqual(await role.locator('option').allTextContents(), ['Viewer', 'Admin']);
    await suite.page.getByLabel('Username').fill('ops-web');
    await suite.page.getByRole('button', { name: 'Add operator' }).click();
    await suite.page.getByText('Operator ops-web was added as a viewer.').waitFor();
    await suite.page.getByText('it is shown only once').waitFor();
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const password = await readClipboard(suite.page);
    assert.equal(password, await suite.page.locator('#operator-password-value').textContent());
    const row = table.getByRole('row', { name: /ops-web/ });
    await row.getByRole('cell', { name: 'Viewer', exact: true }).waitFor();
    const login = await signIn('ops-web', password);
    assert.equal(login.status, 200);
    const theirs = { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
    assert.equal((await http('/api/admin/session', { headers: theirs })).status, 200);
    await visited('operators');

    await row.getByRole('button', { name: 'Remove' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Remove this operator?' });
    await dialog.getByText('their sessions and API tokens stop working at once').waitFor();
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await suite.page.getByText('Operator ops-web was removed').waitFor();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(await table.locator('tbody th').allTextContents(), ['admin']);
    assert.equal((await http('/api/admin/session', { headers: theirs })).status, 401);

    // A wrong current password is said on the form; the session goes on. The right one changes it, and the
    // answer's new cookie and CSRF token keep the page signed in: changing it back is a change too.
    const form = suite.page.getByRole('region', { name: 'Change your password' });
    const change = async (current: string, next: string) => {
      await form.getByLabel('Current password').fill(current);
      await form.getByLabel('New password').fill(next);
      const [answer] = await Promise.all([
        suite.page.waitForResponse((r) => new URL(r.url()).pathname === '/api/admin/password'),
        form.getByRole('button', { name: 'Change password' }).click(),
      ]);
      return answer.status();
    };
    const changed = 'a changed admin password';
    assert.equal(await change('not the password', changed), 403);
    await form.getByText('the current password is wrong').waitFor();
    assert.equal(await form.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
    assert.equal(await change(SERVER_ADMIN_PASSWORD, changed), 200);
    await form.getByText('Your password was changed.').waitFor();
    assert.equal((await signIn('admin', SERVER_ADMIN_PASSWORD)).status, 401);
    assert.equal((await signIn('admin', changed)).status, 200);
    assert.equal(await change(changed, SERVER_ADMIN_PASSWORD), 200);
    await form.getByText('Your password was changed.').waitFor();
    assert.equal((await signIn('admin', SERVER_ADMIN_PASSWORD)).status, 200);
    const cookie = await cookieOf(suite.context);
    assert.equal((await http('/api/admin/session', { headers: { cookie } })).status, 200);
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
  });

  test('a viewer: sees accounts, policies, context and operators but no secret, and is offered no change; made an admin, at once', async () => {
    suite.watch.step = 'viewer';
    const viewerPassword = 'a viewer password for the web test';
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Operators' })
      .click();
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    assert.equal(await suite.page.getByLabel('Role').inputValue(), 'viewer');
    await suite.page.getByLabel('Username').fill('support');
    await suite.page.getByLabel('Password (optional)').fill(viewerPassword);
    await suite.page.getByRole('button', { name: 'Add operator' }).click();
    await suite.page
      .getByText('Operator support was added as a viewer, with the password you chose.')
      .waitFor();
    const row = suite.page
      .getByRole('table', { name: 'Operators, by username' })
      .getByRole('row', { name: /^support\b/ });
    await row.getByRole('cell', { name: 'Viewer', exact: true }).waitFor();
    // A token each, made here rather than on the page: the audit log's later check counts the one made there.
    const operators = suite.server.server.runtime.services.operators;
    const madeTokens = [
      await operators.createApiToken('admin', 'admin-script', 30),
      await operators.createApiToken('support', 'support-script', 30),
    ];
    // A key for signed client assertions, for the viewer to read.
    const clientKeys = suite.server.server.runtime.services.clients.keys;
    const viewerKey = await exportJWK((await generateKeyPair('ES256')).publicKey);
    await clientKeys.add(accountId, { ...viewerKey, kid: 'viewer-key' });

    const viewerContext = await newContext(suite.browser, suite.server.url);
    try {
      const viewer = await viewerContext.newPage();
      const viewerWatch = new ConsoleWatch(viewer);
      viewerWatch.step = 'viewer';
      const mainNav = viewer.getByRole('navigation', { name: 'Main' });
      const noControls = async (role: 'button' | 'link', names: (string | RegExp)[]) => {
        for (const name of names)
          assert.equal(await viewer.getByRole(role, { name }).count(), 0, `${role} ${name}`);
      };
      await viewer.goto('/');
      await submitSignIn(viewer, 'support', viewerPassword);
      await viewer.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await viewer.getByRole('banner').getByText('Signed in as support (viewer)').waitFor();

      // Accounts: no form to create one, and no way to the secrets.
      await viewer.getByRole('rowheader', { name: accountId }).waitFor();
      assert.equal(await viewer.getByRole('region', { name: 'Create an account' }).count(), 0);
      await accountLimits(viewer, 'No limit').waitFor();
      const sections = ['Policies', 'Context', 'Policy logs', 'Audit log'];
      assert.deepEqual(
        await viewer
          .getByRole('list', { name: `Pages of account ${accountId}` })
          .getByRole('link')
          .allTextContents(),
        sections,
      );

      // Opening the account lands on its policies: no editing controls, no custom-attribute fields.
      await viewer.getByRole('rowheader', { name: accountId }).getByRole('link').click();
      await viewer.getByRole('heading', { level: 1, name: 'Policies' }).waitFor();
      assert.equal(new URL(viewer.url()).pathname, `/accounts/${accountId}/policies`);
      const tabs = viewer.getByRole('navigation', { name: `Account ${accountId}` });
      assert.deepEqual(await tabs.getByRole('link').allTextContents(), sections);
      await viewer.locator('.policy-list li').nth(2).waitFor();
      assert.deepEqual(await viewer.locator('.policy-list .policy-name').allTextContents(), [
        'Gold customers to an agent',
        'Billing to the VIP skill',
        'Added elsewhere',
      ]);
      await viewer
        .getByRole('table', { name: 'Custom attributes' })
        .getByRole('rowheader', { name: 'vipSkill' })
        .waitFor();
      await noControls('button', [
        /^Enable/,
        /^Disable/,
        /^Move (up|down)/,
        /^Delete/,
        'Add an attribute',
        'Save custom attributes',
      ]);
      await noControls('link', ['New policy', /^Edit/]);
      assert.equal(await viewer.getByRole('textbox', { name: 'Name' }).count(), 0);
      // The dry run is a read: it stays.
      const listRun = viewer.getByRole('region', { name: 'Dry run', exact: true });
      await listRun.getByLabel('Conversation ID').fill('conv-9');
      await listRun.getByRole('button', { name: 'Run dry run' }).click();
      await listRun.getByText('Policy “Billing to the VIP skill” would match.').waitFor();
      await visited('viewer-policies', viewer);

      // A policy opens read-only, with its own dry run.
      await viewer.getByRole('link', { name: 'View Billing to the VIP skill' }).click();
      await viewer.getByRole('heading', { level: 1, name: 'Policy' }).waitFor();
      await viewer.getByRole('heading', { level: 2, name: 'Billing to the VIP skill' }).waitFor();
      await viewer.getByRole('region', { name: 'Dry run this policy' }).waitFor();
      await noControls('button', [/Save policy/, /Create policy/, 'Add a condition', 'Add an action']);

      // The API Authorization page's address, typed: a notice, not a refusal.
      await viewer.goto(`/accounts/${accountId}/api-authorization`);
      await viewer.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
      await viewer.getByRole('status').getByText('This page needs an admin operator').waitFor();
      assert.equal(await viewer.locator('#api-key-value').count(), 0);
      // The public keys for signed client assertions are no secret: listed, with no Remove and no form to add one;
      // the one form is the certificate check, a read.
      const keys = viewer.getByRole('region', { name: 'Keys for signed client assertions' });
      await keys
        .getByRole('table', { name: 'Keys for signed client assertions, oldest first' })
        .getByRole('rowheader', { name: 'viewer-key' })
        .waitFor();
      assert.deepEqual(
        await keys
          .getByRole('form')
          .evaluateAll((forms) => forms.map((f) => f.querySelector('h3')?.textContent)),
        ['Check a client certificate'],
      );
      assert.equal(await keys.getByRole('textbox').count(), 1);
      assert.equal(await keys.getByRole('textbox', { name: 'Client certificate (PEM)' }).count(), 1);
      assert.deepEqual(await keys.getByRole('button').allTextContents(), ['Check']);
      await keys
        .locator('#signed-assertions-only-now')
        .filter({ hasText: 'Now: The user ID and password also get tokens.' })
        .waitFor();
      accessibility['viewer-api-authorization'] = await accessibilityViolations(viewer);

      // Context: to read, not to delete.
      await tabs.getByRole('link', { name: 'Context' }).click();
      await viewer.getByRole('button', { name: 'Show sessions of bot' }).click();
      await viewer
        .getByRole('article', { name: 'Session conv-9' })
        .getByRole('rowheader', { name: 'intent' })
        .waitFor();
      await noControls('button', [/Delete/]);

      // Backups: the schedule, no backup on demand.
      await mainNav.getByRole('link', { name: 'Backups' }).click();
      await viewer.getByRole('heading', { level: 2, name: 'Schedule' }).waitFor();
      await noControls('button', ['Back up now']);

      // API tokens: every operator's are listed; a viewer may revoke only their own, and has no choice of what
      // theirs act as (their role is a viewer's already).
      await mainNav.getByRole('link', { name: 'API tokens' }).click();
      const tokens = viewer.getByRole('table', { name: 'Operator API tokens, oldest first' });
      await tokens
        .getByRole('row', { name: /support-script/ })
        .getByRole('button', { name: 'Revoke' })
        .waitFor();
      assert.equal(await viewer.getByRole('group', { name: 'Acts as' }).count(), 0);
      await tokens.getByRole('row', { name: /admin-script/ }).waitFor();
      assert.equal(
        await tokens
          .getByRole('row', { name: /admin-script/ })
          .getByRole('button')
          .count(),
        0,
      );

      // Operators: the list and their own password, nothing more.
      await mainNav.getByRole('link', { name: 'Operators' }).click();
      const list = viewer.getByRole('table', { name: 'Operators, by username' });
      await list
        .getByRole('row', { name: /^support\b/ })
        .getByText('you')
        .waitFor();
      await list
        .getByRole('row', { name: /^admin\b/ })
        .getByRole('cell', { name: 'Admin', exact: true })
        .waitFor();
      assert.deepEqual(await list.getByRole('button').allTextContents(), [
        'Activity of admin',
        'Activity of support',
      ]);
      assert.equal(await viewer.getByRole('region', { name: 'Add an operator' }).count(), 0);
      await viewer.getByRole('region', { name: 'Change your password' }).waitFor();

      // The only console error: the session check before signing in (401).
      assert.deepEqual(
        viewerWatch.unexpected({ viewer: [/the server responded with a status of 401 /] }),
        [],
      );
      assert.equal(viewerWatch.errors.length, 1, 'the session check before signing in');

      // Back as admin: the row's control makes them an admin, and their session says so at once.
      await row.getByRole('button', { name: 'Make admin' }).click();
      await suite.page.getByText('Operator support is now an admin').waitFor();
      await row.getByRole('cell', { name: 'Admin', exact: true }).waitFor();
      await row.getByRole('button', { name: 'Make viewer' }).waitFor();
      const cookie = await cookieOf(viewerContext);
      const session = await http('/api/admin/session', { headers: { cookie } });
      assert.equal(((await session.json()) as { role: string }).role, 'admin');
    } finally {
      await viewerContext.close();
      for (const t of madeTokens)
        await operators.revokeApiToken(t.id, { username: 'admin', role: 'admin', accounts: null });
      await clientKeys.remove(accountId, 'viewer-key');
    }
  });

  test('one-time codes: an operator sets them up on the page and signs in with a code; an admin resets them', async () => {
    suite.watch.step = 'totp';
    const username = 'ops-codes';
    const password = 'a password for the one-time codes test';
    const operators = suite.server.server.runtime.services.operators;
    await operators.createOperator(username, password, 'viewer');
    const theirContext = await newContext(suite.browser, suite.server.url);
    try {
      const their = await theirContext.newPage();
      const theirWatch = new ConsoleWatch(their);
      theirWatch.step = 'totp';
      const signIn = () => submitSignIn(their, username, password);
      await their.goto('/');
      await signIn();
      await their.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();

      // Set up: the QR code, and the secret as text, grouped for typing; a wrong code is said on the field.
      await their.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
      const section = their.getByRole('region', { name: 'Sign-in codes' });
      await section.getByText('One-time codes are off').waitFor();
      await section.getByRole('button', { name: 'Set up' }).click();
      await section.getByRole('img', { name: 'QR code for your authenticator app' }).waitFor();
      const shown = (await section.locator('#totp-secret').textContent()) ?? '';
      assert.match(shown, /^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
      const secret = shown.replaceAll(' ', '');
      await visited('totp-setup', their);
      await section.getByRole('button', { name: 'Copy secret' }).click();
      assert.equal(await readClipboard(their), secret);
      const uri = await section
        .getByRole('link', { name: 'Add it to the app on this device' })
        .getAttribute('href');
      assert.equal(new URL(uri ?? '').searchParams.get('secret'), secret);
      const setupCode = section.getByLabel('Code from the app');
      await setupCode.fill(wrongCode(secret));
      await section.getByRole('button', { name: 'Turn on' }).click();
      await section.getByText('the code does not match').waitFor();
      assert.equal(await setupCode.getAttribute('aria-invalid'), 'true');
      await setupCode.fill(totpCode(secret, Date.now()));
      await section.getByRole('button', { name: 'Turn on' }).click();
      await section.getByText('One-time codes are on: from now on, every sign-in asks for a code.').waitFor();

      // Ten recovery codes, shown this once: copied, or downloaded as a text file made in the browser.
      const recoveryCodes = await shownRecoveryCodes(section);
      await visited('totp-recovery-codes', their);
      await section.getByRole('button', { name: 'Copy codes' }).click();
      assert.equal(await readClipboard(their), recoveryCodes.join('\n'));
      const [download] = await Promise.all([
        their.waitForEvent('download'),
        section.getByRole('button', { name: 'Download' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'orchestrator-recovery-codes.txt');
      const file = await readFile(await download.path(), 'utf8');
      for (const recoveryCode of recoveryCodes) assert.ok(file.includes(`\n${recoveryCode}\n`), recoveryCode);
      await section.getByRole('button', { name: 'I have saved them' }).click();
      await section.getByText('10 of 10 recovery codes left.').waitFor();
      assert.equal(await section.getByRole('list', { name: 'Recovery codes' }).count(), 0, 'not shown again');
      await section.getByRole('form', { name: 'Turn off one-time codes' }).waitFor();

      // Signing in again: the right password brings the code step, with the name and password kept.
      await their.getByRole('button', { name: 'Sign out' }).click();
      await their.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await signIn();
      const code = their.getByLabel('One-time code');
      await code.waitFor();
      assert.equal(await code.getAttribute('autocomplete'), 'one-time-code');
      assert.equal(await code.getAttribute('inputmode'), 'numeric');
      assert.equal(await their.locator(':focus').getAttribute('id'), 'sign-in-code');
      accessibility['sign-in-code'] = await accessibilityViolations(their);
      await code.fill(wrongCode(secret));
      await their.getByRole('button', { name: 'Sign in' }).click();
      await their.getByText('the code is wrong or was used already: enter the next one').waitFor();
      assert.equal(await code.getAttribute('aria-invalid'), 'true');
      // The code of the step after this one: the enabling code used this step (or the one before), and the
      // server takes a code one step either side of its clock, so the next step's code is good now, no wait.
      await code.fill(totpCode(secret, Date.now() + TOTP_STEP_MS));
      await their.getByRole('button', { name: 'Sign in' }).click();
      // Back to the page they signed out from.
      await their.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
      await section.getByText('One-time codes are on').waitFor();
      const cookie = await cookieOf(theirContext);
      const session = await http('/api/admin/session', { headers: { cookie } });
      assert.equal(session.status, 200);
      assert.equal(((await session.json()) as { username: string }).username, username);

      // Turning them off takes the password and a code: each refusal is said on its field.
      const off = section.getByRole('form', { name: 'Turn off one-time codes' });
      const turnOff = async (currentPassword: string) => {
        await off.getByLabel('Current password').fill(currentPassword);
        await off.getByLabel('Code from the app').fill(wrongCode(secret));
        await off.getByRole('button', { name: 'Turn off' }).click();
      };
      await turnOff('not the password');
      await off.getByText('the current password is wrong').waitFor();
      assert.equal(await off.getByLabel('Current password').getAttribute('aria-invalid'), 'true');
      await turnOff(password);
      await off.getByText('the code is wrong or was used already').waitFor();
      assert.equal(await off.getByLabel('Code from the app').getAttribute('aria-invalid'), 'true');
      assert.equal(await off.getByLabel('Current password').getAttribute('aria-invalid'), null);

      // The only console errors: the session check (401), the wrong code on setting up (400), the code step and
      // the wrong code on signing in (401), the two refused attempts to turn them off (403).
      assert.deepEqual(theirWatch.unexpected({ totp: [refusedStatus('(400|401|403)')] }), []);
      assert.equal(
        theirWatch.errors.length,
        6,
        'session check, set-up code, code step, wrong code, two turn-offs',
      );
    } finally {
      await theirContext.close();
    }

    // An admin removes the codes (a lost phone), behind a confirmation: the password alone signs in again.
    const mainNav = suite.page.getByRole('navigation', { name: 'Main' });
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    await mainNav.getByRole('link', { name: 'Operators' }).click();
    const table = suite.page.getByRole('table', { name: 'Operators, by username' });
    const row = table.getByRole('row', { name: new RegExp(`^${username}\\b`) });
    await row.getByRole('cell', { name: 'On', exact: true }).waitFor();
    await table
      .getByRole('row', { name: /^admin\b/ })
      .getByRole('cell', { name: 'Off', exact: true })
      .waitFor();
    await row.getByRole('button', { name: 'Reset codes' }).click();
    const dialog = suite.page.getByRole('dialog', { name: "Reset this operator's one-time codes?" });
    await dialog.getByText(`${username} signs in with their password alone`).waitFor();
    await dialog.getByRole('button', { name: 'Reset codes' }).click();
    await suite.page.getByText(`The one-time codes of ${username} were removed`).waitFor();
    await row.getByRole('cell', { name: 'Off', exact: true }).waitFor();
    assert.equal(await row.getByRole('button', { name: 'Reset codes' }).count(), 0);
    const login = await http('/api/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    assert.equal(login.status, 200);

    // The audit log says it in words.
    await mainNav.getByRole('link', { name: 'Audit log' }).click();
    const log = suite.page.getByRole('table');
    await log.getByText("reset an operator's one-time codes").waitFor();
    await log.getByText('turned on one-time codes').waitFor();
  });

  test('recovery codes: one signs in once in place of a code; new ones replace the old; one turns the codes off', async () => {
    suite.watch.step = 'recovery-codes';
    const username = 'ops-recovery';
    const password = 'a password for the recovery codes test';
    const operators = suite.server.server.runtime.services.operators;
    await operators.createOperator(username, password, 'viewer');
    // Codes on without the page (the test above turns them on there): a secret, its first code, ten recovery codes.
    const { secret } = await operators.totp.start(username);
    const firstCodes = await operators.totp.enable(username, totpCode(secret, Date.now()));
    const [used, unused] = firstCodes;
    assert.ok(used && unused);
    const login = (factor: Record<string, string>) =>
      http('/api/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password, ...factor }),
      });
    const theirContext = await newContext(suite.browser, suite.server.url);
    try {
      const their = await theirContext.newPage();
      const theirWatch = new ConsoleWatch(their);
      theirWatch.step = 'recovery-codes';

      // The code step offers a recovery code instead: a text field, no autocomplete, with the focus.
      await their.goto('/operators');
      await submitSignIn(their, username, password);
      await their.getByLabel('One-time code').waitFor();
      await their.getByRole('button', { name: 'Use a recovery code instead' }).click();
      const field = their.getByLabel('Recovery code');
      await field.waitFor();
      assert.equal(await field.getAttribute('autocomplete'), 'off');
      assert.equal(await field.getAttribute('inputmode'), null);
      // The page gives it the focus in an effect, a frame after it appears: wait for that.
      await their.locator('#sign-in-code:focus').waitFor();
      assert.equal(await their.locator(':focus').getAttribute('id'), 'sign-in-code');
      accessibility['sign-in-recovery-code'] = await accessibilityViolations(their);
      await field.fill(used.toUpperCase());
      await their.getByRole('button', { name: 'Sign in' }).click();

      // Signed in, back on the page asked for; the app says how many codes are left, and so does the section.
      await their.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
      await their.getByText('You signed in with a recovery code: 9 of 10 recovery codes left.').waitFor();
      const section = their.getByRole('region', { name: 'Sign-in codes' });
      await section.getByText('9 of 10 recovery codes left.').waitFor();
      await visited('recovery-code-used', their);
      await their.getByRole('button', { name: 'Dismiss' }).click();
      assert.equal(await their.getByText('You signed in with a recovery code').count(), 0);

      // Each code works once.
      const again = await login({ recoveryCode: used });
      assert.equal(again.status, 401);
      assert.equal(((await again.json()) as { code: string }).code, 'mfa_required');

      // New recovery codes, for the password and a current code: ten others; the old ones stop working.
      await section.getByRole('button', { name: 'New recovery codes' }).click();
      const replace = section.getByRole('form', { name: 'New recovery codes' });
      await replace.getByLabel('Current password').fill(password);
      // The enabling code used this step (or the one before); the next step's is good now.
      await replace.getByLabel('Code from the app').fill(totpCode(secret, Date.now() + TOTP_STEP_MS));
      await replace.getByRole('button', { name: 'Make new codes' }).click();
      await section.getByText('New recovery codes were made: the old ones no longer work.').waitFor();
      const newCodes = await shownRecoveryCodes(section);
      assert.deepEqual(
        newCodes.filter((c) => firstCodes.includes(c)),
        [],
      );
      await section.getByRole('button', { name: 'I have saved them' }).click();
      await section.getByText('10 of 10 recovery codes left.').waitFor();
      assert.equal((await login({ recoveryCode: unused })).status, 401);

      // Spent down to two, the count becomes a warning.
      let left: unknown;
      for (const recoveryCode of newCodes.slice(0, 8)) {
        const answer = await login({ recoveryCode });
        assert.equal(answer.status, 200);
        left = ((await answer.json()) as { recoveryCodesLeft?: number }).recoveryCodesLeft;
      }
      assert.equal(left, 2);
      await their.reload();
      await section
        .getByRole('status')
        .filter({ hasText: '2 of 10 recovery codes left. Make new ones below' })
        .waitFor();

      // A recovery code turns the codes off, with the password, in place of the app's code.
      const off = section.getByRole('form', { name: 'Turn off one-time codes' });
      await off.getByLabel('Current password').fill(password);
      await off.getByRole('button', { name: 'Use a recovery code instead' }).click();
      await off.getByLabel('Recovery code').fill(newCodes[8] ?? '');
      await off.getByRole('button', { name: 'Turn off' }).click();
      await section
        .getByRole('status')
        .filter({ hasText: 'One-time codes are off: you sign in with your password alone.' })
        .waitFor();
      assert.equal((await login({})).status, 200);

      // The only console errors: the session check (401) and the code step (401).
      assert.deepEqual(theirWatch.unexpected({ 'recovery-codes': [refusedStatus('401')] }), []);
      assert.equal(theirWatch.errors.length, 2, 'session check, code step');
    } finally {
      await theirContext.close();
    }

    // The audit log says it in words.
    const mainNav = suite.page.getByRole('navigation', { name: 'Main' });
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    await mainNav.getByRole('link', { name: 'Audit log' }).click();
    const log = suite.page.getByRole('table');
    await log.getByText('made new recovery codes').waitFor();
    await log.getByText('signed in with a recovery code').first().waitFor();
  });

  test('backups: the schedule, the backups kept with their checksums, and one more on demand', async () => {
    suite.watch.step = 'backups';
    const backups = suite.server.server.runtime.services.backups;
    assert.ok(backups);
    // The node wrote its first backup at start (the folder was empty), and BACKUP_COMMAND copied it.
    const [first] = await backups.list();
    assert.ok(first);
    await backups.command?.idle();
    assert.equal(backups.status().command?.lastSuccess?.backup, first.name);
    assert.ok(existsSync(join(offSiteDir, first.name, 'backup.json')));
    await suite.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Backups' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Backups' }).waitFor();
    await suite.page.getByText(backupDir).waitFor();
    const table = suite.page.getByRole('table', { name: 'Backups, newest first' });
    assert.equal(await table.locator('tbody tr').count(), 1);
    // The off-site copy: the last one that went well names its backup; none failed.
    const offSite = suite.page.getByRole('region', { name: 'Off-site copy' });
    /** The "Last copy" line naming `name`. */
    const lastCopy = (name: string) => offSite.getByText(new RegExp(`^${name}, done .+, in \\d`));
    await lastCopy(first.name).waitFor();
    await offSite.getByText('1 went well, 0 failed').waitFor();
    await offSite.getByText('1 h per copy').waitFor();
    assert.equal(await offSite.getByRole('alert').count(), 0);
    await suite.page.getByRole('button', { name: 'Back up now' }).click();
    await suite.page.getByText(/Backup backup-\S+ written/).waitFor();
    await table.locator('tbody tr').nth(1).waitFor();
    const kept = await backups.list();
    assert.equal(kept.length, 2);
    // Newest first, each with its files' checksums.
    const newest = kept[0];
    assert.ok(newest);
    await table.locator('tbody tr').first().getByText(newest.name).waitFor();
    await table.getByTitle(newest.files[0]?.sha256 ?? '').waitFor();
    // Its copy follows it: the page looks again while it is under way, and names it once it is done.
    await lastCopy(newest.name).waitFor();
    await offSite.getByText('2 went well, 0 failed').waitFor();
    await offSite.getByText('no copy under way').waitFor();
    assert.ok(existsSync(join(offSiteDir, newest.name, 'backup.json')));
    await visited('backups');
  });

  test('a session that has ended sends the person to sign in, then back to the page they asked for', async () => {
    suite.watch.step = 'session-ended';
    await suite.context.clearCookies();
    // The next call the page makes finds no session (401).
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await suite.page.getByText('Your session has ended. Sign in again.').waitFor();
    await suite.page.getByLabel('Password').fill(SERVER_ADMIN_PASSWORD);
    await suite.page.getByRole('button', { name: 'Sign in' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
    assert.equal(new URL(suite.page.url()).pathname, '/audit');
    await suite.page.getByRole('table').getByText('created an operator API token').first().waitFor();
  });

  test('a change without the CSRF token is refused (403)', async () => {
    const cookie = await cookieOf(suite.context);
    const refused = await http('/api/admin/accounts', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ accountId: 'csrf_probe' }),
    });
    assert.equal(refused.status, 403);
    const regenerate = await http(`/api/admin/accounts/${accountId}/api-key/regenerate`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'forged' },
      body: '{}',
    });
    assert.equal(regenerate.status, 403);
  });

  test('account lifecycle: suspended from its page every credential is refused; resumed they work; deleted with its typed id it is gone', async () => {
    suite.watch.step = 'account-lifecycle';
    const other = `${accountId}_x`;
    const mainNav = suite.page.getByRole('navigation', { name: 'Main' });
    const v1Other = (key: string) => http(`/v1/account/${other}`, { headers: { 'maven-api-key': key } });
    const v2Other = (token: string) =>
      http('/v2/context/document/create', {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ accountId: other, nameSpace: 'bot', sessionId: 's-1', payload: { step: 1 } }),
      });
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    await suite.page.getByLabel('Account ID').fill(other);
    await suite.page.getByRole('button', { name: 'Create account' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
    const section = suite.page.getByRole('region', { name: 'Account', exact: true });
    await section.getByText('Active.').waitFor();

    // The page's secrets: the v1 key, a token from the v2 credentials, the token for testing.
    const key = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    const userId = (await suite.page.locator('#credentials-user-id').textContent()) ?? '';
    await suite.page.getByRole('button', { name: 'Copy password' }).click();
    const password = await readClipboard(suite.page);
    const login = await loginV2(userId, password);
    assert.equal(login.status, 200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    await suite.page.getByRole('button', { name: 'Get a new token' }).click();
    await suite.page.locator('#test-token-value').waitFor();
    const testToken = (await suite.page.locator('#test-token-value').textContent()) ?? '';
    const statuses = async () =>
      (await Promise.all([v1Other(key), v2Other(token), v2Other(testToken)])).map((r) => r.status);
    assert.deepEqual(await statuses(), [200, 201, 201]);

    // Suspend, behind a confirmation that says what stops and how to undo it.
    await section.getByRole('button', { name: 'Suspend account' }).click();
    const suspend = suite.page.getByRole('dialog', { name: 'Suspend this account?' });
    await suspend.getByText('stop working at once, on every server node').waitFor();
    await suspend.getByText('Nothing is regenerated').waitFor();
    await visited('account-suspend-dialog');
    await suspend.getByRole('button', { name: 'Suspend account' }).click();
    const banner = suite.page
      .getByRole('status')
      .filter({ hasText: 'every credential of this account is refused' });
    await banner.waitFor();
    assert.match(
      (await banner.textContent()) ?? '',
      /^Suspended since .+ — every credential of this account is refused; its data is kept\.$/,
    );
    await section.getByRole('button', { name: 'Resume account' }).waitFor();
    await suite.page.getByText('no new token can be issued until it is resumed').waitFor();
    assert.equal(await suite.page.getByRole('button', { name: 'Get a new token' }).count(), 0);
    assert.deepEqual(await statuses(), [401, 401, 401]);
    assert.notEqual((await loginV2(userId, password)).status, 200);
    await visited('account-suspended');

    // The list says it; so do the account's other pages, to a viewer too, who is offered no control.
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    const row = (id: string) =>
      suite.page
        .getByRole('row')
        .filter({ has: suite.page.getByRole('rowheader', { name: id, exact: true }) });
    await row(other).getByText('Suspended', { exact: true }).waitFor();
    await row(accountId).getByText('Active', { exact: true }).waitFor();
    await visited('accounts-suspended');
    const viewerPassword = 'a password for the account lifecycle test';
    await suite.server.server.runtime.services.operators.createOperator('auditor', viewerPassword, 'viewer');
    const viewerContext = await newContext(suite.browser, suite.server.url);
    try {
      const viewer = await viewerContext.newPage();
      const viewerWatch = new ConsoleWatch(viewer);
      await viewer.goto('/');
      await submitSignIn(viewer, 'auditor', viewerPassword);
      await viewer.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await viewer
        .getByRole('row')
        .filter({ has: viewer.getByRole('rowheader', { name: other, exact: true }) })
        .getByText('Suspended', { exact: true })
        .waitFor();
      for (const path of ['policies', 'api-authorization']) {
        await viewer.goto(`/accounts/${other}/${path}`);
        await viewer
          .getByRole('status')
          .filter({ hasText: 'every credential of this account is refused' })
          .waitFor();
        for (const name of ['Suspend account', 'Resume account', 'Delete account'])
          assert.equal(await viewer.getByRole('button', { name }).count(), 0, `${path}: ${name}`);
        assert.equal(await viewer.getByRole('link', { name: 'API Authorization' }).count(), 0);
      }
      accessibility['viewer-account-suspended'] = await accessibilityViolations(viewer);
      // The only console error: the session check before signing in (401).
      assert.deepEqual(viewerWatch.unexpected({ start: [refusedStatus('401')] }), []);
      assert.equal(viewerWatch.errors.length, 1, 'the session check before signing in');
    } finally {
      await viewerContext.close();
    }

    // Resume: the same secrets work again.
    await row(other).getByRole('rowheader').getByRole('link').click();
    await section.getByRole('button', { name: 'Resume account' }).click();
    await section.getByText(`Account ${other} is active again`).waitFor();
    await banner.waitFor({ state: 'detached' });
    await suite.page.getByRole('button', { name: 'Get a new token' }).waitFor();
    assert.deepEqual(await statuses(), [200, 201, 201]);
    // The page, loaded after the first calls of this step, warns in the confirmations that the credentials and the
    // key were used just before, and what a client still using them meets; with a grace period, how long it has.
    const ago = '(less than a minute|\\d+ minutes?) ago';
    await suite.page.getByRole('button', { name: 'Regenerate credentials' }).click();
    const regenerateCredentials = suite.page.getByRole('dialog', { name: 'Regenerate the credentials?' });
    await regenerateCredentials
      .getByText(
        new RegExp(
          `^These credentials were used ${ago}: the client using them must get the new ones, or its token requests will be refused\\.$`,
        ),
      )
      .waitFor();
    await checked('credentials-regenerate-dialog');
    await regenerateCredentials.getByRole('button', { name: 'Cancel' }).click();
    await regenerateCredentials.waitFor({ state: 'hidden' });
    await suite.page.getByRole('button', { name: 'Regenerate Key' }).click();
    const regenerateKey = suite.page.getByRole('dialog', { name: 'Regenerate the API key?' });
    const keyUse = (cutOff: string) =>
      regenerateKey.getByText(
        new RegExp(`^This key was used ${ago}: a program still using it ${cutOff}\\.$`),
      );
    await keyUse('will be refused as soon as you confirm').waitFor();
    await regenerateKey.getByLabel('Grace period in seconds (optional)').fill('600');
    await keyUse('must be given the new key within 600 seconds, or it will be refused').waitFor();
    await regenerateKey.getByRole('button', { name: 'Cancel' }).click();
    await regenerateKey.waitFor({ state: 'hidden' });

    // Suspended until a day ahead, typed in the browser's time zone (UTC here): the page, the banner and the list say
    // when it resumes by itself, and so does the server; the end is moved, then removed; resumed by hand.
    suite.watch.step = 'suspension-end';
    const accounts = suite.server.server.runtime.services.accounts;
    const toMinute = (ms: number) => Math.floor(ms / 60_000) * 60_000;
    const typedAs = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    const iso = (ms: number) => new Date(ms).toISOString();
    const endShown = (ms: number) =>
      section
        .getByText(/^Suspended since .+; resumes by itself at .+ \(in \d+ (hours|days)\)\. Resuming it/)
        .locator(`time[datetime="${iso(ms)}"]`)
        .waitFor();
    const inADay = toMinute(Date.now() + 86_400_000);
    await section.getByRole('button', { name: 'Suspend account' }).click();
    const suspendConfirm = suspend.getByRole('button', { name: 'Suspend account' });
    assert.equal(await suspend.getByRole('radio', { name: 'Until resumed by hand' }).isChecked(), true);
    await suspend.getByRole('radio', { name: 'Until a date and time' }).check();
    const endField = suspend.getByLabel('Resumes by itself at');
    await suspend
      .getByText(/^In your browser's time zone \((Etc\/)?UTC\), at most 366 days ahead\./)
      .waitFor();
    assert.equal(await suspendConfirm.isDisabled(), true, 'no time typed yet');
    // A time past: the server's refusal stays in the dialog (the one refusal of this step, 400).
    await endField.fill(typedAs(toMinute(Date.now() - 3_600_000)));
    await suspendConfirm.click();
    await suspend
      .getByRole('alert')
      .getByText('until must be in the future and at most 366 days ahead')
      .waitFor();
    await endField.fill(typedAs(inADay));
    await visited('account-suspend-until-dialog');
    await suspendConfirm.click();
    await suspend.waitFor({ state: 'hidden' });
    await section.getByText(`Account ${other} is suspended: its credentials`).waitFor();
    await endShown(inADay);
    await banner.locator(`time[datetime="${iso(inADay)}"]`).waitFor();
    assert.equal((await accounts.require(other)).suspendedUntil, inADay);
    await visited('account-suspended-until');
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    await row(other)
      .locator(`time[datetime="${iso(inADay)}"]`)
      .waitFor();
    assert.match(
      (await row(other).getByRole('cell').nth(1).textContent()) ?? '',
      /^Suspended since .+, until .+$/,
    );
    await row(other).getByRole('rowheader').getByRole('link').click();

    // The end moved a day further, then removed: the dialog starts from the end there is.
    const inTwoDays = toMinute(Date.now() + 2 * 86_400_000);
    const changeEnd = suite.page.getByRole('dialog', { name: 'Change the end of the suspension' });
    await section.getByRole('button', { name: 'Change the end' }).click();
    assert.equal(await changeEnd.getByRole('radio', { name: 'Until a date and time' }).isChecked(), true);
    assert.equal(await changeEnd.getByLabel('Resumes by itself at').inputValue(), typedAs(inADay));
    await changeEnd.getByLabel('Resumes by itself at').fill(typedAs(inTwoDays));
    await visited('account-suspension-end-dialog');
    await changeEnd.getByRole('button', { name: 'Change the end' }).click();
    await changeEnd.waitFor({ state: 'hidden' });
    await section.getByText(`Account ${other} now resumes by itself at`).waitFor();
    await endShown(inTwoDays);
    const record = await accounts.require(other);
    assert.deepEqual([record.status, record.suspendedUntil], ['suspended', inTwoDays]);
    await section.getByRole('button', { name: 'Change the end' }).click();
    await changeEnd.getByRole('radio', { name: 'Until resumed by hand' }).check();
    assert.equal(await changeEnd.getByLabel('Resumes by itself at').count(), 0);
    await changeEnd.getByRole('button', { name: 'Change the end' }).click();
    await changeEnd.waitFor({ state: 'hidden' });
    await section.getByText(`Account ${other} now stays suspended until it is resumed by hand.`).waitFor();
    await section.getByText(/^Suspended since [^;]+\. Resuming it/).waitFor();
    assert.equal(await banner.locator('time').count(), 1, 'since, and no end');
    assert.equal((await accounts.require(other)).suspendedUntil, null);
    await section.getByRole('button', { name: 'Resume account' }).click();
    await section.getByText(`Account ${other} is active again`).waitFor();
    assert.equal((await accounts.require(other)).status, 'active');
    // An end come: the server resumes the account by itself, which the audit log says (below).
    await accounts.suspend(other, Date.now() + 60_000);
    assert.deepEqual(await accounts.resumeDue(Date.now() + 60_000), [other]);
    suite.watch.step = 'account-lifecycle';

    // Suspend again, then delete: the dialog takes the typed id before it deletes anything.
    await section.getByRole('button', { name: 'Suspend account' }).click();
    await suspend.getByRole('button', { name: 'Suspend account' }).click();
    await section.getByRole('button', { name: 'Delete account' }).click();
    const remove = suite.page.getByRole('dialog', { name: 'Delete this account?' });
    await remove.getByText('cannot be recovered').waitFor();
    await remove.getByText('audit events are kept').waitFor();
    const confirm = remove.getByRole('button', { name: 'Delete account' });
    const typed = remove.getByLabel('Type the account ID to confirm');
    assert.equal(await confirm.isDisabled(), true);
    await typed.fill('not-this-one');
    await remove.getByText('This is not the account ID.').waitFor();
    assert.equal(await confirm.isDisabled(), true);
    await visited('account-delete-dialog');
    await typed.fill(other);
    await confirm.click();
    await suite.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    await suite.page.getByText(`Account ${other} was deleted`).waitFor();
    await suite.page.getByRole('rowheader', { name: accountId, exact: true }).waitFor();
    assert.equal(await suite.page.getByRole('rowheader', { name: other, exact: true }).count(), 0);
    const cookie = await cookieOf(suite.context);
    assert.equal((await http(`/api/admin/accounts/${other}`, { headers: { cookie } })).status, 404);
    assert.equal((await v1Other(key)).status, 401);

    // Its id is held for a while: the form says from when (the one refusal of this step, 409).
    await suite.page.getByLabel('Account ID').fill(other);
    await suite.page.getByRole('button', { name: 'Create account' }).click();
    await suite.page
      .getByText(`Account ${other} was deleted recently; its id can be used again from`)
      .waitFor();
    await mainNav.getByRole('link', { name: 'Audit log' }).click();
    const log = suite.page.getByRole('table');
    for (const action of [
      'deleted the account',
      'resumed the account',
      'suspended the account',
      'suspended the account until resumed by hand',
      'resumed the account at the end of its suspension',
    ])
      await log.getByText(action).first().waitFor();
    await log
      .getByText(/^suspended the account until \d+ \w+ \d{4}, \d\d:\d\d \(account\.suspended\)$/)
      .first()
      .waitFor();
  });

  test('an operator limited to one account sees it alone, manages the operators of it, and no page for every account; given every account, all', async () => {
    suite.watch.step = 'limited-operator';
    const mine = accountId.replace(/^le/, 'ta');
    const notMine = accountId.replace(/^le/, 'tb');
    const username = 'tenant-ops';
    const password = 'a password for the limited operator test';
    const mainNav = suite.page.getByRole('navigation', { name: 'Main' });
    for (const id of [mine, notMine]) {
      await mainNav.getByRole('link', { name: 'Accounts' }).click();
      await suite.page.getByLabel('Account ID').fill(id);
      await suite.page.getByRole('button', { name: 'Create account' }).click();
      await suite.page.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
    }

    // Added on the operators page as an admin of one account, ticked among those there are.
    await mainNav.getByRole('link', { name: 'Operators' }).click();
    const add = suite.page.getByRole('region', { name: 'Add an operator' });
    await add.getByLabel('Username').fill(username);
    await add.getByLabel('Password (optional)').fill(password);
    await add.getByLabel('Role').selectOption('admin');
    assert.equal(await add.getByRole('radio', { name: 'Every account' }).isChecked(), true);
    await add.getByRole('radio', { name: 'Only these accounts' }).check();
    const picks = add.getByRole('group', { name: 'Which accounts' });
    await picks.getByRole('checkbox', { name: mine, exact: true }).check();
    assert.deepEqual(
      (await picks.locator('label').allTextContents()).sort(),
      [accountId, mine, notMine].sort(),
    );
    await visited('operators-add-limited');
    await add.getByRole('button', { name: 'Add operator' }).click();
    await suite.page
      .getByText(
        `Operator ${username} was added as an admin of account ${mine}, with the password you chose.`,
      )
      .waitFor();
    const row = suite.page
      .getByRole('table', { name: 'Operators, by username' })
      .getByRole('row', { name: new RegExp(`^${username}\\b`) });
    await row.getByRole('cell', { name: mine, exact: true }).waitFor();
    const adminCookie = await cookieOf(suite.context);
    const listed = (await (
      await http('/api/admin/operators', { headers: { cookie: adminCookie } })
    ).json()) as {
      username: string;
      accounts: string[] | null;
    }[];
    assert.deepEqual(listed.find((o) => o.username === username)?.accounts, [mine]);
    // An operator of their account and another: not theirs to see.
    await suite.server.server.runtime.services.operators.createOperator('tenant-both', null, 'viewer', [
      mine,
      notMine,
    ]);

    const theirContext = await newContext(suite.browser, suite.server.url);
    try {
      const their = await theirContext.newPage();
      const theirWatch = new ConsoleWatch(their);
      const theirNav = their.getByRole('navigation', { name: 'Main' });
      await their.goto('/');
      await submitSignIn(their, username, password);
      await their.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await their.getByRole('banner').getByText(`Signed in as ${username} (admin of 1 account)`).waitFor();

      // Their account alone, no form to create one, and no page for every account in the top bar.
      await their.getByText('You act on 1 account only, as an admin').waitFor();
      await their.getByRole('rowheader', { name: mine, exact: true }).waitFor();
      assert.deepEqual(await their.getByRole('rowheader').allTextContents(), [mine]);
      assert.equal(await their.getByRole('region', { name: 'Create an account' }).count(), 0);
      assert.deepEqual(await theirNav.getByRole('link').allTextContents(), [
        'Accounts',
        'API tokens',
        'Operators',
      ]);
      assert.deepEqual(
        await their
          .getByRole('list', { name: `Pages of account ${mine}` })
          .getByRole('link')
          .allTextContents(),
        ['API Authorization', 'Policies', 'Context', 'Policy logs', 'Audit log'],
      );
      await visited('limited-accounts', their);

      // Its secrets, as the admin they are there; its suspension and deletion are for an operator of every account.
      await their.getByRole('rowheader', { name: mine, exact: true }).getByRole('link').click();
      await their.getByRole('heading', { level: 1, name: 'API Authorization' }).waitFor();
      await their.locator('#api-key-value').waitFor();
      const section = their.getByRole('region', { name: 'Account', exact: true });
      await section
        .getByText('Active. An operator of every account suspends, resumes and deletes accounts.')
        .waitFor();
      for (const name of ['Suspend account', 'Resume account', 'Delete account'])
        assert.equal(await their.getByRole('button', { name }).count(), 0, name);
      // Its request rate, to read: no field, no button.
      const rate = their.getByRole('region', { name: 'Request rate' });
      await rate.getByText('No limit — the server sets none.').waitFor();
      await rate.getByText('An operator of every account changes it.').waitFor();
      assert.equal(await rate.locator('input, button').count(), 0);
      // Its networks, as an admin of it: set, shown, then any address again.
      const networks = their.getByRole('region', { name: 'Allowed networks' });
      await networks.getByText('Now: Any address.').waitFor();
      assert.equal(await networks.getByText('An operator of every account changes it.').count(), 0);
      const theirCookie = { cookie: await cookieOf(theirContext) };
      const networksOfMine = async () =>
        (
          (await (await http(`/api/admin/accounts/${mine}`, { headers: theirCookie })).json()) as {
            allowedNetworks: string[] | null;
          }
        ).allowedNetworks;
      await networks.getByRole('textbox', { name: 'Addresses and networks' }).fill('203.0.113.0/24');
      await networks.getByRole('button', { name: 'Save networks' }).click();
      await networks
        .getByRole('list', { name: 'Now: Only these addresses and networks:' })
        .getByText('203.0.113.0/24', { exact: true })
        .waitFor();
      assert.deepEqual(await networksOfMine(), ['203.0.113.0/24']);
      await visited('limited-api-authorization', their);
      await networks.getByRole('button', { name: 'Accept any address' }).click();
      await networks.getByText('Now: Any address.').waitFor();
      assert.equal(await networksOfMine(), null);

      // Their account's audit log: its events, their own look at its secrets among them.
      await their
        .getByRole('navigation', { name: `Account ${mine}` })
        .getByRole('link', { name: 'Audit log' })
        .click();
      await their.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
      await their.getByRole('cell', { name: username, exact: true }).first().waitFor();
      await visited('limited-audit', their);

      // The other account's address: not found, as the server answers (404).
      await their.goto(`/accounts/${notMine}/policies`);
      await their.getByRole('heading', { level: 1, name: 'Account not found' }).waitFor();
      await their.getByText(`There is no account ${notMine} among the accounts you act on.`).waitFor();
      accessibility['limited-account-not-found'] = await accessibilityViolations(their);

      // The pages for every account, typed: why, and no refusal.
      for (const [path, heading] of [
        ['/backups', 'Backups'],
        ['/audit', 'Audit log'],
      ] as const) {
        await their.goto(path);
        await their.getByRole('heading', { level: 1, name: heading }).waitFor();
        await their.getByRole('status').getByText('This page is for operators of every account').waitFor();
      }
      accessibility['limited-closed-page'] = await accessibilityViolations(their);

      // Operators: themselves (not the operators of every account or of another account), and their own sign-in.
      await theirNav.getByRole('link', { name: 'Operators' }).click();
      await their.getByRole('heading', { level: 2, name: 'Operators of your accounts' }).waitFor();
      const theirTable = their.getByRole('table', { name: 'Operators, by username' });
      await theirTable
        .getByRole('row', { name: new RegExp(`^${username}\\b`) })
        .getByText('you')
        .waitFor();
      assert.deepEqual(await theirTable.getByRole('rowheader').allTextContents(), [username]);
      await their.getByRole('region', { name: 'Change your password' }).waitFor();
      await their
        .getByRole('region', { name: 'Sign-in codes' })
        .getByRole('button', { name: 'Set up' })
        .waitFor();
      await their.getByRole('region', { name: 'Your sessions' }).getByText('This browser').waitFor();

      // They add one: their account alone to tick, no "Every account", and at least one, said before asking.
      const staff = 'tenant-staff';
      const staffPassword = 'a password for the tenant staff';
      const theirAdd = their.getByRole('region', { name: 'Add an operator' });
      const theirPicks = theirAdd.getByRole('group', { name: 'Accounts', exact: true });
      await theirPicks.getByRole('checkbox', { name: mine, exact: true }).waitFor();
      assert.deepEqual(await theirPicks.locator('label').allTextContents(), [mine]);
      assert.equal(await theirAdd.getByRole('radio').count(), 0);
      await theirAdd.getByLabel('Username').fill(staff);
      await theirAdd.getByLabel('Password (optional)').fill(staffPassword);
      await theirAdd.getByRole('button', { name: 'Add operator' }).click();
      await theirPicks.getByText('Tick at least one of your accounts.').waitFor();
      await visited('limited-operators', their);
      await theirPicks.getByRole('checkbox', { name: mine, exact: true }).check();
      await theirAdd.getByRole('button', { name: 'Add operator' }).click();
      await their
        .getByText(`Operator ${staff} was added as a viewer of account ${mine}, with the password you chose.`)
        .waitFor();
      const staffRow = theirTable.getByRole('row', { name: new RegExp(`^${staff}\\b`) });
      await staffRow.getByRole('cell', { name: mine, exact: true }).waitFor();

      // The new one signs in, limited to that account: a viewer, who sees the same operators and changes none.
      const staffContext = await newContext(suite.browser, suite.server.url);
      try {
        const staffPage = await staffContext.newPage();
        const staffWatch = new ConsoleWatch(staffPage);
        await staffPage.goto('/operators');
        await submitSignIn(staffPage, staff, staffPassword);
        await staffPage
          .getByRole('banner')
          .getByText(`Signed in as ${staff} (viewer of 1 account)`)
          .waitFor();
        const staffTable = staffPage.getByRole('table', { name: 'Operators, by username' });
        await staffTable
          .getByRole('row', { name: new RegExp(`^${staff}\\b`) })
          .getByText('you')
          .waitFor();
        const staffSees = await staffTable.getByRole('rowheader').allTextContents();
        assert.deepEqual(staffSees.sort(), [staff, username].sort());
        assert.deepEqual(
          (await staffTable.getByRole('button').allTextContents()).sort(),
          [`Activity of ${staff}`, `Activity of ${username}`].sort(),
        );
        assert.equal(await staffPage.getByRole('region', { name: 'Add an operator' }).count(), 0);
        await visited('limited-viewer-operators', staffPage);
        // Their own activity, a viewer's too: their sign-in, and their addition by the tenant's admin.
        await staffTable.getByRole('button', { name: `Activity of ${staff}` }).click();
        const own = staffPage
          .getByRole('dialog', { name: `Activity of ${staff}` })
          .getByRole('table', { name: `Activity of ${staff}, newest first` });
        await eventRow(own, staff, 'signed in').waitFor();
        await eventRow(own, username, 'added an operator').waitFor();
        await staffPage.keyboard.press('Escape');
        await own.waitFor({ state: 'hidden' });
        assert.deepEqual(staffWatch.unexpected({ start: [refusedStatus('401')] }), []);
      } finally {
        await staffContext.close();
      }
      const staffLogin = await http('/api/admin/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: staff, password: staffPassword }),
      });
      assert.equal(staffLogin.status, 200);
      const staffCookie = { cookie: (staffLogin.headers.get('set-cookie') ?? '').split(';')[0] ?? '' };
      const staffSession = async () =>
        (await (await http('/api/admin/session', { headers: staffCookie })).json()) as {
          role: string;
          accounts: string[] | null;
        };
      const added = await staffSession();
      assert.equal(added.role, 'viewer');
      assert.deepEqual(added.accounts, [mine]);

      // Made an admin from its row, at once; its accounts offered among theirs only, at least one.
      await staffRow.getByRole('button', { name: `Make admin ${staff}` }).click();
      await their
        .getByText(`Operator ${staff} is now an admin of account ${mine}, at once on every server node.`)
        .waitFor();
      await staffRow.getByRole('cell', { name: 'Admin', exact: true }).waitFor();
      assert.equal((await staffSession()).role, 'admin');

      // Given the other account as well by an operator of every account, the staff opens its secrets; given their
      // tenant's account alone again, they open its secrets too.
      const giveStaff = async (accounts: string[]) => {
        const cookie = await cookieOf(suite.context);
        const { csrfToken } = (await (await http('/api/admin/session', { headers: { cookie } })).json()) as {
          csrfToken: string;
        };
        const answer = await http(`/api/admin/operators/${staff}`, {
          method: 'PATCH',
          headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrfToken },
          body: JSON.stringify({ accounts }),
        });
        assert.equal(answer.status, 200);
      };
      const staffOpens = async (id: string) =>
        assert.equal(
          (await http(`/api/admin/accounts/${id}/api-authorization`, { headers: staffCookie })).status,
          200,
        );
      await giveStaff([mine, notMine]);
      await staffOpens(notMine);
      await giveStaff([mine]);
      await staffOpens(mine);

      // Their Activity, for the tenant's admin: what they did (signed in, opened the account's secrets) and what
      // was done to them (added, made an admin), the title focused; nothing of the other account, not even by name.
      await staffRow.getByRole('button', { name: `Activity of ${staff}` }).click();
      const activity = their.getByRole('dialog', { name: `Activity of ${staff}` });
      const staffEvents = activity.getByRole('table', { name: `Activity of ${staff}, newest first` });
      await eventRow(staffEvents, staff, 'signed in').first().waitFor();
      await eventRow(staffEvents, staff, 'viewed the API Authorization page').waitFor();
      await eventRow(staffEvents, username, 'added an operator').waitFor();
      await eventRow(staffEvents, username, "changed an operator's role").waitFor();
      await eventRow(staffEvents, 'admin', "changed an operator's accounts").first().waitFor();
      assert.equal(await their.evaluate('document.activeElement.textContent'), `Activity of ${staff}`);
      assert.deepEqual(
        [...new Set(await staffEvents.locator('tbody td:nth-child(4)').allTextContents())].sort(),
        ['—', mine].sort(),
      );
      assert.doesNotMatch((await staffEvents.textContent()) ?? '', new RegExp(notMine));
      await staffEvents.getByText('accounts: accounts of others too').first().waitFor();
      await visited('limited-operator-activity', their);
      await activity.getByRole('button', { name: 'Close' }).click();
      // The dialog's title empties at once (so `activity` matches nothing); the native dialog closes, and gives the
      // focus back to the button that opened it, a frame later: wait for that.
      await their.locator('dialog[open]').waitFor({ state: 'detached' });
      assert.equal(await their.evaluate('document.activeElement.textContent'), `Activity of ${staff}`);

      await staffRow.getByRole('button', { name: `Change accounts of ${staff}` }).click();
      const theirDialog = their.getByRole('dialog', { name: "Change this operator's accounts" });
      const dialogPick = theirDialog.getByRole('checkbox', { name: mine, exact: true });
      await dialogPick.waitFor();
      assert.equal(await dialogPick.isChecked(), true);
      assert.equal(await theirDialog.getByRole('checkbox').count(), 1);
      assert.equal(await theirDialog.getByRole('radio').count(), 0);
      await dialogPick.uncheck();
      await theirDialog.getByRole('button', { name: 'Save accounts' }).click();
      await theirDialog.getByRole('alert').getByText('Tick at least one of your accounts.').waitFor();
      await visited('limited-change-accounts-dialog', their);
      await theirDialog.getByRole('button', { name: 'Cancel' }).click();
      await theirDialog.waitFor({ state: 'hidden' });

      // Removed from its row, with a confirmation: its session ends at once.
      await staffRow.getByRole('button', { name: `Remove ${staff}` }).click();
      const removal = their.getByRole('dialog', { name: 'Remove this operator?' });
      await removal.getByRole('button', { name: 'Remove', exact: true }).click();
      await their.getByText(`Operator ${staff} was removed`).waitFor();
      await staffRow.waitFor({ state: 'detached' });
      assert.equal((await http('/api/admin/session', { headers: staffCookie })).status, 401);

      // The server agrees: their account alone, the other one unknown, of the operators themselves alone.
      const theirs = { cookie: await cookieOf(theirContext) };
      const session = (await (await http('/api/admin/session', { headers: theirs })).json()) as {
        accounts: string[] | null;
      };
      assert.deepEqual(session.accounts, [mine]);
      const accounts = (await (await http('/api/admin/accounts', { headers: theirs })).json()) as {
        accountId: string;
      }[];
      assert.deepEqual(
        accounts.map((a) => a.accountId),
        [mine],
      );
      assert.equal((await http(`/api/admin/accounts/${notMine}`, { headers: theirs })).status, 404);
      const operators = (await (await http('/api/admin/operators', { headers: theirs })).json()) as {
        username: string;
      }[];
      assert.deepEqual(
        operators.map((o) => o.username),
        [username],
      );

      // The only console errors: the session check before signing in (401), the other account (404).
      assert.deepEqual(theirWatch.unexpected({ start: [refusedStatus('(401|404)')] }), []);

      // Back as admin: their Activity, what they did in their account and with their people, and their addition.
      await row.getByRole('button', { name: `Activity of ${username}` }).click();
      const opsActivity = suite.page.getByRole('dialog', { name: `Activity of ${username}` });
      const opsEvents = opsActivity.getByRole('table', { name: `Activity of ${username}, newest first` });
      await eventRow(opsEvents, username, 'signed in').waitFor();
      await eventRow(opsEvents, 'admin', 'added an operator').waitFor();
      await eventRow(opsEvents, username, 'removed an operator').waitFor();
      await opsEvents.getByRole('cell', { name: mine, exact: true }).first().waitFor();
      await visited('operators-activity');
      await suite.page.keyboard.press('Escape');
      await opsActivity.waitFor({ state: 'hidden' });

      // The row's control opens their accounts as they are; every account, saved, holds at once.
      await row.getByRole('button', { name: `Change accounts of ${username}` }).click();
      const dialog = suite.page.getByRole('dialog', { name: "Change this operator's accounts" });
      await dialog.getByText(`${username} acts on account ${mine} only.`).waitFor();
      assert.equal(await dialog.getByRole('radio', { name: 'Only these accounts' }).isChecked(), true);
      const ticked = dialog
        .getByRole('group', { name: 'Which accounts' })
        .getByRole('checkbox', { name: mine, exact: true });
      assert.equal(await ticked.isChecked(), true);
      await visited('operators-change-accounts-dialog');
      await dialog.getByRole('radio', { name: 'Every account' }).check();
      await dialog.getByRole('button', { name: 'Save accounts' }).click();
      await suite.page.getByText(`Operator ${username} now acts on every account.`).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      await row.getByRole('cell', { name: 'Every account', exact: true }).waitFor();
      const changed = (await (await http('/api/admin/session', { headers: theirs })).json()) as {
        accounts: string[] | null;
      };
      assert.equal(changed.accounts, null);

      // Reloaded, their app shows both accounts and the pages for every account.
      await their.goto('/accounts');
      await their.getByRole('rowheader', { name: notMine, exact: true }).waitFor();
      await their.getByRole('rowheader', { name: mine, exact: true }).waitFor();
      await their.getByRole('banner').getByText(`Signed in as ${username} (admin)`).waitFor();
      assert.deepEqual(await theirNav.getByRole('link').allTextContents(), [
        'Accounts',
        'Audit log',
        'API tokens',
        'Operators',
        'Backups',
      ]);
      await their.getByRole('region', { name: 'Create an account' }).waitFor();
      assert.deepEqual(theirWatch.unexpected({ start: [refusedStatus('(401|404)')] }), []);
    } finally {
      await theirContext.close();
    }
  });

  test("an account's own request rate: set on its page, a v1 call over it gets 429; the server's rate back, none", async () => {
    suite.watch.step = 'request-rate';
    const section = await apiAuthorizationSection('Request rate');
    const now = section.locator('#request-rate-now');
    await now.filter({ hasText: 'No limit — the server sets none.' }).waitFor();
    const useServers = section.getByRole('button', { name: "Use the server's rate" });
    assert.equal(await useServers.count(), 0);

    // The server's refusal (400) shows at its field; then 2 a second, bursts of 2.
    await section.getByLabel('Requests a second').fill('2');
    await section.getByLabel('Burst (optional)').fill('0');
    await section.getByRole('button', { name: 'Save rate' }).click();
    await section.locator('.field-error').filter({ hasText: 'must be >= 1' }).waitFor();
    await section.getByLabel('Burst (optional)').fill('2');
    await section.getByRole('button', { name: 'Save rate' }).click();
    await section.getByText("Saved: the account's own rate holds from its next request").waitFor();
    await now
      .filter({ hasText: "2 requests a second, bursts of 2, on each node — this account's own rate." })
      .waitFor();
    await visited('request-rate');

    // Three v1 calls at once: two pass, the third is held back with Retry-After.
    const key = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    const held = await Promise.all([v1(key), v1(key), v1(key)]);
    assert.deepEqual(held.map((r) => r.status).sort(), [200, 200, 429]);
    assert.match(held.find((r) => r.status === 429)?.headers.get('retry-after') ?? '', /^[1-9]\d*$/);

    // The Accounts list says the account's own rate in its Limits cell.
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    await accountLimits(suite.page, '2/s (own)').waitFor();
    await apiAuthorizationSection('Request rate');

    // The server's rate again (none on this test server): the focus goes back to the section, calls pass.
    await useServers.click();
    await section.getByText("The server's rate holds again for this account").waitFor();
    await now.filter({ hasText: 'No limit — the server sets none.' }).waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'request-rate');
    assert.equal(await section.getByLabel('Requests a second').inputValue(), '');
    const free = await Promise.all([v1(key), v1(key), v1(key), v1(key)]);
    assert.deepEqual(
      free.map((r) => r.status),
      [200, 200, 200, 200],
    );
  });

  test("an account's allowed networks: outside them its v1 key gets 403, a bad entry is refused at the field, then any address", async () => {
    suite.watch.step = 'allowed-networks';
    const section = await apiAuthorizationSection('Allowed networks');
    const now = section.locator('#allowed-networks-now');
    const listed = section.getByRole('list', { name: 'Now: Only these addresses and networks:' });
    const field = section.getByRole('textbox', { name: 'Addresses and networks' });
    const save = section.getByRole('button', { name: 'Save networks' });
    const acceptAny = section.getByRole('button', { name: 'Accept any address' });
    await now.filter({ hasText: 'Now: Any address.' }).waitFor();
    assert.equal(await acceptAny.count(), 0);

    // 10.0.0.0/8 only: this test calls from 127.0.0.1, and the account's v1 key is refused there.
    await field.fill('10.0.0.0/8');
    await save.click();
    await section
      .getByText("Saved: the account's credentials are accepted from these networks only")
      .waitFor();
    assert.deepEqual(await listed.getByRole('listitem').allTextContents(), ['10.0.0.0/8']);
    const key = (await suite.page.locator('#api-key-value').textContent()) ?? '';
    const refused = await v1(key);
    assert.equal(refused.status, 403);
    assert.equal(
      ((await refused.json()) as { detail: string }).detail,
      `account ${accountId} does not accept requests from 127.0.0.1`,
    );

    // A network that is none: the server's words at the field; the list in force is unchanged.
    await field.fill('10.0.0.0/8\n10.0.0.0/33');
    await save.click();
    await section
      .locator('.field-error')
      .filter({ hasText: 'networks: "10.0.0.0/33" is not an IPv4 or IPv6 address or network' })
      .waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.deepEqual(await listed.getByRole('listitem').allTextContents(), ['10.0.0.0/8']);
    await visited('allowed-networks');

    // Loopback added: the key works again.
    await field.fill('10.0.0.0/8\n 127.0.0.0/8 \n');
    await save.click();
    await listed.getByText('127.0.0.0/8', { exact: true }).waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), null);
    assert.equal((await v1(key)).status, 200);

    // The Accounts list counts the networks in its Limits cell, the list for screen readers.
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    // (Chromium's accessible name spaces the visually hidden parts: "No limit , 2 networks : …".)
    await accountLimits(
      suite.page,
      /^No limit\s*,\s*2 networks\s*:\s*10\.0\.0\.0\/8, 127\.0\.0\.0\/8$/,
    ).waitFor();
    await accountLimits(suite.page, /networks/)
      .getByTitle('10.0.0.0/8, 127.0.0.0/8')
      .waitFor();
    await apiAuthorizationSection('Allowed networks');

    // Any address again: the focus goes back to the section, whose button went with the list.
    await acceptAny.click();
    await section.getByText("The account's credentials are accepted from any address again").waitFor();
    await now.filter({ hasText: 'Now: Any address.' }).waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'allowed-networks');
    assert.equal(await field.inputValue(), '');
    assert.equal(await acceptAny.count(), 0);
  });

  test('your sessions: a second sign-in is listed and ended from the first; an admin ends every session of another operator', async () => {
    suite.watch.step = 'sessions';
    const username = 'ops-laptop';
    const password = 'a password for the sessions test';
    await suite.server.server.runtime.services.operators.createOperator(username, password, 'viewer');
    const otherContext = await newContext(suite.browser, suite.server.url);
    const theirContext = await newContext(suite.browser, suite.server.url);
    try {
      const other = await otherContext.newPage();
      const their = await theirContext.newPage();
      const signInAt = async (on: Page, name: string, secret: string) => {
        await on.goto('/accounts');
        await submitSignIn(on, name, secret);
        await on.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      };
      /** The session is gone on the server, and the page's next call takes its app to the sign-in. */
      const signedOut = async (on: Page, itsContext: BrowserContext) => {
        const cookie = await cookieOf(itsContext);
        assert.equal((await http('/api/admin/session', { headers: { cookie } })).status, 401);
        await on.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
        await on.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
        await on.getByText('Your session has ended. Sign in again.').waitFor();
      };

      // Earlier tests signed the admin in over HTTP too: End every other session ends those and the other
      // browser's, and leaves this one.
      await signInAt(other, 'admin', SERVER_ADMIN_PASSWORD);
      await suite.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Operators' })
        .click();
      const section = suite.page.getByRole('region', { name: 'Your sessions' });
      const rows = section.getByRole('table', { name: 'Your sessions, newest first' }).locator('tbody tr');
      await section.getByRole('columnheader', { name: 'Last active' }).waitFor();
      await section
        .getByText(
          'Each sign-in is a session of 8 hours at most, ended sooner by 30 minutes without any use.',
        )
        .waitFor();
      const endOthers = section.getByRole('button', { name: 'End every other session' });
      await endOthers.click();
      await section
        .getByRole('status')
        .filter({ hasText: /\d+ sessions? ended; this one goes on\./ })
        .waitFor();
      assert.equal(await rows.count(), 1);
      await rows.getByText('This browser').waitFor();
      assert.equal(await endOthers.count(), 0);
      await signedOut(other, otherContext);

      // Signed in again there: two sessions, the newest first, with where from and which browser.
      await signInAt(other, 'admin', SERVER_ADMIN_PASSWORD);
      await suite.page.reload();
      await rows.nth(1).waitFor();
      assert.equal(await rows.count(), 2);
      const [newest, mine] = [rows.nth(0), rows.nth(1)];
      await mine.getByText('This browser').waitFor();
      await newest.getByRole('cell', { name: /127\.0\.0\.1/ }).waitFor();
      await newest.getByText(/Chrome \d+ on Linux/).click();
      await newest.getByText(String(await other.evaluate('navigator.userAgent')), { exact: true }).waitFor();
      await visited('your-sessions');
      await newest.getByRole('button', { name: /^End the session signed in on / }).click();
      await section
        .getByRole('status')
        .filter({ hasText: /The session signed in on .+ has ended\./ })
        .waitFor();
      assert.equal(await rows.count(), 1);
      await signedOut(other, otherContext);

      // Another operator's sessions, from their row (not from the admin's own).
      await signInAt(their, username, password);
      const table = suite.page.getByRole('table', { name: 'Operators, by username' });
      assert.deepEqual(
        await table
          .getByRole('row', { name: /^admin\b/ })
          .getByRole('button')
          .allTextContents(),
        ['Activity of admin'],
      );
      await table
        .getByRole('row', { name: new RegExp(`^${username}\\b`) })
        .getByRole('button', { name: `End sessions of ${username}` })
        .click();
      const dialog = suite.page.getByRole('dialog', { name: "End this operator's sessions?" });
      await dialog.getByText('Their API tokens go on working').waitFor();
      await visited('operators-end-sessions-dialog');
      await dialog.getByRole('button', { name: 'End sessions' }).click();
      await suite.page.getByText(`1 session of ${username} ended: they sign in again to go on.`).waitFor();
      await dialog.waitFor({ state: 'hidden' });
      await signedOut(their, theirContext);
    } finally {
      await otherContext.close();
      await theirContext.close();
    }
  });

  test('accounts: found by a part of their id (asked of the server, whatever the case), said in a status line; a long list 100 at a time with Show more accounts', async () => {
    suite.watch.step = 'accounts-search';
    const page = suite.page;
    const mainNav = page.getByRole('navigation', { name: 'Main' });
    const list = page.getByRole('region', { name: 'All accounts' });
    const rowIds = async () => (await list.getByRole('rowheader').allTextContents()).map((id) => id.trim());
    const said = (text: string) => list.getByRole('status').filter({ hasText: text }).waitFor();
    const field = list.getByRole('searchbox', { name: 'Find an account' });
    const showMore = list.getByRole('button', { name: 'Show more accounts' });
    /** What the page asked /api/admin/accounts for: the query of each list call. */
    const asked: URLSearchParams[] = [];
    const listCalls = (request: { method(): string; url(): string }) => {
      const url = new URL(request.url());
      if (request.method() === 'GET' && url.pathname === '/api/admin/accounts') asked.push(url.searchParams);
    };
    page.on('request', listCalls);
    const cookie = await cookieOf(suite.context);
    const every = async () =>
      (
        (await (await http('/api/admin/accounts', { headers: { cookie } })).json()) as { accountId: string }[]
      ).map((a) => a.accountId);
    const before = await every();
    assert.ok(before.length < 100, `${before.length} accounts: the first page holds them all`);

    // A few accounts: all on the first page, no Show more.
    await mainNav.getByRole('link', { name: 'Accounts' }).click();
    await list.getByRole('rowheader', { name: accountId, exact: true }).waitFor();
    assert.deepEqual(await rowIds(), before);
    assert.equal(await showMore.count(), 0);
    assert.equal(asked.at(-1)?.get('limit'), '100');

    // A part of the suite's id, in capitals: the server finds it whatever the case.
    const part = accountId.slice(0, 6).toUpperCase();
    const matching = before.filter((id) => id.toLowerCase().includes(part.toLowerCase()));
    assert.ok(matching.includes(accountId));
    await field.fill(part);
    await said(
      `${matching.length} ${matching.length === 1 ? 'account matches' : 'accounts match'} “${part}”.`,
    );
    assert.deepEqual(await rowIds(), matching);
    assert.equal(asked.at(-1)?.get('search'), part);
    await visited('accounts-search');

    // Nothing matches: said, no row; characters no id holds are said without asking the server.
    await field.fill('zz-nothing');
    await said('No account matches “zz-nothing”.');
    assert.equal(await list.getByRole('rowheader').count(), 0);
    assert.equal(await list.getByRole('table').count(), 0);
    const calls = asked.length;
    await field.fill('le 1!');
    await said('No account matches “le 1!”: account IDs hold only letters, digits, “_” and “-”.');
    assert.equal(asked.length, calls, 'no call for characters no id holds');

    // Cleared (by Escape, as a search field is): the first page again.
    await field.press('Escape');
    await said(`${before.length} accounts listed.`);
    assert.deepEqual(await rowIds(), before);

    // More accounts than a page holds (after the suite's own by id, so that its row stays on the first page).
    const csrfToken = (
      (await (await http('/api/admin/session', { headers: { cookie } })).json()) as { csrfToken: string }
    ).csrfToken;
    const extra = Array.from({ length: 105 - before.length }, (_, i) => `page-${String(i).padStart(3, '0')}`);
    for (let i = 0; i < extra.length; i += 10) {
      const created = await Promise.all(
        extra.slice(i, i + 10).map((id) =>
          http('/api/admin/accounts', {
            method: 'POST',
            headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': csrfToken },
            body: JSON.stringify({ accountId: id }),
          }),
        ),
      );
      assert.deepEqual(
        created.map((r) => r.status),
        created.map(() => 201),
      );
    }
    const all = await every();
    assert.equal(all.length, 105);

    await page.reload();
    await showMore.waitFor();
    assert.deepEqual(await rowIds(), all.slice(0, 100));
    await showMore.click();
    await said('105 accounts listed.');
    assert.deepEqual(await rowIds(), all);
    assert.equal(await showMore.count(), 0);
    assert.equal(asked.at(-1)?.get('after'), all[99]);
    // The focus is on the first account added, for the keyboard to go on from there.
    assert.equal(await page.evaluate('document.activeElement?.textContent'), all[100]);
    await visited('accounts-more');

    // A search that matches more than a page: the next page keeps the search.
    await field.fill('PAGE-');
    await said('More than 100 accounts match “PAGE-”; the first 100 are listed.');
    assert.deepEqual(await rowIds(), extra.slice(0, 100));
    await showMore.click();
    await said(`${extra.length} accounts match “PAGE-”.`);
    assert.deepEqual(await rowIds(), extra);
    assert.equal(asked.at(-1)?.get('search'), 'PAGE-');
    await field.fill('');
    await said('100 accounts listed; more follow.');
    await showMore.waitFor();
    page.off('request', listCalls);
  });

  test('sign-out ends the session on the server', async () => {
    suite.watch.step = 'sign-out';
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    await suite.page.getByRole('rowheader', { name: accountId }).waitFor();
    await visited('accounts');
    const cookie = await cookieOf(suite.context);
    assert.equal((await http('/api/admin/session', { headers: { cookie } })).status, 200);
    await suite.page.getByRole('button', { name: 'Sign out' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await suite.page.getByText('You have signed out.').waitFor();
    assert.equal((await http('/api/admin/session', { headers: { cookie } })).status, 401);
  });

  test('no console errors on any page, and no accessibility violation (axe-core, any impact)', () => {
    // The only errors expected: the browser logging the refusals the pages asked for and explained — on
    // sign-in the session check, the wrong password and the rate-limited attempt (401, 429); in the policy
    // editor the policy saved with an invalid attribute (400) and the move on a stale list (412); in the
    // policies' history the restore over a list changed meanwhile (412); after the cookie was cleared, the call
    // that found the session gone (401); on the operators page the wrong current password (403); the end of an
    // account's suspension in the past (400); an account's request rate with a burst of 0 (400); its networks with 10.0.0.0/33 (400); a
    // private key pasted as a key for signed client assertions (400); the password refused after the key went
    // behind the page's back, and the last key's removal while the password is refused (409 each); a P-384
    // certificate pasted for mutual TLS (400); an IP address that is none as a certificate subject, and "hello"
    // checked as a client certificate (400 each); a client certificate required with none among the keys (409).
    const expected = {
      'sign-in': [refusedStatus('(401|429)')],
      policies: [refusedStatus('(400|412)')],
      'policy-history': [refusedStatus('412')],
      'session-ended': [refusedStatus('401')],
      operators: [refusedStatus('403')],
      'account-lifecycle': [refusedStatus('409')],
      'suspension-end': [refusedStatus('400')],
      'request-rate': [refusedStatus('400')],
      'allowed-networks': [refusedStatus('400')],
      'client-keys': [refusedStatus('400')],
      'client-certificates': [refusedStatus('400')],
      'certificate-subjects': [refusedStatus('400')],
      'signed-assertions-only': [refusedStatus('409')],
      'certificate-required': [refusedStatus('409')],
    };
    assert.deepEqual(suite.watch.unexpected(expected), []);
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'sign-in').length,
      3,
      'session check, wrong password, 429',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'policies').length,
      2,
      'the one invalid save, the one stale move',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'policy-history').length,
      1,
      'the restore over a list changed meanwhile',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'session-ended').length,
      1,
      'the call that found the session gone',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'operators').length,
      1,
      'the wrong current password',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'account-lifecycle').length,
      1,
      'the id of the deleted account, taken again too soon',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'suspension-end').length,
      1,
      'the end of a suspension in the past',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'request-rate').length,
      1,
      'the burst of 0 the server refused',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'allowed-networks').length,
      1,
      'the network the server refused',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'client-keys').length,
      1,
      'the private key the server refused',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'client-certificates').length,
      1,
      'the P-384 certificate the server refused',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'certificate-subjects').length,
      2,
      'the IP address the server refused, the text it could not read as a certificate',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'signed-assertions-only').length,
      2,
      'the password refused with no key, the last key removed while the password is refused',
    );
    assert.equal(
      suite.watch.errors.filter((e) => e.step === 'certificate-required').length,
      1,
      'a client certificate required with no certificate among the keys',
    );
    suite.assertAccessible([
      'account-delete-dialog',
      'account-suspend-dialog',
      'account-suspended',
      'account-suspended-until',
      'account-suspend-until-dialog',
      'account-suspension-end-dialog',
      'accounts',
      'accounts-empty',
      'accounts-more',
      'accounts-search',
      'accounts-suspended',
      'allowed-networks',
      'api-authorization',
      'api-authorization-certificate-check',
      'api-authorization-certificate-subject',
      'api-authorization-client-certificate',
      'api-authorization-client-keys',
      'api-authorization-previous-credentials',
      'api-key-regenerate-dialog',
      'audit-log',
      'backups',
      'context',
      'credentials-regenerate-dialog',
      'credentials-regenerate-grace-dialog',
      'dpop-required',
      'dpop-required-dialog',
      'certificate-required',
      'limited-account-not-found',
      'limited-accounts',
      'limited-api-authorization',
      'limited-audit',
      'limited-change-accounts-dialog',
      'limited-closed-page',
      'limited-operator-activity',
      'limited-operators',
      'limited-viewer-operators',
      'operator-tokens',
      'operators',
      'operators-activity',
      'operators-add-limited',
      'operators-change-accounts-dialog',
      'operators-end-sessions-dialog',
      'policies',
      'policy-editor',
      'policy-history-changes',
      'policy-history-restore-dialog',
      'policy-history-version',
      'policy-logs',
      'recovery-code-used',
      'request-rate',
      'signed-assertions-only',
      'signed-assertions-only-dialog',
      'sign-in',
      'sign-in-code',
      'sign-in-recovery-code',
      'totp-recovery-codes',
      'totp-setup',
      'viewer-account-suspended',
      'viewer-api-authorization',
      'viewer-certificate-subject',
      'viewer-dpop-required',
      'viewer-policies',
      'viewer-policy-history',
      'your-sessions',
    ]);
  });
});

describe('web app in Chromium, OPERATOR_TOTP=required', { timeout: 120_000 }, () => {
  const suite = browserSuite({ env: { OPERATOR_TOTP: 'required' } });

  test('an operator without codes is taken to their setup, and to the app once they are on', async () => {
    const { page, watch } = suite;
    watch.step = 'totp-required';
    await page.goto('/accounts');
    await submitSignIn(page, 'admin', SERVER_ADMIN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Set up sign-in codes' }).waitFor();
    assert.equal(await page.getByRole('navigation', { name: 'Main' }).count(), 1, 'the top bar stays');
    const section = page.getByRole('region', { name: 'Sign-in codes' });
    await section.getByRole('button', { name: 'Set up' }).click();
    const secret = ((await section.locator('#totp-secret').textContent()) ?? '').replaceAll(' ', '');
    assert.match(secret, /^[A-Z2-7]{32}$/);
    assert.deepEqual(await accessibilityViolations(page), []);
    await section.getByLabel('Code from the app').fill(totpCode(secret, Date.now()));
    await section.getByRole('button', { name: 'Turn on' }).click();
    // The recovery codes stay until dismissed: the setup page goes only then.
    const recoveryCodes = await shownRecoveryCodes(section);
    assert.deepEqual(await accessibilityViolations(page), []);
    await page.getByRole('heading', { level: 1, name: 'Set up sign-in codes' }).waitFor();
    await section.getByRole('button', { name: 'I have saved them' }).click();
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    // The one refusal: the session check before signing in.
    assert.deepEqual(watch.unexpected({ 'totp-required': [refusedStatus('401')] }), []);

    // Moving to another phone: turned off (here with a recovery code), the app goes back to the setup at once.
    watch.step = 'totp-required-off';
    await page.goto('/operators');
    const codes = page.getByRole('region', { name: 'Sign-in codes' });
    const off = codes.getByRole('form', { name: 'Turn off one-time codes' });
    await off.getByLabel('Current password').fill(SERVER_ADMIN_PASSWORD);
    await off.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await off.getByLabel('Recovery code').fill(recoveryCodes[0] as string);
    await off.getByRole('button', { name: 'Turn off' }).click();
    await page.getByRole('heading', { level: 1, name: 'Set up sign-in codes' }).waitFor();
    // The refusal that sent the app there: the operators list, held back until codes are set up again.
    assert.deepEqual(
      watch.unexpected({
        'totp-required': [refusedStatus('401')],
        'totp-required-off': [refusedStatus('403')],
      }),
      [],
    );
  });
});

/** The sign-in form filled in and sent. */
/** A check that `field` says `message` (tied to it by aria-describedby, marked invalid) and has the focus. */
async function fieldRefusal(
  page: Page,
  field: Locator,
): Promise<(message: string | RegExp) => Promise<void>> {
  const fieldId = await field.getAttribute('id');
  assert.ok(fieldId);
  const fieldError = page.locator(`[id="${fieldId}-error"]`);
  return async (message) => {
    await fieldError.filter({ hasText: message }).waitFor();
    assert.equal(await field.getAttribute('aria-invalid'), 'true');
    assert.ok(((await field.getAttribute('aria-describedby')) ?? '').split(' ').includes(`${fieldId}-error`));
    assert.equal(await page.locator(':focus').getAttribute('id'), fieldId);
  };
}

async function submitSignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** The rows of an audit table where `actor` did `what` (the action in words, or the start of them). */
function eventRow(table: Locator, actor: string, what: string): Locator {
  return table
    .getByRole('row')
    .filter({ has: table.page().getByRole('cell', { name: actor, exact: true }) })
    .filter({ hasText: what });
}

/** A context's cookies as a `Cookie` header, to call the admin API as its page. */
async function cookieOf(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}

/** The ten recovery codes a section shows, each new and well-formed. */
async function shownRecoveryCodes(section: Locator): Promise<string[]> {
  const list = section.getByRole('list', { name: 'Recovery codes' });
  await list.waitFor();
  const codes = (await list.getByRole('listitem').allTextContents()).map((c) => c.trim());
  assert.equal(codes.length, 10);
  assert.equal(new Set(codes).size, 10);
  for (const code of codes) assert.match(code, /^[a-z2-9]{4}(-[a-z2-9]{4}){3}$/);
  return codes;
}

/** A well-formed code that is none of the secret's codes from a step ago to two steps ahead. */
function wrongCode(secret: string): string {
  const now = Date.now();
  const near = new Set([-1, 0, 1, 2].map((k) => totpCode(secret, now + k * TOTP_STEP_MS)));
  const wrong = ['000000', '111111', '222222', '333333', '444444'].find((c) => !near.has(c));
  assert.ok(wrong);
  return wrong;
}

async function assertAlert(page: Page, text: RegExp): Promise<void> {
  await page.getByRole('alert').filter({ hasText: text }).waitFor();
}
