import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { sha256Of } from '../adapters/sqlite/backup.js';
import { POLICY_LOG_FILE, policyLogFileFor } from '../adapters/sqlite/policy-log-file.js';
import { policyLogMigrations } from '../adapters/sqlite/policy-migrations.js';
import {
  createSqliteStore,
  pendingMigrationsIn,
  SQLITE_FILE,
  sqliteMigrations,
} from '../adapters/sqlite/store.js';
import type { Config } from '../config/config.js';
import { masterKeyFile, readMasterKeyFile, StartupError } from '../main.js';
import { MANIFEST, parseManifest } from '../services/backups.js';
import { unopenedSealedValues } from '../services/master-key.js';

export interface Check {
  name: 'files' | 'integrity' | 'schema' | 'master key' | 'contents';
  ok: boolean;
  detail: string;
}

/**
 * `orchestrator store verify --from DIR`: can a node be started from this backup, with this master key? Reads
 * the backup and changes nothing in it: the files are checked against the manifest (`backup.json`: sizes and
 * SHA-256), copied into a temporary folder, and the copies checked by SQLite (`integrity_check`), brought to
 * this version's schema as a node's start would, and opened with the master key, every sealed secret of them.
 * Exit 0 when every check passes, 1 otherwise.
 */
export async function storeVerifyCommand(config: Config, from: string, json: boolean): Promise<number> {
  const folder = resolve(from);
  if (!existsSync(join(folder, SQLITE_FILE)))
    throw new StartupError(`${folder} holds no ${SQLITE_FILE}: give a backup's folder`);
  const keys = verifyingKeys(config, folder);
  const checks: Check[] = [filesCheck(folder)];
  const work = mkdtempSync(join(tmpdir(), 'orchestrator-verify-'));
  try {
    const files = [SQLITE_FILE, POLICY_LOG_FILE].filter((file) => existsSync(join(folder, file)));
    for (const file of files) copyFileSync(join(folder, file), join(work, file));
    const damaged = files
      .map((file) => ({ file, result: integrity(join(work, file)) }))
      .filter((f) => f.result !== 'ok');
    checks.push({
      name: 'integrity',
      ok: damaged.length === 0,
      detail:
        damaged.length === 0
          ? `SQLite finds ${files.join(' and ')} whole (integrity_check)`
          : damaged.map((d) => `${d.file}: ${d.result}`).join('; '),
    });
    if (damaged.length === 0)
      checks.push(...(await openedChecks(join(work, SQLITE_FILE), keys.keys, keys.from)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const ok = checks.every((check) => check.ok);
  process.stdout.write(
    json
      ? `${JSON.stringify({ folder, ok, checks })}\n`
      : `${[
          ...checks.map((c) => `${c.ok ? 'ok    ' : 'FAILED'} ${c.name}: ${c.detail}`),
          ok
            ? `A node can start from ${folder} with this master key.`
            : `Do not count on ${folder}: a check failed.`,
        ].join('\n')}\n`,
  );
  return ok ? 0 : 1;
}

/**
 * The keys to try: ORCHESTRATOR_MASTER_KEY (and _PREVIOUS), else a `master.key` in the backup's folder (a
 * folder made ready for a restore), else DATA_DIR's. Never made up: a backup is checked with the key it needs.
 */
function verifyingKeys(config: Config, folder: string): { keys: Buffer[]; from: string } {
  const previous = config.previousMasterKey ? [config.previousMasterKey] : [];
  if (config.masterKey) return { keys: [config.masterKey, ...previous], from: 'ORCHESTRATOR_MASTER_KEY' };
  for (const file of [masterKeyFile(folder), masterKeyFile(config.dataDir)])
    if (existsSync(file)) return { keys: [readMasterKeyFile(file), ...previous], from: file };
  throw new StartupError(
    `no master key to check the backup with: set ORCHESTRATOR_MASTER_KEY, or put master.key in ${folder} or in DATA_DIR`,
  );
}

/** The files against the manifest, when there is one. */
function filesCheck(folder: string): Check {
  let text: string;
  try {
    text = readFileSync(join(folder, MANIFEST), 'utf8');
  } catch {
    return {
      name: 'files',
      ok: true,
      detail: `no ${MANIFEST} (not made by store backup or a scheduled backup): sizes and checksums not checked`,
    };
  }
  const backup = parseManifest(text, folder);
  if (!backup || backup.files.length === 0)
    return { name: 'files', ok: false, detail: `${MANIFEST} is not a backup manifest` };
  const wrong: string[] = [];
  for (const file of backup.files) {
    const path = join(folder, file.name);
    if (!existsSync(path)) wrong.push(`${file.name} is missing`);
    else if (statSync(path).size !== file.bytes)
      wrong.push(`${file.name} has ${statSync(path).size} bytes, not ${file.bytes}`);
    else if (sha256Of(path) !== file.sha256) wrong.push(`${file.name} does not match its SHA-256`);
  }
  return {
    name: 'files',
    ok: wrong.length === 0,
    detail:
      wrong.length === 0
        ? `${backup.files.map((f) => f.name).join(' and ')} as ${MANIFEST} lists them (sizes, SHA-256), taken ${new Date(backup.createdAt).toISOString()}`
        : wrong.join('; '),
  };
}

function integrity(file: string): string {
  try {
    const db = new Database(file, { fileMustExist: true });
    try {
      const rows = db.pragma('integrity_check') as { integrity_check: string }[];
      const problems = rows.map((row) => row.integrity_check).filter((line) => line !== 'ok');
      return problems.length === 0 ? 'ok' : problems.slice(0, 3).join('; ');
    } finally {
      db.close();
    }
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** Opens the copy as a node would (migrating it), then tries the key on every sealed secret. */
async function openedChecks(file: string, keys: Buffer[], keyFrom: string): Promise<Check[]> {
  const pending = [
    ...pendingMigrationsIn(file, sqliteMigrations),
    // A backup without the policy log: a node makes a new one, which is not an upgrade.
    ...(existsSync(policyLogFileFor(file))
      ? pendingMigrationsIn(policyLogFileFor(file), policyLogMigrations)
      : []),
  ];
  let store: ReturnType<typeof createSqliteStore>;
  try {
    store = createSqliteStore(file, { moveOldPolicyLogs: false });
  } catch (error) {
    return [
      {
        name: 'schema',
        ok: false,
        detail: `a node could not open it: ${error instanceof Error ? error.message : String(error)}`,
      },
    ];
  }
  try {
    const schema: Check = {
      name: 'schema',
      ok: true,
      detail:
        pending.length === 0
          ? 'the schema of this version'
          : `from an earlier version: a node applies ${pending.length} migration(s) at start (tried on a copy)`,
    };
    const unopened = await unopenedSealedValues(store.sealedValues, keys);
    const key: Check = {
      name: 'master key',
      ok: unopened.length === 0,
      detail:
        unopened.length === 0
          ? `the key from ${keyFrom} opens every sealed secret`
          : `the key from ${keyFrom} does not open ${unopened.length} sealed secret(s) (${unopened
              .slice(0, 3)
              .map((u) => `${u.kind} of ${u.owner}`)
              .join(', ')}${unopened.length > 3 ? ', …' : ''}): give the key the backup was made with`,
    };
    const accounts = await store.accounts.listAccounts();
    const contents: Check = {
      name: 'contents',
      ok: true,
      detail: `${accounts.length} account(s)${
        accounts.length > 0
          ? `: ${accounts
              .slice(0, 5)
              .map((a) => a.accountId)
              .join(', ')}${accounts.length > 5 ? ', …' : ''}`
          : ''
      }`,
    };
    return [schema, key, contents];
  } finally {
    await store.close();
  }
}
