/**
 * What a scheduled backup costs a busy SQLite node:
 *
 *   node dist-bench/bench/backup.js [--documents 50000] [--log-entries 300000] [--rounds 3] [--seconds 4]
 *
 * Fills a data folder (`--documents` v1 context documents of one account, `--log-entries` policy log
 * entries over the last day), starts a server on it (`orchestrator start`, compiled, BACKUP_DIR in a
 * temporary folder) and, each round, loads a v1 context read (50 connections) for `--seconds` twice: once
 * quiet, once while an operator asks for backups back to back (POST /api/admin/backups). Reports per round
 * the requests per second and p50/p99 latency of both, their ratio, and how long each backup took, then
 * medians. The server is not pinned: the backup's thread may use the other core, as on a node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/config.js';
import { uuid7 } from '../src/core/uuid7.js';
import { openRuntime } from '../src/main.js';
import type { PolicyLogEntry } from '../src/ports/policy-store.js';
import { load } from './runner.js';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const documents = option('--documents', 50_000);
const logEntries = option('--log-entries', 300_000);
const rounds = option('--rounds', 3);
const seconds = option('--seconds', 4);
const ACCOUNT = 'bench-backup';
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

async function fill(env: Record<string, string>): Promise<{ key: string; operatorToken: string }> {
  const runtime = await openRuntime(loadConfig(env));
  try {
    const { services } = runtime;
    await services.operators.bootstrap(env.ORCHESTRATOR_ADMIN_PASSWORD);
    const operatorToken = (await services.operators.createApiToken('admin', 'bench', null)).token;
    await services.accounts.create(ACCOUNT);
    const key = (await services.apiKeys.reveal(ACCOUNT))?.key ?? '';
    for (let i = 0; i < documents; i++)
      await services.context.mergeProperties(
        { accountId: ACCOUNT, namespace: 'orchestrator', sessionId: `conv-${i}` },
        { intent: 'billing', customerTier: 'gold', visits: i, tags: ['vip', 'returning'] },
        30 * 86_400,
      );
    const now = Date.now();
    for (let done = 0; done < logEntries; done += 1_000) {
      const batch: PolicyLogEntry[] = Array.from({ length: Math.min(1_000, logEntries - done) }, (_, j) => {
        const at = now - 86_400_000 + Math.floor(((done + j) * 86_400_000) / logEntries);
        return {
          id: uuid7(at, randomBytes(10)),
          accountId: ACCOUNT,
          conversationId: `conv-${(done + j) % Math.max(documents, 1)}`,
          at,
          evaluationId: uuid7(at, randomBytes(10)),
          outlineId: 'outline-1',
          results: 'F999T',
          reasons: [],
          matchedPolicyId: 'policy-1000',
        };
      });
      await services.ctx.store.policyLogs.appendPolicyLogs(batch);
    }
    return { key, operatorToken };
  } finally {
    await runtime.close();
  }
}

function startNode(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['dist-bench/src/cli/main.js', 'start'], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 60_000;
    const poll = async () => {
      try {
        if ((await fetch(`http://127.0.0.1:${env.PORT}/readyz`)).ok) return resolve(child);
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || child.exitCode !== null)
        return reject(new Error('the node did not start'));
      setTimeout(poll, 100);
    };
    void poll();
  });
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orchestrator-bench-backup-'));
  const backupDir = join(dataDir, '..', `${dataDir.split('/').pop()}-backups`);
  const port = 20_000 + Math.floor(Math.random() * 20_000);
  const env = {
    DATA_DIR: dataDir,
    PORT: String(port),
    ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64'),
    ORCHESTRATOR_ADMIN_PASSWORD: 'bench-backup-admin-password',
    LOG_LEVEL: 'warn',
  };
  let node: ChildProcess | undefined;
  try {
    const filling = performance.now();
    const { key, operatorToken } = await fill(env);
    console.log(
      `filled: ${documents} documents, ${logEntries} log entries in ${((performance.now() - filling) / 1000).toFixed(1)} s`,
    );
    node = await startNode({ ...env, BACKUP_DIR: backupDir, BACKUP_KEEP: '2' });
    const admin = { authorization: `Bearer ${operatorToken}` };
    // The first backup runs at start (the folder is empty): wait for it.
    for (;;) {
      const status = (await (
        await fetch(`http://127.0.0.1:${port}/api/admin/backups`, { headers: admin })
      ).json()) as {
        backups: { bytes: number }[];
        running: boolean;
      };
      if (status.backups.length > 0 && !status.running) {
        console.log(`backup size: ${(status.backups[0]?.bytes ?? 0) / 1e6} MB`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const request = {
      method: 'GET' as const,
      path: `/v1/account/${ACCOUNT}/orchestrator/conv-1/properties`,
      headers: { 'maven-api-key': key },
    };
    await load(port, request, 2, 50); // warm-up
    const rows: { quiet: number; busy: number; p99q: number; p99b: number; durations: number[] }[] = [];
    for (let round = 1; round <= rounds; round++) {
      const quiet = await load(port, request, seconds, 50);
      let backingUp = true;
      const durations: number[] = [];
      const backups = (async () => {
        while (backingUp) {
          const began = performance.now();
          const made = await fetch(`http://127.0.0.1:${port}/api/admin/backups`, {
            method: 'POST',
            headers: admin,
          });
          if (made.status !== 201) throw new Error(`backup answered ${made.status}: ${await made.text()}`);
          durations.push(performance.now() - began);
        }
      })();
      const busy = await load(port, request, seconds, 50);
      backingUp = false;
      await backups;
      if (quiet.errors + busy.errors > 0) throw new Error('requests failed');
      const row = { quiet: quiet.rps, busy: busy.rps, p99q: quiet.p99, p99b: busy.p99, durations };
      rows.push(row);
      console.log(
        JSON.stringify({
          round,
          quietRps: Math.round(quiet.rps),
          duringBackupRps: Math.round(busy.rps),
          ratio: +(busy.rps / quiet.rps).toFixed(2),
          p50: [quiet.p50, busy.p50],
          p99: [quiet.p99, busy.p99],
          backupsMs: durations.map(Math.round),
        }),
      );
    }
    console.log(
      `medians over ${rounds} rounds: quiet ${Math.round(median(rows.map((r) => r.quiet)))} req/s, during backups ` +
        `${Math.round(median(rows.map((r) => r.busy)))} req/s (ratio ${median(rows.map((r) => r.busy / r.quiet)).toFixed(2)}), ` +
        `p99 ${median(rows.map((r) => r.p99q))} → ${median(rows.map((r) => r.p99b))} ms, ` +
        `one backup ${Math.round(median(rows.flatMap((r) => r.durations)))} ms`,
    );
  } finally {
    node?.kill('SIGTERM');
    await new Promise((resolve) =>
      node && node.exitCode === null ? node.once('exit', resolve) : resolve(null),
    );
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(backupDir, { recursive: true, force: true });
  }
}

await main();
