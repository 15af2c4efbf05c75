import { chmodSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openSqlite } from '../adapters/sqlite/database.js';
import { POLICY_LOG_FILE } from '../adapters/sqlite/policy-log-file.js';
import { SQLITE_FILE } from '../adapters/sqlite/store.js';
import type { Config } from '../config/config.js';
import { masterKeyFile, StartupError } from '../main.js';

export interface StoreBackupOptions {
  /** `--to`: the folder to write the copies into (made if missing; must not hold a backup already). */
  to: string;
  /** `--without-policy-logs`: copy the main file only. */
  policyLogs: boolean;
}

/**
 * `orchestrator store backup --to DIR`: a consistent copy of the SQLite store, taken beside a running
 * server. Each file is written by `VACUUM INTO`, which reads it in one read transaction (what was committed
 * when it began; the server's writes go on meanwhile) and writes a compact file of its own, mode 0600. The
 * master key is not copied: it is backed up apart (docs/operations.md).
 */
export async function storeBackupCommand(
  config: Config,
  options: StoreBackupOptions,
  json: boolean,
): Promise<number> {
  const source = join(config.dataDir, SQLITE_FILE);
  if (!existsSync(source)) throw new StartupError(`there is no SQLite store to back up in ${config.dataDir}`);
  const folder = resolve(options.to);
  if (folder === resolve(config.dataDir)) throw new StartupError('--to must be another folder than DATA_DIR');
  const files = [SQLITE_FILE, ...(options.policyLogs ? [POLICY_LOG_FILE] : [])];
  for (const file of files)
    if (existsSync(join(folder, file)))
      throw new StartupError(`${join(folder, file)} exists already: back up into a new or empty folder`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });

  const written: { file: string; bytes: number }[] = [];
  for (const file of files) {
    const from = join(config.dataDir, file);
    if (!existsSync(from)) continue; // a node that never wrote its policy log
    const to = join(folder, file);
    const db = openSqlite(from);
    // The copy holds hashed and sealed secrets: readable by this user only from its first byte.
    const umask = process.umask(0o077);
    try {
      db.prepare('VACUUM INTO ?').run(to);
    } catch (error) {
      rmSync(to, { force: true });
      throw error;
    } finally {
      process.umask(umask);
      db.close();
    }
    chmodSync(to, 0o600);
    written.push({ file: to, bytes: statSync(to).size });
  }
  process.stdout.write(
    json
      ? `${JSON.stringify({ files: written })}\n`
      : [
          ...written.map((w) => `wrote ${w.file} (${w.bytes} bytes)`),
          `The master key is not in the backup: keep ${config.masterKey ? 'ORCHESTRATOR_MASTER_KEY' : masterKeyFile(config.dataDir)} apart, a backup cannot be read without it.`,
          '',
        ].join('\n'),
  );
  return 0;
}
