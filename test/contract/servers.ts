import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

/** The PostgreSQL and Redis servers the contract and multi-node suites use when they are reachable. */
export const postgresUrl = process.env.DATABASE_URL_TEST ?? 'postgres://postgres@127.0.0.1:5432/test';
export const redisUrl = process.env.REDIS_URL_TEST ?? 'redis://127.0.0.1:6379';

/** A name no other test run uses at the same time (schemas, channels, key prefixes). */
export const uniqueName = (prefix: string): string => `${prefix}${randomBytes(6).toString('hex')}`;

const cache = new Map<string, Promise<string | null>>();
const once = (key: string, probe: () => Promise<string | null>) => {
  let found = cache.get(key);
  if (!found) {
    found = probe();
    cache.set(key, found);
  }
  return found;
};

/** In CI (or when asked) a missing server fails the suites instead of skipping them, so they surely ran. */
const serversRequired = process.env.CI === 'true' || process.env.REQUIRE_SERVICES === '1';

const printed = new Set<string>();
const report = (reason: string | null): string | null => {
  if (reason && serversRequired) throw new Error(`${reason}; CI/REQUIRE_SERVICES demand it`);
  if (reason && !printed.has(reason)) {
    printed.add(reason);
    console.log(`skipping: ${reason}`);
  }
  return reason;
};

/** Why PostgreSQL suites cannot run here, or null when the server answers. */
export function postgresUnavailable(): Promise<string | null> {
  return once('postgres', async () => {
    // Generous: the probe's timer also runs while other suites of the same file keep the event loop busy.
    const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 10_000 });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return null;
    } catch (error) {
      return `PostgreSQL not reachable at DATABASE_URL_TEST (${(error as Error).message})`;
    } finally {
      await client.end().catch(() => {});
    }
  }).then(report);
}

/** Why Redis suites cannot run here, or null when the server answers. */
export function redisUnavailable(): Promise<string | null> {
  return once('redis', async () => {
    const redis = new Redis(redisUrl, {
      lazyConnect: true,
      connectTimeout: 2_000,
      retryStrategy: () => null,
    });
    let cause = '';
    redis.on('error', (error: Error) => {
      cause = error.message;
    });
    try {
      await redis.connect();
      await redis.ping();
      return null;
    } catch (error) {
      return `Redis not reachable at REDIS_URL_TEST (${cause || (error as Error).message})`;
    } finally {
      redis.disconnect();
    }
  }).then(report);
}

/** Runs one statement on its own connection (for set-up and tear-down outside the code under test). */
export async function postgresAdmin(sql: string, params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Resolves once `condition` holds; rejects after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
