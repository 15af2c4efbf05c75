/**
 * One server process of the benchmark: `baseline` (a bare Fastify hello-world) or a named scenario on the
 * full node (SQLite in a temporary folder, or PostgreSQL when BENCH_DATABASE_URL is set). Prints one JSON
 * line `{port, request}` on stdout once ready.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { loadConfig } from '../src/config/config.js';
import { buildServer } from '../src/http/server.js';
import { openRuntime } from '../src/main.js';
import { scenarios } from './scenarios/index.js';

async function baseline(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, request: { method: 'GET', path: '/hello' } })}\n`);
}

async function scenario(name: string): Promise<void> {
  const chosen = scenarios.find((s) => s.name === name);
  if (!chosen) throw new Error(`unknown scenario ${name}`);
  const dataDir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: 'warn',
    ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHESTRATOR_ADMIN_PASSWORD: 'bench-admin-password',
    ...(process.env.BENCH_DATABASE_URL
      ? { DATABASE_URL: process.env.BENCH_DATABASE_URL, ISSUER: 'http://127.0.0.1:8080' }
      : {}),
    ...(process.env.BENCH_REDIS_URL ? { REDIS_URL: process.env.BENCH_REDIS_URL } : {}),
    PORT: '0',
  });
  const runtime = await openRuntime(config, process.stderr);
  const app = await buildServer(runtime.services, {
    logger: runtime.logger,
    trustProxy: false,
    extraRoutes: chosen.routes ? [chosen.routes] : [],
  });
  const request = await chosen.setup(runtime.services);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port, request })}\n`);
}

const name = process.argv[2] ?? 'baseline';
(name === 'baseline' ? baseline() : scenario(name)).catch((error: unknown) => {
  process.stderr.write(`bench server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
// Exit normally on SIGTERM so `--cpu-prof` can write its profile.
process.on('SIGTERM', () => process.exit(0));
// The runner asks for this process's CPU time over IPC: CPU time per request is a steadier measure than
// requests per second on a machine whose other core is busy.
process.on('message', (message) => {
  if (message === 'cpu') process.send?.(process.cpuUsage());
});
