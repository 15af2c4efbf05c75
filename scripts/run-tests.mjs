// Runs every test file under test/ with node's test runner.
// Usage: node scripts/run-tests.mjs [substring filter ...]
// Tests that start the server or the CLI as a process run the build in dist/ (as users do, and twice as quick
// to start as the sources through tsx): it is built first when a source under src/ is newer.
// The test files themselves, and the sources they import, run as JavaScript that esbuild writes to .test-build/
// (well under a second for the whole tree, types not checked: `npm run typecheck` does that). Through tsx's
// loader each of the ~100 test processes spent most of a second more starting: about 40 s of a whole run.
// A single file still runs from its sources with `node --import tsx --test test/….test.ts`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join, relative } from 'node:path';
import { build } from 'esbuild';

function collectTs(dir, suffix = '.ts') {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collectTs(path, suffix));
    else if (name.endsWith(suffix)) out.push(path);
  }
  return out;
}
const collect = (dir) => collectTs(dir, '.test.ts');

// The web app (src/web/app) is not part of the server's build: the browser tests build it on their own.
const WEB_APP = join('src', 'web', 'app');

function newest(dir) {
  let at = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (path === WEB_APP) continue;
    const stat = statSync(path);
    at = Math.max(at, stat.isDirectory() ? newest(path) : stat.mtimeMs);
  }
  return at;
}

const built = join('dist', 'cli', 'main.js');
if (!existsSync(built) || statSync(built).mtimeMs < newest('src')) {
  console.log('building dist/ (a source is newer than the build)');
  const build = spawnSync(
    process.execPath,
    [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'],
    {
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const filters = process.argv.slice(2);
const files = collect('test')
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error('no test files matched');
  process.exit(1);
}

// Every TypeScript file of the server (not the web app, which the browser tests build with vite), the tests
// and the bench, one JavaScript file each, at the same place under .test-build/<this run's process id>/: written
// afresh for each run and removed after it, so two runs at once (a developer's and an editor's) never rewrite each
// other's files, and a removed source leaves nothing behind. Folders of runs that ended without removing theirs
// (killed) go at the next run. What the tests read beside them by their own address (the fixtures, dist/ for the
// web app's build) is linked.
const BUILDS = '.test-build';
const OUT = join(BUILDS, String(process.pid));
const alive = (pid) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
};
if (existsSync(BUILDS))
  for (const name of readdirSync(BUILDS))
    if (!/^\d+$/.test(name) || !alive(Number(name)))
      rmSync(join(BUILDS, name), { recursive: true, force: true });
const sources = ['src', 'test', 'bench'].flatMap((dir) =>
  collectTs(dir).filter((f) => !f.startsWith(`${WEB_APP}/`) && !f.endsWith('.d.ts')),
);
await build({
  entryPoints: sources,
  outdir: OUT,
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'inline',
  tsconfig: 'tsconfig.json',
  logLevel: 'warning',
});
for (const linked of [join('test', 'fixtures'), 'dist']) {
  symlinkSync(relative(join(OUT, linked, '..'), linked), join(OUT, linked));
}
const builtFiles = files.map((f) => join(OUT, f.replace(/\.ts$/, '.js')));
// A file that has not finished after 5 minutes (the longest, the browser suites, take under 2) fails with its
// name, rather than hold the whole run until CI's limit: a hang once sat idle in one file until it was stopped.
const FILE_TIMEOUT_MS = 300_000;
const result = spawnSync(
  process.execPath,
  [
    '--enable-source-maps',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    ...builtFiles,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
rmSync(OUT, { recursive: true, force: true });
process.exit(result.status ?? 1);
