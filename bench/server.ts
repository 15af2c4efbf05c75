/**
 * One server process of the benchmark: `baseline` (a bare Fastify hello-world) or a named scenario on the
 * full node. Prints one JSON line `{port, request}` on stdout once ready. The runner sets:
 *   BENCH_DATA_DIR      the node's data folder (SQLite file); a temporary folder when absent
 *   BENCH_DATABASE_URL  run on PostgreSQL instead of SQLite
 *   BENCH_REDIS_URL     share rate limits and invalidations through Redis
 *   BENCH_MASTER_KEY    base64 master key, the same for every node over one database (random when absent)
 *   BENCH_REQUEST       JSON request from the first node: a second node over the same database skips the
 *                       scenario's setup (which already ran) and repeats that request
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../src/config/config.js';
import { buildServer } from '../src/http/server.js';
import { openRuntime } from '../src/main.js';
import type { BenchRequest } from './scenario.js';
import { scenarios } from './scenarios/index.js';

/** Statements sent to PostgreSQL and commands sent to Redis by this process, for the report. */
const sent = { postgres: 0, redis: 0 };

/** Counts every call of `method` on `target` (the clients the node's adapters use are these classes). */
function countCalls(target: object, method: string, count: () => void): void {
  const original = Reflect.get(target, method) as (...args: unknown[]) => unknown;
  Reflect.set(target, method, function (this: unknown, ...args: unknown[]) {
    count();
    return original.apply(this, args);
  });
}
countCalls(pg.Client.prototype, 'query', () => sent.postgres++);
countCalls(Redis.prototype, 'sendCommand', () => sent.redis++);

async function baseline(): Promise<void> {
  const app = Fastify({ logger: false });
  app.get('/hello', async () => ({ hello: 'world' }));
  await listen(app, { method: 'GET', path: '/hello' });
}

async function scenario(name: string): Promise<void> {
  const chosen = scenarios.find((s) => s.name === name);
  if (!chosen) throw new Error(`unknown scenario ${name}`);
  if (chosen.bare) {
    const app = Fastify({ logger: false });
    const request = chosen.bare(app);
    await listen(app, request);
    return;
  }
  const env = process.env;
  const config = loadConfig({
    DATA_DIR: env.BENCH_DATA_DIR || temporaryDataDir(),
    LOG_LEVEL: 'warn',
    ORCHESTRATOR_MASTER_KEY: env.BENCH_MASTER_KEY || randomBytes(32).toString('base64'),
    ORCHESTRATOR_ADMIN_PASSWORD: 'bench-admin-password',
    ...(env.BENCH_DATABASE_URL
      ? { DATABASE_URL: env.BENCH_DATABASE_URL, ISSUER: 'http://127.0.0.1:8080' }
      : {}),
    ...(env.BENCH_REDIS_URL ? { REDIS_URL: env.BENCH_REDIS_URL } : {}),
    // Passed through: compare where tokens are signed and the policy log written (e.g. SIGNING_THREADS=true
    // or POLICY_LOG_THREAD=false with --no-pin).
    ...(env.SIGNING_THREADS ? { SIGNING_THREADS: env.SIGNING_THREADS } : {}),
    ...(env.POLICY_LOG_THREAD ? { POLICY_LOG_THREAD: env.POLICY_LOG_THREAD } : {}),
    ...chosen.env,
    PORT: '0',
  });
  const runtime = await openRuntime(config, process.stderr, 'server');
  const app = await buildServer(runtime.services, {
    logger: runtime.logger,
    trustProxy: false,
    extraRoutes: chosen.routes ? [chosen.routes] : [],
  });
  const request = env.BENCH_REQUEST
    ? (JSON.parse(env.BENCH_REQUEST) as BenchRequest)
    : await chosen.setup(runtime.services);
  await listen(app, request);
}

/** A data folder of this process's own (profile.js gives none), removed when the process exits. */
function temporaryDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Listens on a free port and tells the runner where, and what to ask. */
async function listen(app: FastifyInstance, request: BenchRequest): Promise<void> {
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
// The runner asks for this process's CPU time (and statement counts) over IPC: CPU time per request is a
// steadier measure than requests per second on a machine whose other core is busy.
// Never outlive the runner, even when it dies without cleaning up.
process.on('disconnect', () => process.exit(0));
process.on('message', (message) => {
  if (message === 'cpu') process.send?.({ ...process.cpuUsage(), loop: eventLoopCpu(), ...sent });
});

/**
 * CPU time of this process's main thread (the event loop), in microseconds, from Linux's per-thread
 * scheduler statistics; undefined elsewhere. Differs from the process's when work runs on other threads
 * (the policy log's thread, signing on the thread pool, the garbage collector's helpers).
 */
function eventLoopCpu(): number | undefined {
  try {
    const nanoseconds = Number(
      readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0],
    );
    return Number.isFinite(nanoseconds) ? nanoseconds / 1000 : undefined;
  } catch {
    return undefined;
  }
}
