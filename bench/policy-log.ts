/**
 * The policy log's SQLite store once it holds a week of entries, as a node that has run for a week has it:
 *
 *   node dist-bench/bench/policy-log.js [--entries 2000000] [--rounds 3]
 *
 * Fills a log file in a temporary folder with `--entries` entries spread evenly over 7 days, each with a
 * random conversation id among ten accounts, written in batches as the node writes them. Then, each round,
 * measures the CPU time per entry of what the node does from then on: appending batches of 800 entries
 * (50 ms of a busy node) at the end of the week, and purging the entries of the week's first hours as the
 * daily purge would. The baseline beside it, in the same file and round, is appending to a table without
 * the indexes a search needs: what writing the entries costs at the least. Prints one JSON line per round
 * and the medians.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPolicyLogDatabase } from '../src/adapters/sqlite/policy-log-file.js';
import { SqlitePolicyLogStore } from '../src/adapters/sqlite/policy-stores.js';
import { uuid7 } from '../src/core/uuid7.js';
import type { PolicyLogEntry } from '../src/ports/policy-store.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const total = option('--entries', 2_000_000);
const rounds = option('--rounds', 3);
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

const cpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const dir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-log-'));
try {
  const db = openPolicyLogDatabase(join(dir, 'policy-logs.db'));
  const store = new SqlitePolicyLogStore(db);
  db.exec(`CREATE TABLE floor (id TEXT, account_id TEXT, conversation_id TEXT, at INTEGER, evaluation_id TEXT,
    outline_id TEXT, results TEXT, reasons TEXT, matched_policy_id TEXT)`);
  const floorInsert = db.prepare('INSERT INTO floor VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const appendFloor = db.transaction((batch: PolicyLogEntry[]) => {
    for (const e of batch)
      floorInsert.run(
        e.id,
        e.accountId,
        e.conversationId,
        e.at,
        e.evaluationId,
        e.outlineId,
        e.results,
        JSON.stringify(e.reasons),
        e.matchedPolicyId,
      );
  });

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
  let purgedUpTo = start;
  for (let round = 0; round < rounds; round++) {
    // Appending: 50 batches at the end of the week, alternating with the floor's.
    let appendCpu = 0;
    let floorCpu = 0;
    for (let b = 0; b < 50; b++) {
      const batch = entries(BATCH, (i) => now + i * step);
      now += BATCH * step;
      let t = cpu();
      await store.appendPolicyLogs(batch);
      appendCpu += cpu() - t;
      const copy = entries(BATCH, (i) => now + i * step);
      t = cpu();
      appendFloor(copy);
      floorCpu += cpu() - t;
    }
    // Purging: the next 4 hours of the week's start, in the maintenance's batches of 1,000.
    purgedUpTo += 4 * HOUR;
    let purged = 0;
    const t = cpu();
    for (;;) {
      const n = await store.purgePolicyLogsBefore(purgedUpTo, 1_000);
      purged += n;
      if (n < 1_000) break;
    }
    const purgeCpu = cpu() - t;
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
      medianAppendUsPerEntry: +append.toFixed(2),
      medianFloorUsPerEntry: +floor.toFixed(2),
      appendOverFloor: +(append / floor).toFixed(2),
      medianPurgeUsPerEntry: +purge.toFixed(2),
    }),
  );
  db.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
