import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CopyCheckError,
  type CopyReport,
  copySqliteToPostgres,
  TargetNotEmptyError,
} from '../adapters/postgres/copy-from-sqlite.js';
import { openPostgres } from '../adapters/postgres/database.js';
import { DataDirLockedError, lockDataDir } from '../adapters/sqlite/data-dir-lock.js';
import { openSqlite } from '../adapters/sqlite/database.js';
import { policyLogFileFor } from '../adapters/sqlite/policy-log-file.js';
import { createSqliteStore, SQLITE_FILE } from '../adapters/sqlite/store.js';
import type { Config } from '../config/config.js';
import { loadMasterKey, masterKeyFile, StartupError } from '../main.js';
import { unopenedSealedValues } from '../services/master-key.js';

export interface StoreCopyOptions {
  /** `--to`: the PostgreSQL database to copy into (checked by the caller: a postgres:// URL). */
  to: string;
  /** `--without-policy-logs`: leave the policy log (7 days of evaluations) behind. */
  policyLogs: boolean;
}

/** The URL as it may be shown: without its password, in the user part or in the query. */
export function shownUrl(raw: string): string {
  const url = new URL(raw);
  if (url.password) url.password = '***';
  if (url.searchParams.has('password')) url.searchParams.set('password', '***');
  return url.toString();
}

/**
 * `orchestrator store copy --to postgres://…`: moves a node from the embedded store to PostgreSQL. Holds
 * the data folder's lock throughout (a server writing meanwhile would be refused; one already running makes
 * the command refuse), brings the folder's schema up to date, checks that the master key opens every sealed
 * secret (the PostgreSQL nodes will need that key), then copies everything in one PostgreSQL transaction.
 */
export async function storeCopyCommand(
  config: Config,
  options: StoreCopyOptions,
  json: boolean,
): Promise<number> {
  const file = join(config.dataDir, SQLITE_FILE);
  if (!existsSync(file)) throw new StartupError(`there is no SQLite store to copy in ${config.dataDir}`);
  if (!config.masterKey && !existsSync(masterKeyFile(config.dataDir)))
    throw new StartupError(
      `no master key: neither ORCHESTRATOR_MASTER_KEY nor ${masterKeyFile(config.dataDir)}; the secrets ` +
        'in the store cannot be checked, and the PostgreSQL nodes would not open them',
    );

  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError)
      throw new StartupError(
        `a server is running on ${config.dataDir}: stop it first, so that the copy holds everything it wrote`,
      );
    throw error;
  }
  try {
    const masterKey = loadMasterKey(config);
    // Opening the store applies what migrations the folder lacks (the lock keeps servers away meanwhile).
    const store = createSqliteStore(file);
    try {
      const unopened = await unopenedSealedValues(store.sealedValues, [masterKey]);
      if (unopened.length > 0)
        throw new StartupError(
          `the master key does not open ${unopened.length} secret(s) in this store (${unopened
            .slice(0, 3)
            .map((u) => `${u.kind} of ${u.owner}`)
            .join(', ')}${unopened.length > 3 ? ', …' : ''}); give the key the store was made with (in the ` +
            'middle of a master key rotation, finish it first: orchestrator master-key rotate)',
        );
    } finally {
      await store.close();
    }

    const main = openSqlite(file);
    const log = openSqlite(policyLogFileFor(file));
    const pool = openPostgres(options.to, { maxConnections: 1, applicationName: 'orchestrator store copy' });
    const progress = progressLine();
    let report: CopyReport;
    try {
      report = await copySqliteToPostgres({ main, log }, pool, {
        policyLogs: options.policyLogs,
        // On a terminal only: elsewhere (a pipe, a CI log) the rewritten line would pile up.
        ...(json || !process.stderr.isTTY ? {} : { progress: progress.show }),
      });
    } catch (error) {
      if (error instanceof TargetNotEmptyError) throw new StartupError(error.message);
      if (error instanceof CopyCheckError)
        throw new StartupError(
          `the copy to PostgreSQL was checked and rolled back, nothing was written: ${error.message}`,
        );
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && error instanceof Error)
        throw new StartupError(`the copy to PostgreSQL failed and wrote nothing (${code}: ${error.message})`);
      throw error;
    } finally {
      progress.end();
      await pool.end().catch(() => {});
      log.close();
      main.close();
    }
    const shown = shownUrl(options.to);
    const keyPlace = config.masterKey
      ? 'the ORCHESTRATOR_MASTER_KEY given to this command'
      : `the key in ${masterKeyFile(config.dataDir)}`;
    process.stdout.write(
      json
        ? `${JSON.stringify({ to: shown, tables: Object.fromEntries(report.tables.map((t) => [t.table, t.rows])), nulReplaced: report.nulReplaced })}\n`
        : [
            `copied ${config.dataDir} into ${shown}:`,
            ...report.tables.map((t) => `  ${t.table.padEnd(20)} ${t.rows}`),
            ...(report.nulReplaced > 0
              ? [`  ${report.nulReplaced} text value(s) held a NUL character: written with U+FFFD instead`]
              : []),
            '',
            `Start the nodes with DATABASE_URL set to that database, ORCHESTRATOR_MASTER_KEY set to ${keyPlace},`,
            'and ISSUER set to the address clients use (the issuer tokens were issued under, to keep them valid).',
            `This folder is left as it was; keep it, with its key, until the new nodes serve (docs/operations.md).`,
            '',
          ].join('\n'),
    );
    return 0;
  } finally {
    lock.release();
  }
}

/** One line on the console that says how far the copy is, rewritten in place; `end` closes it. */
function progressLine(): { show(table: string, rows: number): void; end(): void } {
  let last = 0;
  return {
    show(table, rows) {
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      process.stderr.write(`\rcopying ${table}: ${rows} rows   `);
    },
    end() {
      if (last > 0) process.stderr.write('\n');
    },
  };
}
