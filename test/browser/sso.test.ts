import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  type IdentityProvider,
  SSO_CLIENT_ID,
  SSO_CLIENT_SECRET,
  startIdentityProvider,
} from '../helpers/identity-provider.js';
import { freePort, SERVER_ADMIN_PASSWORD, startTestServer } from '../helpers/server.js';
import {
  accessibilityViolations,
  browserSuite,
  ConsoleWatch,
  newContext,
  refusedStatus,
  type TestServer,
} from './harness.js';

const SSO_NAME = 'Example SSO';
const SIGN_IN_WITH = `Sign in with ${SSO_NAME}`;

describe('single sign-on in Chromium, with a real OpenID provider', { timeout: 300_000 }, () => {
  /** The port of the suite's server. */
  let port = 0;
  /** The port of the server that signs in through the provider alone (OPERATOR_PASSWORD_SIGN_IN=false). */
  let ssoOnlyPort = 0;
  let provider: IdentityProvider;
  /** The `Cookie` header of the first admin, signed in with the password, for the admin API. */
  let adminCookie = '';

  // Before the suite's own setup, which starts the server: the provider must know the server's callback, under its
  // ISSUER, and the server the provider's issuer. The servers' ports are taken first.
  before(async () => {
    port = await freePort();
    ssoOnlyPort = await freePort();
    provider = await startIdentityProvider({
      redirectUri: [port, ssoOnlyPort].map((p) => `http://localhost:${p}/api/admin/sso/callback`),
      // The address the server listens on (HOST, 127.0.0.1): the provider's server posts there, not the browser.
      backChannelLogoutUri: `http://127.0.0.1:${port}/api/admin/sso/back-channel-logout`,
    });
  });

  const suite = browserSuite({
    env: () => ({
      OPERATOR_SSO_ISSUER: provider.issuer,
      OPERATOR_SSO_CLIENT_ID: SSO_CLIENT_ID,
      OPERATOR_SSO_CLIENT_SECRET: SSO_CLIENT_SECRET,
      OPERATOR_SSO_NAME: SSO_NAME,
    }),
    serverOptions: () => ({ localhostIssuer: true, port }),
    prepareContext: (context) => quietProvider(context, provider.issuer),
  });
  const { http, checked, accessibility } = suite;

  /** A browser of its own, at ISSUER (the server's, unless told), where the provider (`at`) sends it back. */
  async function browserAt(
    base = suite.server.issuer,
    at = provider.issuer,
  ): Promise<{ context: BrowserContext; page: Page; watch: ConsoleWatch }> {
    const opened = await newContext(suite.browser, base);
    await quietProvider(opened, at);
    const tab = await opened.newPage();
    return { context: opened, page: tab, watch: new ConsoleWatch(tab) };
  }

  /**
   * From the sign-in page to the provider's, where `login` signs in; back at the server after. By default the
   * suite's server and provider; another server says its `link`, and names its provider (`at`) and itself (`back`).
   */
  async function signInAtProvider(
    on: Page,
    login: string,
    { link = SIGN_IN_WITH, at = provider.issuer, back = suite.server.issuer } = {},
  ): Promise<void> {
    await on.getByRole('link', { name: link }).click();
    await on.waitForURL((url) => url.origin === at);
    await on.locator('input[name="login"]').fill(login);
    await on.locator('input[name="password"]').fill('any password: the provider takes any');
    await on.getByRole('button', { name: 'Sign-in' }).click();
    await on.waitForURL((url) => url.origin === back);
  }

  before(async () => {
    assert.equal(suite.server.issuer, `http://localhost:${port}`);

    // An admin adds alice, as at the provider: nobody becomes an operator by signing in there.
    const signedIn = await http('/api/admin/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: SERVER_ADMIN_PASSWORD }),
    });
    assert.equal(signedIn.status, 200, await signedIn.text());
    const cookie = signedIn.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ');
    adminCookie = cookie;
    const session = (await (await http('/api/admin/session', { headers: { cookie } })).json()) as {
      csrfToken: string;
    };
    const added = await http('/api/admin/operators', {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': session.csrfToken },
      body: JSON.stringify({ username: 'alice', password: 'a password alice never uses', role: 'viewer' }),
    });
    assert.equal(added.status, 201, await added.text());
  });

  after(async () => {
    await provider?.close();
  });

  test('the sign-in page offers single sign-on by its configured name, and the password form still', async () => {
    suite.watch.step = 'sign-in';
    await suite.page.goto('/');
    await suite.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    const link = suite.page.getByRole('link', { name: SIGN_IN_WITH });
    await link.waitFor();
    assert.equal(await link.getAttribute('href'), '/api/admin/sso/start');
    await suite.page.getByText('or', { exact: true }).waitFor();
    const form = suite.page.getByRole('form', { name: 'Sign in' });
    await form.getByLabel('Username').waitFor();
    await form.getByLabel('Password').waitFor();
    await checked('sign-in-sso', suite.page, true);
  });

  test('an operator an admin added signs in at the provider and comes back signed in, their session by single sign-on', async () => {
    suite.watch.step = 'alice';
    await signInAtProvider(suite.page, 'alice');
    await suite.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    await suite.page.getByRole('banner').getByText('Signed in as alice (viewer)').waitFor();
    assert.equal(new URL(suite.page.url()).search, '');

    // Neither a one-time code nor a passkey was asked; her sessions say how she signed in.
    await suite.page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Operators' })
      .click();
    const rows = suite.page
      .getByRole('region', { name: 'Your sessions' })
      .getByRole('table', { name: 'Your sessions, newest first' })
      .locator('tbody tr');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 1);
    await rows.getByRole('cell', { name: 'Single sign-on', exact: true }).waitFor();
    await rows.getByText('This browser').waitFor();
    await checked('your-sessions-sso');
  });

  test('a person with no operator of their username comes back to the sign-in page, told why, the address clean', async () => {
    const their = await browserAt();
    their.watch.step = 'mallory';
    try {
      await their.page.goto('/');
      await signInAtProvider(their.page, 'mallory');
      const alert = their.page
        .getByRole('alert')
        .filter({ hasText: 'an admin must first add an operator with the same username as at the provider' });
      await alert.waitFor();
      await their.page.getByRole('link', { name: SIGN_IN_WITH }).waitFor();
      const url = new URL(their.page.url());
      assert.equal(`${url.pathname}${url.search}`, '/sign-in', 'no sso_error left in the address bar');
      await checked('sign-in-sso-error', their.page);

      // Reloaded, the page no longer says it.
      await their.page.reload();
      await their.page.getByRole('link', { name: SIGN_IN_WITH }).waitFor();
      await their.page.waitForLoadState('networkidle');
      assert.equal(await their.page.getByRole('alert').count(), 0);

      // Back at the callback with no sign-in of this browser's under way (begun in another one): expired.
      await their.page.goto('/api/admin/sso/callback?code=a-code&state=a-state');
      await their.page.getByRole('alert').filter({ hasText: 'began in another browser' }).waitFor();
      assert.equal(new URL(their.page.url()).search, '');
      // A code this app does not know: a general sentence.
      await their.page.goto('/sign-in?sso_error=something_new');
      await their.page
        .getByRole('alert')
        .filter({ hasText: 'Single sign-on did not sign you in: try again, or sign in with your password.' })
        .waitFor();

      // The password form still signs an operator in; the admin finds both sign-ins in the audit log, in words.
      const form = their.page.getByRole('form', { name: 'Sign in' });
      await form.getByLabel('Username').fill('admin');
      await form.getByLabel('Password').fill(SERVER_ADMIN_PASSWORD);
      await form.getByRole('button', { name: 'Sign in' }).click();
      await their.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      assert.equal(await their.page.getByRole('alert').count(), 0, 'the message went with the sign-in');
      const nav = their.page.getByRole('navigation', { name: 'Main' });
      await nav.getByRole('link', { name: 'Audit log' }).click();
      const log = their.page.getByRole('table');
      const refused = log.getByRole('row').filter({
        has: their.page.getByRole('cell', {
          name: 'was refused single sign-on (operator.sso-refused)',
          exact: true,
        }),
      });
      await refused.getByRole('cell', { name: 'mallory', exact: true }).waitFor();
      await refused
        .getByRole('cell', { name: 'username: mallory, reason: no operator of this username', exact: true })
        .waitFor();
      const signedIn = log.getByRole('row').filter({
        has: their.page.getByRole('cell', {
          name: 'signed in with single sign-on (operator.signed-in)',
          exact: true,
        }),
      });
      await signedIn.getByRole('cell', { name: 'alice', exact: true }).waitFor();

      // The admin's own session was by password.
      await nav.getByRole('link', { name: 'Operators' }).click();
      await their.page
        .getByRole('table', { name: 'Your sessions, newest first' })
        .getByRole('row')
        .filter({ hasText: 'This browser' })
        .getByRole('cell', { name: 'Password', exact: true })
        .waitFor();

      // The only console errors: the session checks before signing in (401).
      assert.deepEqual(their.watch.unexpected({ mallory: [refusedStatus('401')] }), []);
    } finally {
      await their.context.close();
    }
  });

  test('what the page offers follows the server: no single sign-on, or it alone with passwords turned off', async () => {
    /** A server of its own, with its sign-in page open in a browser of its own. */
    const signInPageOf = async (
      env: Record<string, string>,
      step: string,
      check: (on: Page) => Promise<void>,
      port?: number,
    ): Promise<void> => {
      const other = await startTestServer(
        { LOG_LEVEL: 'warn', ...env },
        port === undefined ? {} : { localhostIssuer: true, port },
      );
      const { context: otherContext, page: on, watch: otherWatch } = await browserAt(other.issuer);
      try {
        otherWatch.step = step;
        await on.goto('/');
        await on.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
        await check(on);
        // The only console errors: the session checks before signing in (401).
        assert.deepEqual(otherWatch.unexpected({ [step]: [refusedStatus('401')] }), []);
      } finally {
        await otherContext.close();
        await other.stop();
      }
    };

    await signInPageOf({}, 'no-sso', async (on) => {
      await on.getByRole('form', { name: 'Sign in' }).getByLabel('Password').waitFor();
      await on.waitForLoadState('networkidle');
      assert.equal(await on.getByRole('link', { name: /^Sign in with/ }).count(), 0);
      assert.equal(await on.getByText('or', { exact: true }).count(), 0);
      // Sent to the start all the same (an old bookmark): unavailable, said, with the password to fall back on.
      await on.goto('/api/admin/sso/start');
      await on
        .getByRole('alert')
        .filter({ hasText: 'Single sign-on is not available right now' })
        .filter({ hasText: 'try again later, or sign in with your password.' })
        .waitFor();
      assert.equal(new URL(on.url()).search, '');
    });

    await signInPageOf(
      {
        OPERATOR_SSO_ISSUER: provider.issuer,
        OPERATOR_SSO_CLIENT_ID: SSO_CLIENT_ID,
        OPERATOR_SSO_CLIENT_SECRET: SSO_CLIENT_SECRET,
        OPERATOR_PASSWORD_SIGN_IN: 'false',
      },
      'sso-only',
      async (on) => {
        await on.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
        await on.waitForLoadState('networkidle');
        assert.equal(await on.getByRole('form', { name: 'Sign in' }).count(), 0);
        assert.equal(await on.getByLabel('Password').count(), 0);
        assert.equal(await on.getByText('or', { exact: true }).count(), 0);
        accessibility['sign-in-sso-only'] = await accessibilityViolations(on);
        // No password to fall back on: the message does not offer one.
        await on.goto('/sign-in?sso_error=unavailable');
        const alert = on.getByRole('alert').filter({ hasText: 'Single sign-on is not available right now' });
        await alert.waitFor();
        assert.doesNotMatch((await alert.textContent()) ?? '', /password/);
        // Signed in through the provider, the first admin finds no password or second factor to manage here.
        await on.getByRole('link', { name: 'Sign in with single sign-on' }).click();
        await on.waitForURL((url) => url.origin === provider.issuer);
        await on.locator('input[name="login"]').fill('admin');
        await on.locator('input[name="password"]').fill('any password: the provider takes any');
        await on.getByRole('button', { name: 'Sign-in' }).click();
        await on.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
        await on.getByRole('heading', { level: 2, name: 'Your sign-in' }).waitFor();
        await on
          .getByText("your password and second factors are kept by your organisation's sign-in provider")
          .waitFor();
        await on.getByRole('heading', { level: 2, name: 'Your sessions' }).waitFor();
        for (const heading of ['Change your password', 'Sign-in codes', 'Passkeys'])
          assert.equal(await on.getByRole('heading', { level: 2, name: heading }).count(), 0, heading);
        accessibility['operators-sso-only'] = await accessibilityViolations(on);
      },
      ssoOnlyPort,
    );
  });

  test("with OPERATOR_SSO_GROUPS, the provider's groups make an operator and their role; a person in none is refused", async () => {
    // A provider of its own, that says each person's groups, and a server that takes roles from them: its port
    // first, for the callback the provider must know.
    const GROUPS: Record<string, string[]> = { nora: ['ops'], otto: [] };
    const port = await freePort();
    const grouped = await startIdentityProvider({
      redirectUri: `http://localhost:${port}/api/admin/sso/callback`,
      claims: (login) => ({ preferred_username: login, groups: GROUPS[login] ?? [] }),
    });
    let other: TestServer | undefined;
    const opened: BrowserContext[] = [];
    try {
      other = await startTestServer(
        {
          LOG_LEVEL: 'warn',
          OPERATOR_SSO_ISSUER: grouped.issuer,
          OPERATOR_SSO_CLIENT_ID: SSO_CLIENT_ID,
          OPERATOR_SSO_CLIENT_SECRET: SSO_CLIENT_SECRET,
          OPERATOR_SSO_SCOPE: 'openid profile email groups',
          OPERATOR_SSO_GROUPS: 'ops=admin',
        },
        { localhostIssuer: true, port },
      );
      const through = { link: 'Sign in with single sign-on', at: grouped.issuer, back: other.issuer };

      // nora, in `ops` and no operator yet, signs in: made an admin of every account by her group.
      const hers = await browserAt(other.issuer, grouped.issuer);
      opened.push(hers.context);
      hers.watch.step = 'nora';
      await hers.page.goto('/');
      await signInAtProvider(hers.page, 'nora', through);
      await hers.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await hers.page.getByRole('banner').getByText('Signed in as nora (admin)').waitFor();
      assert.equal(new URL(hers.page.url()).search, '');
      await hers.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Operators' })
        .click();
      await hers.page
        .getByText(
          'Operators who sign in with single sign-on get their role and accounts from their groups there, at each sign-in: a change made here lasts until their next sign-in through it.',
        )
        .waitFor();
      const operators = hers.page.getByRole('table', { name: 'Operators, by username' });
      const nora = operators
        .getByRole('row')
        .filter({ has: hers.page.getByRole('rowheader', { name: 'nora' }) });
      await nora.getByRole('cell', { name: 'Admin', exact: true }).waitFor();
      await nora.getByRole('cell', { name: 'Every account', exact: true }).waitFor();
      await checked('operators-sso-groups', hers.page);

      // otto, in no group, signs in at the provider: sent back to the sign-in page, told why, the address clean.
      const his = await browserAt(other.issuer, grouped.issuer);
      opened.push(his.context);
      his.watch.step = 'otto';
      await his.page.goto('/');
      await signInAtProvider(his.page, 'otto', through);
      await his.page
        .getByRole('alert')
        .filter({
          hasText:
            'You are in none of the groups at the sign-in provider that may sign in here: ask an admin to add you to one.',
        })
        .waitFor();
      await his.page.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
      const url = new URL(his.page.url());
      assert.equal(`${url.pathname}${url.search}`, '/sign-in', 'no sso_error left in the address bar');

      // He was not made an operator: nora finds only the first admin and herself.
      await hers.page.reload();
      await operators.getByRole('rowheader', { name: 'nora' }).waitFor();
      assert.deepEqual(await operators.getByRole('rowheader').allTextContents(), ['admin', 'nora']);

      // The only console errors: the session checks before signing in (401).
      assert.deepEqual(hers.watch.unexpected({ nora: [refusedStatus('401')] }), []);
      assert.deepEqual(his.watch.unexpected({ otto: [refusedStatus('401')] }), []);
    } finally {
      for (const context of opened) await context.close();
      await other?.stop();
      await grouped.close();
    }
  });

  test("with OPERATOR_SSO_SIGN_OUT=provider, Sign out ends the provider's session too: the next sign-in asks there again", async () => {
    // A provider of its own, that may send the browser back to the server's ISSUER/ after signing out, and a
    // server that signs out there too: its port first, for the addresses the provider must know.
    const port = await freePort();
    const issuer = `http://localhost:${port}`;
    const signingOut = await startIdentityProvider({
      redirectUri: `${issuer}/api/admin/sso/callback`,
      postLogoutRedirectUri: `${issuer}/`,
    });
    let other: TestServer | undefined;
    const opened: BrowserContext[] = [];
    try {
      other = await startTestServer(
        {
          LOG_LEVEL: 'warn',
          OPERATOR_SSO_ISSUER: signingOut.issuer,
          OPERATOR_SSO_CLIENT_ID: SSO_CLIENT_ID,
          OPERATOR_SSO_CLIENT_SECRET: SSO_CLIENT_SECRET,
          OPERATOR_SSO_SIGN_OUT: 'provider',
        },
        { localhostIssuer: true, port },
      );
      assert.equal(other.issuer, issuer);
      await other.server.runtime.services.operators.createOperator('paula', null, 'viewer');
      const through = { link: 'Sign in with single sign-on', at: signingOut.issuer, back: other.issuer };

      // paula signs in at the provider and comes back signed in.
      const hers = await browserAt(other.issuer, signingOut.issuer);
      opened.push(hers.context);
      hers.watch.step = 'paula';
      await hers.page.goto('/');
      await signInAtProvider(hers.page, 'paula', through);
      await hers.page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
      await hers.page.getByRole('banner').getByText('Signed in as paula (viewer)').waitFor();

      // She signs out: the browser goes to the provider's sign-out, with the ID token she signed in with and the
      // way back; the provider asks her to confirm.
      hers.watch.step = 'paula-sign-out';
      await hers.page.getByRole('button', { name: 'Sign out' }).click();
      await hers.page.waitForURL((url) => url.origin === signingOut.issuer);
      const end = new URL(hers.page.url());
      assert.equal(end.searchParams.get('client_id'), SSO_CLIENT_ID);
      assert.equal(end.searchParams.get('post_logout_redirect_uri'), `${issuer}/`);
      assert.ok(
        end.searchParams.get('id_token_hint'),
        'the ID token, kept in its cookie, is sent as the hint',
      );
      await hers.page.getByRole('button', { name: 'Yes, sign me out' }).click();

      // The provider sends her back to the app's sign-in page.
      await hers.page.waitForURL((url) => url.origin === other?.issuer);
      await hers.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await hers.page.getByRole('link', { name: 'Sign in with single sign-on' }).waitFor();
      assert.equal(new URL(hers.page.url()).pathname, '/sign-in');

      // Signed out here: the session is gone, and a reload asks for a sign-in still.
      const session = await hers.context.request.get('/api/admin/session');
      assert.equal(session.status(), 401);
      await hers.page.reload();
      await hers.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();

      // Signed out at the provider: signing in again asks for her login there, and then signs her in.
      hers.watch.step = 'paula-again';
      await signInAtProvider(hers.page, 'paula', through);
      await hers.page.getByRole('banner').getByText('Signed in as paula (viewer)').waitFor();

      // By default (the suite's server, OPERATOR_SSO_SIGN_OUT unset) the provider's session outlives the sign-out:
      // the next sign-in comes back signed in with no question there.
      const alices = await browserAt();
      opened.push(alices.context);
      alices.watch.step = 'alice-here';
      const atProvider: string[] = [];
      alices.page.on('framenavigated', (frame) => {
        if (frame === alices.page.mainFrame() && new URL(frame.url()).origin === provider.issuer)
          atProvider.push(new URL(frame.url()).pathname);
      });
      await alices.page.goto('/');
      await signInAtProvider(alices.page, 'alice');
      await alices.page.getByRole('banner').getByText('Signed in as alice (viewer)').waitFor();
      await alices.page.getByRole('button', { name: 'Sign out' }).click();
      await alices.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      assert.equal(
        new URL(alices.page.url()).origin,
        suite.server.issuer,
        'no visit to the provider to sign out',
      );
      assert.equal((await alices.context.request.get('/api/admin/session')).status(), 401);
      assert.ok(
        atProvider.some((path) => path.startsWith('/interaction/')),
        `the first sign-in was at the provider's sign-in page: ${atProvider.join(', ')}`,
      );
      atProvider.length = 0;
      await alices.page.getByRole('link', { name: SIGN_IN_WITH }).click();
      await alices.page.getByRole('banner').getByText('Signed in as alice (viewer)').waitFor();
      assert.deepEqual(
        atProvider.filter((path) => path.startsWith('/interaction/')),
        [],
        'no sign-in page at the provider the second time',
      );

      // The only console errors: the session checks while signed out (401), before each sign-in and on the way
      // back from the provider.
      assert.deepEqual(
        hers.watch.unexpected({
          paula: [refusedStatus('401')],
          'paula-sign-out': [refusedStatus('401')],
        }),
        [],
      );
      assert.deepEqual(alices.watch.unexpected({ 'alice-here': [refusedStatus('401')] }), []);
    } finally {
      for (const context of opened) await context.close();
      await other?.stop();
      await signingOut.close();
    }
  });

  test("signing out at the provider's own page ends the session here too (back-channel logout); another operator's stays", async () => {
    await suite.server.server.runtime.services.operators.createOperator('bruno', null, 'viewer');
    const opened: BrowserContext[] = [];
    try {
      // alice signs in through the provider, and bruno in another browser.
      const hers = await browserAt();
      opened.push(hers.context);
      hers.watch.step = 'back-channel';
      await hers.page.goto('/');
      await signInAtProvider(hers.page, 'alice');
      await hers.page.getByRole('banner').getByText('Signed in as alice (viewer)').waitFor();
      const his = await browserAt();
      opened.push(his.context);
      his.watch.step = 'back-channel-other';
      await his.page.goto('/');
      await signInAtProvider(his.page, 'bruno');
      await his.page.getByRole('banner').getByText('Signed in as bruno (viewer)').waitFor();

      // With the app still open, alice signs out at the provider itself, in another tab (its portal, say): its
      // sign-out page, "Yes, sign me out". The provider posts the logout token to the server before it answers.
      const sent = provider.backChannelLogouts.length;
      const atProvider = await hers.context.newPage();
      const atProviderWatch = new ConsoleWatch(atProvider);
      atProviderWatch.step = 'provider-sign-out';
      await atProvider.goto(`${provider.issuer}/session/end`);
      await atProvider.getByRole('button', { name: 'Yes, sign me out' }).click();
      await atProvider.getByText('Your sign-out').filter({ hasText: 'was successful' }).waitFor();
      assert.deepEqual(provider.backChannelLogouts.slice(sent), [{ ok: true }], 'the server answered 200');
      assert.deepEqual(atProviderWatch.unexpected(), []);
      assert.ok(
        (await hers.context.cookies()).some((cookie) => cookie.name === 'orch_session'),
        'the browser keeps its session cookie: the server is the one to end the session',
      );

      // Back in the app, the next call the page makes finds her session gone (401): the app asks her to sign in.
      await hers.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Operators' })
        .click();
      await hers.page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await hers.page.getByText('Your session has ended. Sign in again.').waitFor();
      assert.equal((await hers.context.request.get('/api/admin/session')).status(), 401);
      // Opened again, the app shows the sign-in page still.
      await atProvider.goto(`${suite.server.issuer}/`);
      await atProvider.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await atProvider.getByRole('link', { name: SIGN_IN_WITH }).waitFor();

      // bruno, signed in at the provider in his own browser, stays signed in here; so does alice in the browser
      // she signed in with before (the suite's): the logout token named only the provider's session of this one.
      await his.page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Operators' })
        .click();
      await his.page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
      await his.page.getByRole('banner').getByText('Signed in as bruno (viewer)').waitFor();
      assert.equal((await his.context.request.get('/api/admin/session')).status(), 200);
      assert.equal((await suite.context.request.get('/api/admin/session')).status(), 200);

      // The admin finds the ending in the audit log (the admin API), done by the provider to alice's one session.
      const audit = await http('/api/admin/audit?operator=alice', { headers: { cookie: adminCookie } });
      assert.equal(audit.status, 200, await audit.clone().text());
      const events = (await audit.json()) as {
        action: string;
        actor: string;
        detail: Record<string, unknown>;
      }[];
      assert.deepEqual(
        events
          .filter((e) => e.action === 'operator.sessions-ended')
          .map(({ actor, detail }) => ({ actor, detail })),
        [
          {
            actor: 'single sign-on provider',
            detail: { username: 'alice', sessions: 1, by: 'back-channel logout' },
          },
        ],
      );

      // The only console errors: the session checks before signing in (401), and the call that found hers gone.
      assert.deepEqual(hers.watch.unexpected({ 'back-channel': [refusedStatus('401')] }), []);
      assert.deepEqual(his.watch.unexpected({ 'back-channel-other': [refusedStatus('401')] }), []);
    } finally {
      for (const context of opened) await context.close();
    }
  });

  test('no console errors but the ones asked for, and no accessibility violation (axe-core, any impact)', () => {
    // The session check before signing in (401).
    assert.deepEqual(suite.watch.unexpected({ 'sign-in': [refusedStatus('401')] }), []);
    suite.assertAccessible([
      'operators-sso-groups',
      'operators-sso-only',
      'sign-in-sso',
      'sign-in-sso-error',
      'sign-in-sso-only',
      'your-sessions-sso',
    ]);
  });
});

/**
 * The provider's development pages ask for a web font on the Internet and for a favicon it does not have: both are
 * answered empty in `context`, so that the tests go nowhere outside and the console says nothing of them.
 */
async function quietProvider(context: BrowserContext, at: string): Promise<void> {
  await context.route(/^https:\/\/fonts\.(googleapis|gstatic)\.com\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: '' }),
  );
  await context.route(`${at}/favicon.ico`, (route) =>
    route.fulfill({ status: 200, contentType: 'image/x-icon', body: '' }),
  );
}
