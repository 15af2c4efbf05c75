import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import pg from 'pg';
import {
  LOG_ENTRIES_TABLE,
  MAIN_TABLES,
  NOT_COPIED,
  OUTLINES,
  POSTGRES_ONLY_COLUMNS,
} from '../../src/adapters/postgres/copy-from-sqlite.js';
import { migratePostgres, openPostgres } from '../../src/adapters/postgres/database.js';
import { postgresMigrations } from '../../src/adapters/postgres/store.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import { loadConfig } from '../../src/config/config.js';
import { uuid7 } from '../../src/core/uuid7.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { postgresAdmin, postgresUnavailable, postgresUrl, uniqueName } from '../contract/servers.js';
import { cliEnv, runCli } from '../helpers/cli.js';
import { tempFolders } from '../helpers/folders.js';
import { freePort } from '../helpers/server.js';

const folder = tempFolders('store-copy');
const ISSUER = 'https://orchestrator.example.test';
const ADMIN_PASSWORD = 'store-copy-admin-password';
const ACCOUNT = 'acme-copy';

/** The command runs on the SQLite store in DATA_DIR, whatever this process's DATABASE_URL says. */
const cli = (env: Record<string, string>, ...args: string[]) =>
  runCli(cliEnv({ DATABASE_URL: undefined, ...env }), ...args);

const quiet = () =>
  new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });

async function node(env: Record<string, string>): Promise<RunningServer> {
  const port = await freePort();
  return startServer(
    loadConfig({
      PORT: String(port),
      HOST: '127.0.0.1',
      ISSUER,
      ORCHESTRATOR_ADMIN_PASSWORD: ADMIN_PASSWORD,
      LOG_LEVEL: 'warn',
      ...env,
    }),
    quiet(),
  );
}

async function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: unknown } = {},
) {
  const response = await fetch(`${base}${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : null };
}

async function tokenFor(base: string, userId: string, password: string, scope: string): Promise<string> {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${userId}:${password}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }).toString(),
  });
  assert.equal(response.status, 200);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** Everything a client and an operator see of the account, to compare before and after the move. */
async function observe(base: string, seen: Seen) {
  const bearer = { authorization: `Bearer ${seen.token}` };
  const ops = { authorization: `Bearer ${seen.operatorToken}` };
  return {
    v1: await call(base, `/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`, {
      headers: { 'maven-api-key': seen.key },
    }),
    v2: (await call(base, `/v2/context/document/${ACCOUNT}/orchestrator/conv-1`, { headers: bearer })).body,
    policies: await call(base, '/v2/policies', { headers: { authorization: `Bearer ${seen.policyToken}` } }),
    nextAction: (
      await call(base, '/v2/policy/nextaction', {
        method: 'POST',
        headers: bearer,
        body: { accountId: ACCOUNT, conversationId: 'conv-1' },
      })
    ).body,
    authorization: (await call(base, `/api/admin/accounts/${ACCOUNT}/api-authorization`, { headers: ops }))
      .body,
    logs: (
      await call(base, `/api/admin/accounts/${ACCOUNT}/policy-logs?conversationId=conv-1`, { headers: ops })
    ).body,
    audit: (await call(base, `/api/admin/audit?accountId=${ACCOUNT}`, { headers: ops })).body,
    jwks: (await call(base, '/.well-known/jwks.json')).body,
  };
}

interface Seen {
  key: string;
  userId: string;
  password: string;
  token: string;
  revoked: string;
  policyToken: string;
  operatorToken: string;
}

describe('orchestrator store copy: from the embedded store to PostgreSQL', async () => {
  const unavailable = await postgresUnavailable();
  const masterKey = randomBytes(32).toString('base64');
  const databases: string[] = [];
  let dataDir = '';
  let seen: Seen;
  let before1: Awaited<ReturnType<typeof observe>>;

  /** The SQLite node's folder and key: what the copy reads. */
  const sourceEnv = () => ({ DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: masterKey });
  const newDatabase = async () => {
    const name = uniqueName('store_copy_');
    await postgresAdmin(`CREATE DATABASE ${name}`);
    databases.push(name);
    const url = new URL(postgresUrl);
    url.pathname = `/${name}`;
    return url.toString();
  };

  before(async () => {
    if (unavailable) return;
    dataDir = folder();
    const sqlite = await node({ DATA_DIR: dataDir, ORCHESTRATOR_MASTER_KEY: masterKey });
    try {
      const { services } = sqlite.runtime;
      await services.accounts.create(ACCOUNT);
      const key = await services.apiKeys.reveal(ACCOUNT);
      const client = await services.clients.reveal(ACCOUNT);
      assert.ok(key && client);
      await services.tokens.issueTestToken(ACCOUNT, client.userId);
      const operatorToken = (await services.operators.createApiToken('admin', 'ops\u0000bot', 365)).token;
      const base = sqlite.url;
      const token = await tokenFor(
        base,
        client.userId,
        client.password,
        'context:read context:write next-actions',
      );
      const revoked = await tokenFor(base, client.userId, client.password, 'context:read');
      const policyToken = await tokenFor(
        base,
        client.userId,
        client.password,
        'policies:read policies:write',
      );
      seen = {
        key: key.key,
        userId: client.userId,
        password: client.password,
        token,
        revoked,
        policyToken,
        operatorToken,
      };
      const revocation = await fetch(`${base}/oauth/revoke`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.userId}:${client.password}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({ token: revoked }).toString(),
      });
      assert.equal(revocation.status, 200);
      const patched = await call(base, `/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`, {
        method: 'PATCH',
        headers: { 'maven-api-key': key.key },
        body: { intent: 'billing', tier: 'gold', note: 'é 😀' },
      });
      assert.equal(patched.status, 204);
      for (const [name, enabled] of [
        ['gold to billing', true],
        ['never', false],
      ] as const) {
        const created = await call(base, '/v2/policies', {
          method: 'POST',
          headers: { authorization: `Bearer ${policyToken}` },
          body: {
            name,
            enabled,
            expression: "orchestrator.intent == 'billing' and orchestrator.tier == 'gold'",
            actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: name === 'never' ? '0' : '12345' } }],
          },
        });
        assert.equal(created.status, 201);
      }
      before1 = await observe(base, seen);
      assert.equal(before1.logs.length, 1, 'the next action above was logged');
    } finally {
      await sqlite.stop();
    }
  });

  after(async () => {
    for (const name of databases) await postgresAdmin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  test('a node on the copy serves the same keys, tokens, documents, policies, logs and audit', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const url = await newDatabase();
    const copied = await cli(sourceEnv(), 'store', 'copy', '--to', url, '--json');
    assert.equal(copied.code, 0, copied.stderr);
    const report = JSON.parse(copied.stdout) as { tables: Record<string, number>; nulReplaced: number };
    assert.equal(report.tables.accounts, 1);
    assert.equal(report.tables.policy_log_entries, 1);
    assert.equal(report.tables.revoked_tokens, 1);
    assert.equal(report.nulReplaced, 1, "the operator token's name held a NUL");
    assert.ok(!copied.stdout.includes(masterKey) && !copied.stderr.includes(masterKey));

    const moved = await node({
      DATA_DIR: folder(),
      DATABASE_URL: url,
      ORCHESTRATOR_MASTER_KEY: masterKey,
    });
    try {
      const after1 = await observe(moved.url, seen);
      // The next action just asked was logged too: two entries now, the first one as it was.
      assert.equal(after1.logs.length, 2);
      assert.deepEqual(after1.logs[1], before1.logs[0]);
      // Viewing the secrets is audited: the events before the move are the oldest ones now.
      assert.deepEqual(after1.audit.slice(-before1.audit.length), before1.audit);
      assert.ok(before1.audit.length >= 1);
      assert.equal(after1.v1.status, 200);
      assert.deepEqual(after1.v1.body, { intent: 'billing', tier: 'gold', note: 'é 😀' });
      assert.deepEqual(after1.v2.payload, before1.v2.payload);
      assert.equal(after1.policies.status, 200);
      assert.deepEqual(after1.policies.body, before1.policies.body);
      assert.equal(after1.policies.headers.get('etag'), before1.policies.headers.get('etag'));
      assert.deepEqual(after1.nextAction, before1.nextAction);
      assert.deepEqual(after1.jwks, before1.jwks);
      assert.deepEqual(after1.authorization.credentials, before1.authorization.credentials);
      assert.equal(after1.authorization.apiKey.key, seen.key);
      assert.deepEqual(after1.authorization.testToken, before1.authorization.testToken);
      assert.equal(after1.nextAction[0]?.payload?.skillId, '12345');
      // The token revoked on SQLite stays revoked; the test token still opens the API.
      const refused = await call(moved.url, `/v2/context/document/${ACCOUNT}/orchestrator/conv-1`, {
        headers: { authorization: `Bearer ${seen.revoked}` },
      });
      assert.equal(refused.status, 401);
      const testToken = after1.authorization.testToken.token as string;
      const withTest = await call(moved.url, `/v2/context/document/${ACCOUNT}/orchestrator/conv-1`, {
        headers: { authorization: `Bearer ${testToken}` },
      });
      assert.equal(withTest.status, 200);
      // The operator signs in with the password it had, and the credentials still get tokens.
      const signIn = await call(moved.url, '/api/admin/login', {
        method: 'POST',
        body: { username: 'admin', password: ADMIN_PASSWORD },
      });
      assert.equal(signIn.status, 200);
      await tokenFor(moved.url, seen.userId, seen.password, 'context:read');
    } finally {
      await moved.stop();
    }

    // The target now holds data: a second copy is refused and changes nothing.
    const again = await cli(sourceEnv(), 'store', 'copy', '--to', url);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds data \(accounts: 1/);
  });

  test('refused before anything is written: wrong master key, running server, bad arguments', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const url = await newDatabase();
    const env = sourceEnv();
    const wrongKey = await cli(
      { ...env, ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64') },
      'store',
      'copy',
      '--to',
      url,
    );
    assert.equal(wrongKey.code, 1);
    assert.match(wrongKey.stderr, /master key does not open \d+ secret/);

    const running = await node({ ...env, DATA_DIR: dataDir });
    try {
      const locked = await cli(env, 'store', 'copy', '--to', url);
      assert.equal(locked.code, 1);
      assert.match(locked.stderr, /a server is running on .*: stop it first/);
    } finally {
      await running.stop();
    }

    assert.equal((await cli(env, 'store', 'copy')).code, 2);
    assert.equal((await cli(env, 'store', 'copy', '--to', 'mysql://x/y')).code, 2);
    assert.equal((await cli(env, 'store', 'copy', '--to', url, '--force')).code, 2);
    const empty = await cli({ ...env, DATA_DIR: folder() }, 'store', 'copy', '--to', url);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no SQLite store to copy/);

    // None of the refusals above wrote to the target (not even its schema).
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query(
        "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'",
      );
      assert.equal(rows[0].n, 0);
    } finally {
      await client.end();
    }
  });

  test('a copy that fails half-way leaves the target empty, and runs again once mended', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const url = await newDatabase();
    const env = sourceEnv();
    // SQLite keeps any value in any column; PostgreSQL refuses this one after the earlier tables were written.
    const main = new Database(join(dataDir, 'orchestrator.db'));
    const mend = (size: unknown) =>
      main
        .prepare("UPDATE context_documents SET size = ? WHERE account_id = ? AND session_id = 'conv-1'")
        .run(size, ACCOUNT);
    const size = (
      main.prepare('SELECT size FROM context_documents WHERE account_id = ?').get(ACCOUNT) as { size: number }
    ).size;
    try {
      mend('lots');
      const failed = await cli(env, 'store', 'copy', '--to', url);
      assert.equal(failed.code, 1);
      assert.match(failed.stderr, /the copy to PostgreSQL failed and wrote nothing \(22P02: /);
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const table of ['accounts', 'api_keys', 'signing_keys', 'operators', 'audit_events'])
          assert.equal((await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 0, table);
      } finally {
        await client.end();
      }
      mend(size);
      const again = await cli(env, 'store', 'copy', '--to', url, '--without-policy-logs', '--json');
      assert.equal(again.code, 0, again.stderr);
      const report = JSON.parse(again.stdout) as { tables: Record<string, number> };
      assert.equal(report.tables.accounts, 1);
      assert.equal(report.tables.context_documents, 1);
      assert.equal(report.tables.policy_log_entries, undefined, 'the log was left behind');
    } finally {
      mend(size);
      main.close();
    }
  });

  test('a node started on the database during the copy waits for it, and finds it whole', async (t) => {
    if (unavailable) return t.skip(unavailable);
    // A folder of its own, with a log long enough for the copy to take a moment.
    const source = folder();
    const key = randomBytes(32).toString('base64');
    const sqlite = await node({ DATA_DIR: source, ORCHESTRATOR_MASTER_KEY: key });
    await sqlite.runtime.services.accounts.create('acme-during');
    await sqlite.stop();
    const store = createSqliteStore(join(source, 'orchestrator.db'));
    const at = Date.now() - 60_000;
    for (let batch = 0; batch < 100; batch++)
      await store.policyLogs.appendPolicyLogs(
        Array.from({ length: 1_000 }, (_, i) => ({
          id: uuid7(at + batch, randomBytes(10)),
          accountId: 'acme-during',
          conversationId: `conv-${i}`,
          at: at + batch,
          evaluationId: `evaluation-${batch}-${i}`,
          outlineId: 'outline-1',
          results: 'T',
          reasons: [],
          matchedPolicyId: null,
        })),
      );
    await store.close();

    const url = await newDatabase();
    const copying = cli(
      { DATA_DIR: source, ORCHESTRATOR_MASTER_KEY: key },
      'store',
      'copy',
      '--to',
      url,
      '--json',
    );
    // Once the schema is committed, an exclusive table lock held by the command is the copy's own.
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    try {
      for (let tries = 0; ; tries++) {
        assert.ok(tries < 1_000, 'the copy never held its locks');
        const migrated = await watcher
          .query('SELECT count(*)::int AS n FROM schema_migrations')
          .then((r) => r.rows[0].n === postgresMigrations.length)
          .catch(() => false);
        const { rows } = await watcher.query(
          `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
           WHERE a.application_name = 'orchestrator store copy' AND l.mode = 'AccessExclusiveLock' AND l.granted`,
        );
        if (migrated && rows[0].n > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    } finally {
      await watcher.end();
    }
    const starting = node({ DATA_DIR: folder(), DATABASE_URL: url, ORCHESTRATOR_MASTER_KEY: key });
    const [copied, moved] = await Promise.all([copying, starting]);
    try {
      assert.equal(copied.code, 0, copied.stderr);
      assert.equal(JSON.parse(copied.stdout).tables.policy_log_entries, 100_000);
      // The node made no operator or signing key of its own: it found the copied ones.
      const counts = await moved.runtime.services.ctx.store.accounts.listAccounts();
      assert.deepEqual(
        counts.map((a) => a.accountId),
        ['acme-during'],
      );
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        for (const table of ['operators', 'signing_keys'])
          assert.equal((await client.query(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n, 1, table);
      } finally {
        await client.end();
      }
    } finally {
      await moved.stop();
    }
  });

  test('every column of every SQLite table is copied, or named as not copied', async (t) => {
    if (unavailable) return t.skip(unavailable);
    const main = new Database(join(dataDir, 'orchestrator.db'), { readonly: true });
    const log = new Database(join(dataDir, 'policy-logs.db'), { readonly: true });
    const url = await newDatabase();
    const pool = openPostgres(url);
    try {
      await migratePostgres(pool, postgresMigrations);
      const sqliteColumns = (db: Database.Database, table: string) =>
        (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as { name: string }[])
          .map((c) => c.name)
          .sort();
      const postgresColumns = async (table: string) =>
        (
          await pool.query<{ column_name: string }>(
            'SELECT column_name FROM information_schema.columns WHERE table_name = $1',
            [table],
          )
        ).rows
          .map((r) => r.column_name)
          .filter((c) => !(POSTGRES_ONLY_COLUMNS[table] ?? []).includes(c))
          .sort();
      const tables = (db: Database.Database) =>
        (
          db
            .prepare(
              "SELECT name FROM sqlite_master WHERE type = 'table' AND substr(name, 1, 7) <> 'sqlite_'",
            )
            .all() as { name: string }[]
        ).map((r) => r.name);
      for (const table of tables(main)) {
        const copied = MAIN_TABLES.find((c) => c.name === table);
        if (!copied) {
          assert.ok(NOT_COPIED[table], `main file table ${table} is neither copied nor named as not copied`);
          continue;
        }
        assert.deepEqual([...copied.columns].sort(), sqliteColumns(main, table), `${table}: SQLite columns`);
        assert.deepEqual(
          [...copied.columns].sort(),
          await postgresColumns(table),
          `${table}: PostgreSQL columns`,
        );
      }
      for (const copied of MAIN_TABLES) assert.ok(tables(main).includes(copied.name), copied.name);
      const hourTables = tables(log).filter((n) => /^policy_log(s_h|_hour_)\d+$/.test(n));
      assert.ok(hourTables.length > 0);
      const entryColumns = await postgresColumns(LOG_ENTRIES_TABLE);
      for (const table of [...hourTables, 'policy_logs'])
        for (const column of entryColumns)
          assert.ok(sqliteColumns(log, table).includes(column), `${table}.${column}`);
      assert.deepEqual([...OUTLINES.columns].sort(), sqliteColumns(log, OUTLINES.name));
      assert.deepEqual([...OUTLINES.columns].sort(), await postgresColumns(OUTLINES.name));
      for (const table of tables(log))
        assert.ok(
          table === OUTLINES.name ||
            table === 'policy_logs' ||
            hourTables.includes(table) ||
            NOT_COPIED[table],
          `log file table ${table} is neither copied nor named as not copied`,
        );
    } finally {
      main.close();
      log.close();
      await pool.end();
    }
  });
});
