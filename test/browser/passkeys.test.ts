import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { BrowserContext, CDPSession, Locator, Page } from 'playwright-core';
import { totpCode } from '../../src/core/auth/totp.js';
import { SERVER_ADMIN_PASSWORD } from '../helpers/server.js';
import { accessibilityViolations, browserSuite, ConsoleWatch, newContext, refusedStatus } from './harness.js';

/**
 * Chromium's virtual authenticator (DevTools protocol, WebAuthn domain): a platform authenticator with user
 * verification that answers every prompt at once, as a person unlocking their laptop would.
 */
class VirtualAuthenticator {
  private constructor(
    private readonly cdp: CDPSession,
    private readonly id: string,
  ) {}

  static async on(context: BrowserContext, page: Page): Promise<VirtualAuthenticator> {
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2',
        transport: 'internal',
        hasResidentKey: true,
        hasUserVerification: true,
        isUserVerified: true,
        automaticPresenceSimulation: true,
      },
    });
    return new VirtualAuthenticator(cdp, authenticatorId);
  }

  /** How many credentials the authenticator holds. */
  async count(): Promise<number> {
    const { credentials } = await this.cdp.send('WebAuthn.getCredentials', { authenticatorId: this.id });
    return credentials.length;
  }

  /** Whether the person passes the authenticator's check (false: as if they cancelled the prompt). */
  async verifies(verified: boolean): Promise<void> {
    await this.cdp.send('WebAuthn.setUserVerified', { authenticatorId: this.id, isUserVerified: verified });
  }
}

describe('passkeys in Chromium', { timeout: 300_000 }, () => {
  // WebAuthn takes a domain name: the browser opens the app at ISSUER, http://localhost:<port>.
  const suite = browserSuite({ serverOptions: { localhostIssuer: true } });
  const { http, checked } = suite;
  let authenticator: VirtualAuthenticator;

  const login = (body: Record<string, unknown>) =>
    http('/api/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function openOperators(on: Page = suite.page): Promise<Locator> {
    await on.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
    await on.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    return on.getByRole('region', { name: 'Passkeys' });
  }

  before(async () => {
    authenticator = await VirtualAuthenticator.on(suite.context, suite.page);
  });

  test('an admin adds a passkey: a wrong password is said on its field, the right one lists it', async () => {
    suite.watch.step = 'add';
    await suite.page.goto('/');
    await submitSignIn(suite.page, 'admin', SERVER_ADMIN_PASSWORD);
    await suite.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    const section = await openOperators();
    await section.getByText('You have no passkey.').waitFor();

    const form = section.getByRole('form', { name: 'Add a passkey' });
    await form.getByLabel('Name').fill('Work laptop');
    await form.getByLabel('Current password').fill('not the password');
    await form.getByRole('button', { name: 'Add passkey' }).click();
    const password = form.getByLabel('Current password');
    await form.getByText('the current password is wrong').waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), await password.getAttribute('id'));
    assert.equal(await form.getByLabel('Name').inputValue(), 'Work laptop', 'the name is kept');

    await password.fill(SERVER_ADMIN_PASSWORD);
    await form.getByRole('button', { name: 'Add passkey' }).click();
    await section.getByRole('status').getByText('The passkey “Work laptop” was added').waitFor();
    const row = section.getByRole('row', { name: /^Work laptop\b/ });
    await row.getByText('Not used yet').waitFor();
    await section.getByText('You have 1 passkey').waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Passkeys', 'the heading has the focus');
    assert.ok((await authenticator.count()) >= 1);
    assert.equal(await form.getByLabel('Current password').inputValue(), '', 'the password is not kept');

    // Admins see it on the operators list.
    const admin = suite.page
      .getByRole('table', { name: 'Operators, by username' })
      .getByRole('row', { name: /^admin\b/ });
    await admin.getByRole('cell', { name: '1', exact: true }).waitFor();
    await checked('passkeys', suite.page, true);
  });

  test('signing in asks for the passkey; a closed prompt and a refused one are said; then signed in, its last use shows', async () => {
    suite.watch.step = 'sign-in';
    await suite.page.getByRole('button', { name: 'Sign out' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await submitSignIn(suite.page, 'admin', SERVER_ADMIN_PASSWORD);
    const use = suite.page.getByRole('button', { name: 'Use a passkey' });
    await use.waitFor();
    await suite.page.getByText('Your sign-in asks for a passkey as well.').waitFor();
    assert.equal(await suite.page.getByLabel('One-time code').count(), 0, 'no code without codes on');
    assert.equal(await suite.page.getByRole('button', { name: 'Sign in' }).count(), 0);
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'sign-in-passkey');
    await checked('sign-in-passkey', suite.page, true);

    // The person cancels the browser's prompt: said at the button, which has the focus to try again.
    await authenticator.verifies(false);
    await use.click();
    await suite.page.getByText("No passkey was used: the browser's prompt was closed").waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'sign-in-passkey');
    assert.match((await use.getAttribute('aria-describedby')) ?? '', /sign-in-passkey-error/);
    await authenticator.verifies(true);

    // A passkey the server does not accept (its signature spoiled on the way): said, with new options to try again.
    await suite.page.route('**/api/admin/login', async (route) => {
      const body = route.request().postDataJSON() as { passkey?: { response: { signature: string } } };
      if (body.passkey) body.passkey.response.signature = spoiled(body.passkey.response.signature);
      await route.continue({ postData: JSON.stringify(body) });
    });
    await use.click();
    await suite.page.getByText('the passkey was not accepted: try again or use another way').waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'sign-in-passkey');
    await suite.page.unroute('**/api/admin/login');

    // Signed in, back on the page they signed out from.
    await use.click();
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    const section = suite.page.getByRole('region', { name: 'Passkeys' });
    const row = section.getByRole('row', { name: /^Work laptop\b/ });
    await row.locator('time').nth(1).waitFor();
    assert.equal(await row.getByText('Not used yet').count(), 0);
  });

  test('a passkey alone signs in, no username or password; refused when it does not verify the person or is not accepted', async () => {
    suite.watch.step = 'alone';
    await suite.page.getByRole('button', { name: 'Sign out' }).click();
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const use = suite.page.getByRole('button', { name: 'Sign in with a passkey', exact: true });
    await use.waitFor();
    // Above the password form, with "or" between them, as single sign-on is.
    await suite.page.getByText('or', { exact: true }).waitFor();
    await suite.page.getByRole('form', { name: 'Sign in' }).getByLabel('Password').waitFor();
    assert.equal(await suite.page.getByRole('form', { name: 'Sign in' }).getByRole('button').count(), 1);
    assert.match((await use.getAttribute('aria-describedby')) ?? '', /^sign-in-passkey-alone-hint$/);
    await checked('sign-in-passkey-alone', suite.page, true);
    const password = suite.page.getByLabel('Password');

    // The device does not verify the person (no PIN or fingerprint given): no passkey comes, said at the button.
    await authenticator.verifies(false);
    await use.click();
    await suite.page.getByText("No passkey was used: the browser's prompt was closed").waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'sign-in-passkey-alone');
    assert.match((await use.getAttribute('aria-describedby')) ?? '', /sign-in-passkey-alone-error/);
    await authenticator.verifies(true);

    // A passkey the server does not accept (its signature spoiled on the way, 401): said, nobody signed in.
    let sent: string[] = [];
    await suite.page.route('**/api/admin/login/passkey', async (route) => {
      const body = route.request().postDataJSON() as { passkey: { response: { signature: string } } };
      sent = Object.keys(body);
      body.passkey.response.signature = spoiled(body.passkey.response.signature);
      await route.continue({ postData: JSON.stringify(body) });
    });
    await use.click();
    await suite.page.getByText('The passkey was not accepted: ').waitFor();
    assert.equal(await suite.page.locator(':focus').getAttribute('id'), 'sign-in-passkey-alone');
    assert.equal(
      await suite.page.getByText('Your session has ended').count(),
      0,
      'a refusal, not an ended session',
    );
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    assert.equal(await password.inputValue(), '', 'nothing typed');
    assert.deepEqual(sent, ['passkey'], 'the passkey alone is sent, no username or password');
    await suite.page.unroute('**/api/admin/login/passkey');

    // Signed in as the passkey's operator, back on the page they signed out from; the session says how.
    await use.click();
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    await suite.page.getByRole('banner').getByText('Signed in as admin (admin)').waitFor();
    await suite.page
      .getByRole('table', { name: 'Your sessions, newest first' })
      .getByRole('row')
      .filter({ hasText: 'This browser' })
      .getByRole('cell', { name: 'Passkey', exact: true })
      .waitFor();
  });

  test("an operator with codes and a passkey is offered both; an admin removes the operator's passkeys", async () => {
    suite.watch.step = 'operators';
    const username = 'ops-passkey';
    const password = 'a password for the passkeys test';
    const operators = suite.server.server.runtime.services.operators;
    await operators.createOperator(username, password, 'viewer');
    const theirContext = await newContext(suite.browser, suite.server.issuer);
    try {
      const their = await theirContext.newPage();
      const theirWatch = new ConsoleWatch(their);
      theirWatch.step = 'operators';
      await VirtualAuthenticator.on(theirContext, their);
      await their.goto('/operators');
      await submitSignIn(their, username, password);
      const section = their.getByRole('region', { name: 'Passkeys' });
      const form = section.getByRole('form', { name: 'Add a passkey' });
      await form.getByLabel('Name').fill('Their phone');
      await form.getByLabel('Current password').fill(password);
      await form.getByRole('button', { name: 'Add passkey' }).click();
      await section.getByRole('row', { name: /^Their phone\b/ }).waitFor();

      // One-time codes as well: the second step offers the passkey first, and the code.
      const { secret } = await operators.totp.start(username);
      await operators.totp.enable(username, totpCode(secret, Date.now()));
      await their.getByRole('button', { name: 'Sign out' }).click();
      await submitSignIn(their, username, password);
      await their.getByText('Your sign-in asks for a passkey or a one-time code as well.').waitFor();
      await their.getByLabel('One-time code').waitFor();
      await their.getByRole('button', { name: 'Use a recovery code instead' }).waitFor();
      assert.equal(await their.locator(':focus').getAttribute('id'), 'sign-in-passkey');
      assert.equal(
        await their.getByRole('button', { name: 'Sign in' }).getAttribute('class'),
        'button-secondary',
      );
      await checked('sign-in-passkey-or-code', their);
      await their.getByRole('button', { name: 'Use a passkey' }).click();
      await their.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();

      // The only console errors: the session check and the second steps (401).
      assert.deepEqual(theirWatch.unexpected({ operators: [refusedStatus('401')] }), []);
    } finally {
      await theirContext.close();
    }

    // A lost phone: an admin removes their passkeys, behind a confirmation; the code alone is asked then.
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Accounts' })
      .click();
    await openOperators();
    const row = suite.page.getByRole('table', { name: 'Operators, by username' }).getByRole('row', {
      name: new RegExp(`^${username}\\b`),
    });
    await row.getByRole('cell', { name: '1', exact: true }).waitFor();
    await row.getByRole('button', { name: `Remove passkeys of ${username}`, exact: true }).click();
    const dialog = suite.page.getByRole('dialog', { name: "Remove this operator's passkeys?" });
    await dialog.getByText(`Every passkey of ${username} stops working`).waitFor();
    await checked('operators-remove-passkeys-dialog');
    await dialog.getByRole('button', { name: 'Remove passkeys', exact: true }).click();
    await suite.page.getByText(`The passkeys of ${username} were removed`).waitFor();
    await row.getByRole('cell', { name: 'None', exact: true }).waitFor();
    assert.equal(await row.getByRole('button', { name: 'Remove passkeys' }).count(), 0);
    const answer = await login({ username, password });
    assert.equal(answer.status, 401);
    assert.deepEqual(((await answer.json()) as { methods: string[] }).methods, ['totp']);
  });

  test('removing your own passkey takes the password; then signing in asks for nothing more', async () => {
    suite.watch.step = 'remove';
    const section = suite.page.getByRole('region', { name: 'Passkeys' });
    await section.getByRole('button', { name: 'Remove the passkey Work laptop' }).click();
    const dialog = suite.page.getByRole('dialog', { name: 'Remove this passkey?' });
    await dialog.getByText('The passkey “Work laptop” no longer confirms your sign-ins').waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Cancel');
    await checked('passkey-remove-dialog');
    const password = dialog.getByLabel('Current password');
    await password.fill('not the password');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.getByText('the current password is wrong').waitFor();
    assert.equal(await password.getAttribute('aria-invalid'), 'true');
    await password.fill(SERVER_ADMIN_PASSWORD);
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await dialog.waitFor({ state: 'hidden' });
    await section.getByRole('status').getByText('The passkey “Work laptop” was removed').waitFor();
    await section.getByText('You have no passkey.').waitFor();
    assert.equal(await suite.page.locator(':focus').textContent(), 'Passkeys', 'the heading has the focus');

    await suite.page.getByRole('button', { name: 'Sign out' }).click();
    await submitSignIn(suite.page, 'admin', SERVER_ADMIN_PASSWORD);
    await suite.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    assert.equal(await suite.page.getByRole('button', { name: 'Use a passkey' }).count(), 0);

    // The audit log says it all in words.
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Audit log' })
      .click();
    const log = suite.page.getByRole('table');
    for (const [what, action] of [
      ['added a passkey', 'operator.passkey-added'],
      ['signed in with a passkey', 'operator.signed-in'],
      ["removed an operator's passkeys", 'operator.passkeys-reset'],
      ['removed a passkey', 'operator.passkey-removed'],
    ]) {
      await log
        .getByRole('cell', { name: `${what} (${action})`, exact: true })
        .first()
        .waitFor();
    }
  });

  test('no console errors but the refusals asked for, and no accessibility violation (axe-core, any impact)', () => {
    // The session check before signing in (401); the wrong password on adding (403); on signing in, the second
    // steps and the passkey spoiled on its way (401); the passkey alone spoiled on its way (401); the wrong
    // password on removing (403).
    const expected = {
      add: [refusedStatus('(401|403)')],
      'sign-in': [refusedStatus('401')],
      alone: [refusedStatus('401')],
      operators: [],
      remove: [refusedStatus('403')],
    };
    assert.deepEqual(suite.watch.unexpected(expected), []);
    suite.assertAccessible([
      'operators-remove-passkeys-dialog',
      'passkey-remove-dialog',
      'passkeys',
      'sign-in-passkey',
      'sign-in-passkey-alone',
      'sign-in-passkey-or-code',
    ]);
  });
});

describe('passkeys in Chromium, OPERATOR_TOTP=required', { timeout: 120_000 }, () => {
  const suite = browserSuite({
    env: { OPERATOR_TOTP: 'required' },
    serverOptions: { localhostIssuer: true },
  });

  test('an operator without a second factor may add a passkey in place of codes, and goes on', async () => {
    const { context, page, watch } = suite;
    watch.step = 'totp-required';
    await VirtualAuthenticator.on(context, page);
    await page.goto('/accounts');
    await submitSignIn(page, 'admin', SERVER_ADMIN_PASSWORD);
    await page.getByRole('heading', { level: 1, name: 'Set up sign-in codes' }).waitFor();
    await page.getByText('a one-time code from an authenticator app, or a passkey').waitFor();
    await page.getByRole('region', { name: 'Sign-in codes' }).waitFor();
    const form = page.getByRole('region', { name: 'Passkeys' }).getByRole('form', { name: 'Add a passkey' });
    await form.waitFor();
    await page.waitForLoadState('networkidle');
    assert.deepEqual(await accessibilityViolations(page), []);
    await form.getByLabel('Name').fill('Desk key');
    await form.getByLabel('Current password').fill(SERVER_ADMIN_PASSWORD);
    await form.getByRole('button', { name: 'Add passkey' }).click();
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    // The one refusal: the session check before signing in.
    assert.deepEqual(watch.unexpected({ 'totp-required': [refusedStatus('401')] }), []);
  });
});

/** The sign-in form filled in and sent. */
async function submitSignIn(page: Page, username: string, password: string): Promise<void> {
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  // Exact: "Sign in with a passkey" is a button too.
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

/** A base64url signature with its last byte changed: still well-formed, it no longer verifies. */
function spoiled(signature: string): string {
  const bytes = Buffer.from(signature, 'base64url');
  const last = bytes.length - 1;
  bytes[last] = (bytes[last] ?? 0) ^ 0x01;
  return bytes.toString('base64url');
}
