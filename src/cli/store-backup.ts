import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { copySqliteFile, sqliteBackupCopies } from '../adapters/sqlite/backup.js';
import { SQLITE_FILE } from '../adapters/sqlite/store.js';
import type { Config } from '../config/config.js';
import { masterKeyFile, StartupError } from '../main.js';
import { MANIFEST, writeManifest } from '../services/backups.js';

export interface StoreBackupOptions {
  /** `--to`: the folder to write the copies into (made if missing; must not hold a backup already). */
  to: string;
  /** `--without-policy-logs`: copy the main file only. */
  policyLogs: boolean;
}

/**
 * `orchestrator store backup --to DIR`: a consistent copy of the SQLite store, taken beside a running
 * server (copySqliteFile: `VACUUM INTO`, mode 0600, checked, with its SHA-256). The master key is not
 * copied: it is backed up apart (docs/operations.md).
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
  const copies = sqliteBackupCopies(source, folder, options.policyLogs);
  for (const file of [...copies.map((copy) => copy.to), join(folder, MANIFEST)])
    if (existsSync(file))
      throw new StartupError(`${file} exists already: back up into a new or empty folder`);
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const createdAt = Date.now();
  const written = copies.map((copy) => ({ file: copy.to, ...copySqliteFile(copy) }));
  // The same manifest as a scheduled backup's, for `store verify`.
  const files = written.map(({ name, bytes, sha256 }) => ({ name, bytes, sha256 }));
  await writeManifest(folder, { createdAt, files, policyLogs: options.policyLogs });
  process.stdout.write(
    json
      ? `${JSON.stringify({ files: written })}\n`
      : [
          ...written.map((w) => `wrote ${w.file} (${w.bytes} bytes, SHA-256 ${w.sha256})`),
          `wrote ${join(folder, MANIFEST)} (check the backup with: orchestrator store verify --from ${folder})`,
          `The master key is not in the backup: keep ${config.masterKey ? 'ORCHESTRATOR_MASTER_KEY' : masterKeyFile(config.dataDir)} apart, a backup cannot be read without it.`,
          '',
        ].join('\n'),
  );
  return 0;
}
