import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { ROOT, upToDate } from '../helpers/build.js';

export { ROOT } from '../helpers/build.js';

/**
 * Screenshots go to docs/screenshots only when asked (`UPDATE_SCREENSHOTS=1 npm test`), so that a test run
 * leaves the working tree as it found it; otherwise to a folder under the system's temporary directory.
 */
export const SCREENSHOTS =
  process.env.UPDATE_SCREENSHOTS === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : join(tmpdir(), 'orchestrator-screenshots');
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
  await page.evaluate(AXE_SOURCE);
  // A string, evaluated in the page: this project's TypeScript has no DOM types outside the web app.
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then((result) =>
      result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) })))`,
  )) as AxeViolation[];
  return violations.map(
    (v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`,
  );
}

/** Saves a full-page screenshot as <SCREENSHOTS>/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
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
