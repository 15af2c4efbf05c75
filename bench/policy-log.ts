/**
 * The policy log's store once it holds a week of entries, as a node that has run for a week has it:
 *
 *   node dist-bench/bench/policy-log.js [--entries 2000000] [--rounds 3] [--store sqlite|postgres] [--busy-hour N]
 *
 * Fills a log (SQLite: a file in a temporary folder; PostgreSQL: a throw-away schema in DATABASE_URL, by
 * default the local `test` database) with `--entries` entries spread evenly over 7 days, each with a random
 * conversation id among ten accounts, written in batches as the node writes them, and times two searches.
 * Then, each round, measures the CPU time per entry of what the node does from then on: appending batches of
 * 800 entries (50 ms of a busy node) at the end of the week, and purging the week's next day as the
 * maintenance does. With PostgreSQL, CPU time is this process's plus its backends'. The floor beside it, in
 * the same database and round, appends the same entries to a table without indexes: what writing them costs
 * at the least. Prints one JSON line per round and the medians.
 *
 * `--busy-hour N` measures the appending of a busy node instead: N entries (random conversations) are first
 * written into the hour after the week, and every round appends into that same hour, whose conversation index
 * is then large (a node answering 100 calls a second writes 360,000 entries an hour).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createPostgresStore } from '../src/adapters/postgres/store.js';
import { policyLogColumns, policyLogValues } from '../src/adapters/shared/policy-rows.js';
import { openPolicyLogDatabase } from '../src/adapters/sqlite/policy-log-file.js';
import { SqlitePolicyLogStore } from '../src/adapters/sqlite/policy-stores.js';
import { uuid7 } from '../src/core/uuid7.js';
import type { PolicyLogEntry, PolicyLogStore } from '../src/ports/policy-store.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const total = option('--entries', 2_000_000);
const rounds = option('--rounds', 3);
const busyHour = option('--busy-hour', 0);
const BATCH = 800;
const HOUR = 3_600_000;
const WEEK = 7 * 24 * HOUR;
const start = Math.floor(Date.UTC(2026, 0, 5) / HOUR) * HOUR;
const step = WEEK / total;

function entries(count: number, at: (i: number) => number): PolicyLogEntry[] {
  return Array.from({ length: count }, (_, i) => {
    const time = Math.floor(at(i));
    return {
      id: uuid7(time, randomBytes(10)),
      accountId: `acct-${i % 10}`,
      conversationId: randomBytes(12).toString('base64url'),
      at: time,
      evaluationId: uuid7(time, randomBytes(10)),
      outlineId: 'outline-1',
      results: 'F999T',
      reasons: [],
      matchedPolicyId: 'policy-1000',
    };
  });
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

/** The store under test, the floor beside it, and the CPU time (µs) that both spend, this process's included. */
interface Target {
  store: PolicyLogStore;
  appendFloor(batch: PolicyLogEntry[]): Promise<void>;
  cpu(): Promise<number>;
  close(): Promise<void>;
}

const processCpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const FLOOR_TABLE = `CREATE TABLE floor (id TEXT, account_id TEXT, conversation_id TEXT, at BIGINT, evaluation_id TEXT,
  outline_id TEXT, results TEXT, reasons TEXT, matched_policy_id TEXT)`;

function sqliteTarget(): Target {
  const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-log-'));
  const db = openPolicyLogDatabase(join(dir, 'policy-logs.db'));
  db.exec(FLOOR_TABLE);
  const insert = db.prepare('INSERT INTO floor VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const appendFloor = db.transaction((batch: PolicyLogEntry[]) => {
    for (const e of batch) insert.run(...policyLogValues(e));
  });
  return {
    store: new SqlitePolicyLogStore(db),
    appendFloor: async (batch) => appendFloor(batch),
    cpu: async () => processCpu(),
    close: async () => {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** CPU time (µs) of the PostgreSQL backends of this process's connections, from /proc (the server runs here). */
async function backendCpu(admin: pg.Client, applicationName: string): Promise<number> {
  const { rows } = await admin.query<{ pid: number }>(
    'SELECT pid FROM pg_stat_activity WHERE application_name = $1',
    [applicationName],
  );
  let total = 0;
  for (const { pid } of rows) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) * 10_000; // USER_HZ is 100
  }
  return total;
}

async function postgresTarget(url: string): Promise<Target> {
  const schema = `bench_log_${randomBytes(4).toString('hex')}`;
  const applicationName = `orchestrator-bench-log-${schema}`;
  const store = await createPostgresStore(url, { schema, maxConnections: 2, applicationName });
  const floor = new pg.Client({ connectionString: url, application_name: applicationName });
  const admin = new pg.Client({ connectionString: url });
  await floor.connect();
  await admin.connect();
  await floor.query(`SET search_path = ${schema}`);
  await floor.query(FLOOR_TABLE);
  return {
    store: store.policyLogs,
    appendFloor: async (batch) => {
      await floor.query(
        `INSERT INTO floor SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[],
           $6::text[], $7::text[], $8::text[], $9::text[])`,
        policyLogColumns(batch),
      );
    },
    // Each backend's CPU only shows once its process has counted it: read after a round trip to it.
    cpu: async () => processCpu() + (await backendCpu(admin, applicationName)),
    close: async () => {
      await floor.end();
      await store.close();
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

const storeName = args.includes('--store') ? args[args.indexOf('--store') + 1] : 'sqlite';
const target =
  storeName === 'postgres'
    ? await postgresTarget(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
    : sqliteTarget();
try {
  const { store } = target;
  const cpu = () => target.cpu();
  const filling = Date.now();
  let sought: PolicyLogEntry | undefined;
  for (let written = 0; written < total; written += BATCH) {
    const n = Math.min(BATCH, total - written);
    const batch = entries(n, (i) => start + (written + i) * step);
    if (!sought && written >= total / 2) sought = batch[0];
    await store.appendPolicyLogs(batch);
  }
  process.stderr.write(`filled ${total} entries in ${Math.round((Date.now() - filling) / 1000)} s\n`);

  // Searching, as the admin API does over the week: one conversation's entries, and an account's latest 100.
  const searchMs = (filter: { conversationId?: string }) => {
    const times: number[] = [];
    return (async () => {
      for (let i = 0; i < 21; i++) {
        const t = performance.now();
        const found = await store.searchPolicyLogs({
          accountId: sought?.accountId ?? '',
          since: start,
          limit: 100,
          ...filter,
        });
        times.push(performance.now() - t);
        if (found.length === 0) throw new Error('the search found nothing');
      }
      return +median(times).toFixed(2);
    })();
  };
  console.log(
    JSON.stringify({
      searchByConversationMs: await searchMs({ conversationId: sought?.conversationId ?? '' }),
      latestOfAccountMs: await searchMs({}),
    }),
  );

  const results: { append: number; floor: number; purge: number }[] = [];
  let now = start + WEEK;
  // The rounds' appends: spread like the week's, or, with --busy-hour, all in the second half of the busy hour.
  let appendStep = step;
  if (busyHour > 0) {
    const firstHalf = HOUR / 2 / busyHour;
    for (let written = 0; written < busyHour; written += BATCH) {
      const n = Math.min(BATCH, busyHour - written);
      await store.appendPolicyLogs(entries(n, (i) => now + (written + i) * firstHalf));
    }
    now += HOUR / 2;
    appendStep = HOUR / 2 / (rounds * 50 * BATCH);
  }
  let purgedUpTo = start;
  for (let round = 0; round < rounds; round++) {
    // Appending: 50 batches at the end of the week, alternating with the floor's.
    let appendCpu = 0;
    let floorCpu = 0;
    for (let b = 0; b < 50; b++) {
      const batch = entries(BATCH, (i) => now + i * appendStep);
      now += BATCH * appendStep;
      let t = await cpu();
      await store.appendPolicyLogs(batch);
      appendCpu += (await cpu()) - t;
      const copy = entries(BATCH, (i) => now + i * appendStep);
      t = await cpu();
      await target.appendFloor(copy);
      floorCpu += (await cpu()) - t;
    }
    // Purging: the next day of the week's start (PostgreSQL keeps days), in the maintenance's batches of 1,000.
    purgedUpTo += 24 * HOUR;
    let purged = 0;
    const t = await cpu();
    for (;;) {
      const n = await store.purgePolicyLogsBefore(purgedUpTo, 1_000);
      purged += n;
      if (n < 1_000) break;
    }
    const purgeCpu = (await cpu()) - t;
    const row = {
      append: appendCpu / (50 * BATCH),
      floor: floorCpu / (50 * BATCH),
      purge: purged > 0 ? purgeCpu / purged : Number.NaN,
    };
    results.push(row);
    console.log(
      JSON.stringify({
        round: round + 1,
        appendUsPerEntry: +row.append.toFixed(2),
        floorUsPerEntry: +row.floor.toFixed(2),
        purgeUsPerEntry: +row.purge.toFixed(2),
        purged,
      }),
    );
  }
  const append = median(results.map((r) => r.append));
  const floor = median(results.map((r) => r.floor));
  const purge = median(results.map((r) => r.purge));
  console.log(
    JSON.stringify({
      entries: total,
      busyHour,
      medianAppendUsPerEntry: +append.toFixed(2),
      medianFloorUsPerEntry: +floor.toFixed(2),
      appendOverFloor: +(append / floor).toFixed(2),
      medianPurgeUsPerEntry: +purge.toFixed(2),
    }),
  );
} finally {
  await target.close();
}
