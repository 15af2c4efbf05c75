import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { SERVER_ADMIN_PASSWORD } from '../helpers/server.js';
import { browserSuite, ConsoleWatch, refusedStatus } from './harness.js';

const MINUTE = 60_000;
const WARNING = 'Your session is about to end';

/**
 * The browser's clock is Playwright's, moved forward by hand; the server's is the real one. The app reads the
 * server's times in its own clock (shifted by the server's `Date`), so the server sees seconds pass where the page
 * sees half an hour: its session stays alive, and what the page does at each time is the app's own doing.
 */
describe("the session's end, said before it comes (Chromium, the browser's clock moved)", {
  timeout: 180_000,
}, () => {
  const suite = browserSuite();
  const { http, checked } = suite;
  const warning = (on: Page) => on.getByRole('dialog', { name: WARNING });

  test('two minutes before the idle end a warning counts down; Stay signed in closes it and the session goes on', async () => {
    const { page } = suite;
    suite.watch.step = 'sign-in';
    // The browser's clock ten minutes behind the server's: the app must read the server's times in its own.
    await page.clock.install({ time: Date.now() - 10 * MINUTE });
    await page.goto('/accounts');
    await signIn(page);
    await page.getByText('No accounts yet').waitFor();

    suite.watch.step = 'warning';
    await page.clock.fastForward(27 * MINUTE);
    await settled(page);
    assert.equal(await warning(page).isVisible(), false, 'three minutes before the end: no warning yet');
    await page.clock.fastForward(90_000);
    await warning(page).waitFor();
    await warning(page).getByText('your session ends for inactivity in').waitFor();
    const timer = warning(page).getByRole('timer');
    const shown = (await timer.textContent()) ?? '';
    assert.match(shown, /^1:[0-3]\d$/, 'about a minute and a half left, as m:ss');
    assert.equal(await focusedText(page), 'Stay signed in', 'the main button has the focus');
    await page.clock.fastForward(5_000);
    await page.waitForFunction(
      `document.querySelector('[role="timer"]')?.textContent !== ${JSON.stringify(shown)}`,
    );
    await checked('session-expiry', page, true);

    await warning(page).getByRole('button', { name: 'Stay signed in' }).click();
    await warning(page).waitFor({ state: 'hidden' });
    // The session goes on: the next page loads, and the server still knows the cookie.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
    await page.getByRole('table').getByText('admin', { exact: true }).first().waitFor();
    assert.equal(
      (await http('/api/admin/session', { headers: { cookie: await cookieOf(suite.context) } })).status,
      200,
    );
    await page.clock.fastForward(20 * MINUTE);
    await settled(page);
    assert.equal(await warning(page).isVisible(), false, 'the deadline moved: 20 minutes on, no warning');
  });

  test("another tab's Stay signed in closes this tab's warning, and its requests keep this tab's away", async () => {
    const first = suite.page;
    const second = await suite.context.newPage();
    const secondWatch = new ConsoleWatch(second);
    try {
      suite.watch.step = 'tabs';
      // Opening it is activity: the first tab's end moves with it.
      await second.goto('/accounts');
      await second.getByText('No accounts yet').waitFor();
      await settled(second);
      // Both tabs come to the warning (the clock is the context's).
      await first.clock.fastForward(28 * MINUTE);
      await warning(first).waitFor();
      await warning(second).waitFor();
      await warning(second).getByRole('button', { name: 'Stay signed in' }).click();
      await warning(second).waitFor({ state: 'hidden' });
      await warning(first).waitFor({ state: 'hidden' });

      // Twenty minutes on, the second tab loads a page; nine more, the first has heard of it: no warning.
      await first.clock.fastForward(20 * MINUTE);
      await second.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Operators' }).click();
      await second.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
      await settled(second);
      await first.clock.fastForward(9 * MINUTE);
      await settled(first);
      assert.equal(await warning(first).isVisible(), false, "the second tab's request counts for the first");
      assert.deepEqual(secondWatch.unexpected(), []);
    } finally {
      await second.close();
    }
  });

  test('unanswered, the app signs out at the end, says why, and comes back to the page after the sign-in', async () => {
    const { page } = suite;
    suite.watch.step = 'signed-out';
    const cookie = await cookieOf(suite.context);
    const calls: string[] = [];
    page.on('request', (request) => {
      const { pathname } = new URL(request.url());
      if (pathname.startsWith('/api/')) calls.push(`${request.method()} ${pathname}`);
    });
    await page.clock.fastForward(19 * MINUTE);
    await warning(page).waitFor();
    await page.clock.fastForward(2 * MINUTE);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByText('You were signed out after 30 minutes without activity.').waitFor();
    await settled(page);
    assert.equal(await warning(page).isVisible(), false);
    // The sign-out call, then the sign-in page's own question (is single sign-on set up) — which a loaded machine may
    // send after the network looked idle: waited for, a few seconds at most.
    for (let i = 0; i < 100 && calls.length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 50));
    assert.deepEqual(calls, ['POST /api/admin/logout', 'GET /api/admin/sso']);
    assert.equal(
      (await http('/api/admin/session', { headers: { cookie } })).status,
      401,
      'ended on the server',
    );
    // Nothing left running: an hour on, no call and no warning.
    await page.clock.fastForward(60 * MINUTE);
    await settled(page);
    assert.equal(calls.length, 2);
    assert.equal(await warning(page).isVisible(), false);

    await signIn(page);
    await page.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
    assert.equal(new URL(page.url()).pathname, '/operators', 'back where the operator was');
  });

  test('Sign out in one tab takes the others to the sign-in page, saying so', async () => {
    const second = await suite.context.newPage();
    const secondWatch = new ConsoleWatch(second);
    try {
      suite.watch.step = 'tabs-sign-out';
      await second.goto('/operators');
      await second.getByRole('heading', { level: 1, name: 'Operators' }).waitFor();
      await suite.page.getByRole('button', { name: 'Sign out' }).click();
      await suite.page.getByText('You have signed out.').waitFor();
      await second.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
      await second.getByText('You signed out in another tab.').waitFor();
      await settled(second);
      assert.deepEqual(secondWatch.unexpected(), [], 'the other tab calls nothing on an ended session');
    } finally {
      await second.close();
    }
  });

  test('no console errors, and no accessibility violation in the warning', () => {
    // The only refusal: the session check of the first visit, before the sign-in (401).
    assert.deepEqual(suite.watch.unexpected({ 'sign-in': [refusedStatus('401')] }), []);
    suite.assertAccessible(['session-expiry']);
  });
});

describe("the session's latest end, said five minutes before (1 hour, no idle limit)", {
  timeout: 120_000,
}, () => {
  const suite = browserSuite({
    env: { OPERATOR_SESSION_HOURS: '1', OPERATOR_SESSION_IDLE_MINUTES: '0' },
  });

  test('a notice says when the session ends and to sign in again; at that time the app signs out and says why', async () => {
    const { page } = suite;
    suite.watch.step = 'sign-in';
    await page.clock.install();
    await page.goto('/');
    await signIn(page);
    await page.getByRole('heading', { level: 1, name: 'Accounts' }).waitFor();
    const signedIn = (await page.evaluate('Date.now()')) as number;

    suite.watch.step = 'notice';
    const notice = page.getByRole('status').filter({ hasText: 'Your session ends at' });
    await page.clock.fastForward(54 * MINUTE);
    await settled(page);
    assert.equal(await notice.isVisible(), false, 'six minutes before: no notice');
    await page.clock.fastForward(2 * MINUTE);
    await notice.waitFor();
    await notice.getByText(/Save your work, then sign in again/).waitFor();
    const endsAt = Date.parse((await notice.locator('time').getAttribute('datetime')) ?? '');
    assert.ok(
      Math.abs(endsAt - (signedIn + 60 * MINUTE)) < 10_000,
      `the session's end, an hour after the sign-in (${new Date(endsAt).toISOString()})`,
    );
    assert.equal(
      await page.getByRole('dialog', { name: WARNING }).isVisible(),
      false,
      'no idle limit: no warning',
    );
    await suite.checked('session-end-notice', page, true);

    await page.clock.fastForward(5 * MINUTE);
    await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
    await page.getByText('Your session ended 1 hour after you signed in.').waitFor();
  });

  test('no console errors, and no accessibility violation with the notice', () => {
    assert.deepEqual(suite.watch.unexpected({ 'sign-in': [refusedStatus('401')] }), []);
    suite.assertAccessible(['session-end-notice']);
  });
});

async function signIn(page: Page): Promise<void> {
  await page.getByRole('heading', { level: 1, name: 'Sign in' }).waitFor();
  await page.getByLabel('Username').fill('admin');
  await page.getByLabel('Password').fill(SERVER_ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** What has the focus, in words. */
function focusedText(page: Page): Promise<string | null> {
  return page.evaluate('document.activeElement?.textContent ?? null') as Promise<string | null>;
}

/** The page done with what the last move of the clock set off (its timers ran, its calls answered, it drew). */
async function settled(page: Page): Promise<void> {
  await page.waitForLoadState('networkidle');
}

async function cookieOf(context: BrowserContext): Promise<string> {
  return (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
}
