import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT, upToDate } from '../helpers/build.js';
import { startTestServer } from '../helpers/server.js';

export { ROOT } from '../helpers/build.js';

/**
 * Screenshots are taken only when asked, as they check nothing and cost about 0.4 s each: to docs/screenshots with
 * `UPDATE_SCREENSHOTS=1 npm test` (so that a plain test run leaves the working tree as it found it), or to a folder
 * under the system's temporary directory with `SAVE_SCREENSHOTS=1` (to look at the pages of a run); else none.
 */
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : process.env.SAVE_SCREENSHOTS === '1'
      ? join(tmpdir(), 'orchestrator-screenshots')
      : null;
const WEB_SOURCE = join(ROOT, 'src', 'web', 'app');
const WEB_BUILD = join(ROOT, 'dist', 'web', 'index.html');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Builds dist/web (as `npm run build` does) when it is missing or older than the web app's sources. */
export async function ensureWebBuild(): Promise<void> {
  if (upToDate(WEB_BUILD, WEB_SOURCE)) return;
  const { build } = await import('vite');
  await build({ configFile: join(WEB_SOURCE, 'vite.config.ts'), logLevel: 'error' });
}

/** Debian's Chromium, or a failure that says how to install it: the browser tests never skip silently. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `Chromium was not found at ${CHROMIUM}. The browser tests need Debian's Chromium: ` +
        'run `apt-get update && apt-get install -y chromium` (CI does this in .ci/run), or set CHROMIUM_PATH.',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Every console error, page error and CSP violation of a page, by the step it happened in. */
export class ConsoleWatch {
  readonly errors: { step: string; text: string }[] = [];
  step = 'start';

  constructor(page: Page) {
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') {
        this.errors.push({ step: this.step, text: `${message.type()}: ${message.text()}` });
      }
    });
    page.on('pageerror', (error) =>
      this.errors.push({ step: this.step, text: `page error: ${error.message}` }),
    );
  }

  /** The errors of `step` that `expected` does not explain, and all errors of the other steps. */
  unexpected(expected: Record<string, RegExp[]> = {}): string[] {
    return this.errors
      .filter((e) => !(expected[e.step] ?? []).some((pattern) => pattern.test(e.text)))
      .map((e) => `[${e.step}] ${e.text}`);
  }
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (through the DevTools protocol, which the page's CSP does not govern) and returns
 * its violations of every impact, described for an assertion message. The issue asks for no serious or
 * critical one; the pages have none of any impact, and the moderate rules are the ones that check that
 * headings and landmarks are in order, so every violation counts.
 */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  // Once per document (650 kB to send and compile): the app's own navigations keep it, a load starts without it.
  if (!(await page.evaluate(`typeof axe !== 'undefined'`))) await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: this project's TypeScript has no DOM types outside the web app.
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  )) as AxeViolation[];
  return violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
  );
}

/** Saves a full-page screenshot as <SCREENSHOTS>/<name>.png, when screenshots are asked for. */
export async function screenshot(page: Page, name: string): Promise<void> {
  if (SCREENSHOTS === null) return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: 'disabled' });
}

export async function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL,
    viewport: { width: 1200, height: 900 },
    locale: 'en-GB',
    timezoneId: 'UTC',
    reducedMotion: 'reduce',
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: baseURL });
  return context;
}

/** The text in the clipboard of the page's browser. */
export function readClipboard(page: Page): Promise<string> {
  return page.evaluate('navigator.clipboard.readText()') as Promise<string>;
}

/** The console's line for a request the server refused with `status` (a pattern: `'401'`, `'(401|403)'`). */
export function refusedStatus(status: string): RegExp {
  return new RegExp(`Failed to load resource: the server responded with a status of ${status} `);
}

/**
 * Chromium for the test file: launched by its first browser suite, shared by the others (each has a context of its
 * own, isolated from the others'), and closed once the file's tests are done.
 */
let fileChromium: Promise<Browser> | undefined;
after(async () => {
  await (await fileChromium?.catch(() => undefined))?.close();
});

/** A server of the tests' own, as startTestServer answers it. */
export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

export interface BrowserSuiteOptions {
  /**
   * The server's environment, with LOG_LEVEL=warn unless it says otherwise. A function when it depends on what an
   * earlier `before` of the describe set up (a provider's issuer, say): it is called in the suite's `before`.
   */
  env?: Record<string, string> | (() => Record<string, string>);
  /** startTestServer's options (`localhostIssuer`, `port`); a function for the same reason as `env`. */
  serverOptions?: Parameters<typeof startTestServer>[1] | (() => Parameters<typeof startTestServer>[1]);
  /** Run on the suite's browser context before its page opens: routes, say, that must answer the first request. */
  prepareContext?: (context: BrowserContext) => Promise<void>;
}

/**
 * What a describe of browser tests shares: its server, Chromium, a browser context at the server's ISSUER with one
 * page, the watch on that page's console, and what axe-core found on each view checked. They exist once the
 * suite's `before` has run, so they are read through getters, in the tests and the hooks that follow.
 */
export interface BrowserSuite {
  readonly server: TestServer;
  readonly browser: Browser;
  readonly context: BrowserContext;
  readonly page: Page;
  readonly watch: ConsoleWatch;
  /** axe-core findings, by view. */
  readonly accessibility: Record<string, string[]>;
  /** A request to the suite's server, outside the browser. */
  http(path: string, init?: RequestInit): Promise<Response>;
  /** Checks the page (the suite's, unless told) with axe-core and, when asked, saves its screenshot as `name`. */
  checked(name: string, on?: Page, picture?: boolean): Promise<void>;
  /** No view checked had a violation of any impact, and the views checked are `views` (any order). */
  assertAccessible(views: string[]): void;
}

/**
 * Registers, in the describe it is called in, the `before` that builds the web app, starts Chromium (the file's, once)
 * and the server, and opens a page in a context of its own; and the `after` that closes the context and stops the
 * server, whatever got opened.
 * The describe's own hooks run after these when registered after this call, before them when registered before
 * (as a suite does that must start something the server's environment names).
 */
export function browserSuite(options: BrowserSuiteOptions = {}): BrowserSuite {
  let server: TestServer | undefined;
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let watch: ConsoleWatch | undefined;
  const accessibility: Record<string, string[]> = {};
  /** A value of the suite, or a failure that says the suite's `before` has not (or not wholly) run. */
  const ready = <T>(value: T | undefined, name: string): T => {
    if (value === undefined)
      throw new Error(`the browser suite's ${name} is not there: its before did not run`);
    return value;
  };

  before(async () => {
    await ensureWebBuild();
    fileChromium ??= launchChromium();
    browser = await fileChromium;
    const env = typeof options.env === 'function' ? options.env() : (options.env ?? {});
    const serverOptions =
      typeof options.serverOptions === 'function' ? options.serverOptions() : options.serverOptions;
    server = await startTestServer({ LOG_LEVEL: 'warn', ...env }, serverOptions);
    // ISSUER is the server's URL unless `localhostIssuer` makes it http://localhost:<port>, as passkeys need.
    context = await newContext(browser, server.issuer);
    await options.prepareContext?.(context);
    page = await context.newPage();
    watch = new ConsoleWatch(page);
  });

  after(async () => {
    await context?.close();
    await server?.stop();
  });

  const suite: BrowserSuite = {
    get server() {
      return ready(server, 'server');
    },
    get browser() {
      return ready(browser, 'browser');
    },
    get context() {
      return ready(context, 'context');
    },
    get page() {
      return ready(page, 'page');
    },
    get watch() {
      return ready(watch, 'watch');
    },
    accessibility,
    http: (path, init = {}) => fetch(`${suite.server.url}${path}`, init),
    checked: async (name, on = suite.page, picture = false) => {
      await on.waitForLoadState('networkidle');
      accessibility[name] = await accessibilityViolations(on);
      if (picture) await screenshot(on, name);
    },
    assertAccessible: (views) => {
      for (const [name, findings] of Object.entries(accessibility)) assert.deepEqual(findings, [], name);
      assert.deepEqual(Object.keys(accessibility).sort(), [...views].sort());
    },
  };
  return suite;
}
