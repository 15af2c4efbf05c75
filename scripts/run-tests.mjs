// Runs every test file under test/ with node's test runner, TypeScript loaded through tsx.
// Usage: node scripts/run-tests.mjs [substring filter ...]
// Tests that start the server or the CLI as a process run the build in dist/ (as users do, and twice as quick
// to start as the sources through tsx): it is built first when a source under src/ is newer.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

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
// A file that has not finished after 5 minutes (the longest, the browser suites, take under 2) fails with its
// name, rather than hold the whole run until CI's limit: a hang once sat idle in one file until it was stopped.
const FILE_TIMEOUT_MS = 300_000;
const result = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-concurrency=2',
    `--test-timeout=${FILE_TIMEOUT_MS}`,
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'test' } },
);
process.exit(result.status ?? 1);
