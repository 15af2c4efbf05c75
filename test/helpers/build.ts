import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The project's folder: the nearest one above this file with a package.json. This file runs from test/helpers
 * through tsx, or from .test-build/test/helpers as `npm test` runs it (scripts/run-tests.mjs).
 */
function projectRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const ROOT = projectRoot(dirname(fileURLToPath(import.meta.url)));

/** The newest modification time of any file under `dir` but those under `skip` (0 for an empty folder). */
export function newestMtime(dir: string, skip?: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === skip) continue;
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path, skip) : stat.mtimeMs);
  }
  return newest;
}

/** Whether `built` exists and is at least as new as every file under `sources` (but those under `skip`). */
export function upToDate(built: string, sources: string, skip?: string): boolean {
  return existsSync(built) && statSync(built).mtimeMs >= newestMtime(sources, skip);
}

/** The compiled CLI (`npm ci` and the test runner build it); tests run it as `npm start` does. */
export const BUILT_CLI = join(ROOT, 'dist', 'cli', 'main.js');

/**
 * The arguments that run `orchestrator` from dist/ (twice as quick to start as the sources through tsx, and
 * what users run). Throws when a source is newer than the build: `npm test` (scripts/run-tests.mjs) builds
 * first, a test file run on its own must be preceded by `npm run build`.
 */
export function orchestratorArgs(...args: string[]): string[] {
  // The web app is not part of the server's build (the browser tests build it on their own).
  if (!upToDate(BUILT_CLI, join(ROOT, 'src'), join(ROOT, 'src', 'web', 'app')))
    throw new Error('dist/ is older than src/: run the tests with `npm test`, or `npm run build` first');
  return [BUILT_CLI, ...args];
}
