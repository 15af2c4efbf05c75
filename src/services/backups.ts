import { access, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupCommandConfig } from '../config/config.js';
import { AppError } from '../core/errors.js';
import { syncPathAsync } from '../core/sync-path.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { BackupFile, StoreBackup } from '../ports/store.js';
import { BackupCommand, type BackupCommandStatus } from './backup-command.js';

/** BACKUP_DIR and its companions (config.ts), in milliseconds. */
export interface BackupSettings {
  folder: string;
  intervalMs: number;
  keep: number;
  policyLogs: boolean;
  /** BACKUP_COMMAND, run after each backup; null: none. */
  command: BackupCommandConfig | null;
}

/** A finished backup: a folder in BACKUP_DIR holding the store's files and `backup.json`. */
export interface Backup {
  name: string;
  /** When the copy began (ms since the epoch): the backup holds what was committed by then. */
  createdAt: number;
  files: BackupFile[];
  bytes: number;
  policyLogs: boolean;
}

export interface BackupStatus {
  settings: BackupSettings;
  running: boolean;
  /** When the next scheduled backup is due (ms since the epoch). */
  nextAt: number | null;
  lastSuccessAt: number | null;
  lastFailure: { at: number; message: string } | null;
  lastDurationMs: number | null;
  /** Backups written and failed since this node started. */
  written: number;
  failed: number;
  /** BACKUP_COMMAND's runs; null without one. */
  command: BackupCommandStatus | null;
}

/** A backup's folder name: `backup-` and its UTC time to the second, then `-2`, `-3`… in the same second. */
const NAME = /^backup-(\d{8}T\d{6}Z)(?:-(\d+))?$/;
/** A backup is written under this prefix and renamed when complete. */
const PARTIAL = '.partial-';
/** Each backup's manifest: when, which files, their sizes and SHA-256 (also written by `store backup`). */
export const MANIFEST = 'backup.json';
/** After a failure the next try comes this soon (or at the interval, when that is shorter). */
const RETRY_MS = 10 * 60_000;
/** The longest a timer waits before looking at the clock again (timers cannot wait a month; clocks jump). */
const MAX_WAIT_MS = 60 * 60_000;

/**
 * Scheduled backups of a SQLite node (BACKUP_DIR). Every interval, the store writes a consistent copy of
 * itself (StoreBackup, on a thread of its own) into a hidden folder, which gets a manifest (`backup.json`:
 * when, which files, their sizes and SHA-256), is flushed to the disk and is then renamed
 * `backup-<UTC time>`: a folder with that name is always complete, even after a power cut. The new backup and
 * the newest `keep - 1` others are kept, older ones removed; so is what a stopped backup left. The schedule survives restarts: the next backup is due an interval after the newest in the
 * folder. One backup at a time; an operator may ask for one at any moment (runNow).
 *
 * Only folders this service names are ever touched: other files in BACKUP_DIR are left alone.
 */
export class BackupService {
  #timer: NodeJS.Timeout | null = null;
  #running: Promise<Backup> | null = null;
  readonly #abort = new AbortController();
  #started = false;
  #nextAt: number | null = null;
  #lastSuccessAt: number | null = null;
  #lastFailure: { at: number; message: string } | null = null;
  #lastDurationMs: number | null = null;
  #written = 0;
  #failed = 0;
  /** BACKUP_COMMAND, given each backup once it is complete. */
  readonly command: BackupCommand | null;

  constructor(
    private readonly deps: { clock: Clock; log: Logger; backup: StoreBackup },
    readonly settings: BackupSettings,
  ) {
    this.command = settings.command && new BackupCommand(deps, settings.folder, settings.command);
  }

  /**
   * Makes the folder (throws if it cannot) and schedules the next backup: an interval after the newest one
   * the folder holds, or now when it holds none.
   */
  async start(): Promise<void> {
    await mkdir(this.settings.folder, { recursive: true, mode: 0o700 });
    await this.command?.load();
    const [newest] = await this.list();
    this.#lastSuccessAt = newest?.createdAt ?? null;
    const now = this.deps.clock.now();
    // A newest backup dated ahead of the clock (the clock was set back) waits an interval from now, no more.
    this.#nextAt = newest ? Math.min(newest.createdAt, now) + this.settings.intervalMs : now;
    this.#started = true;
    this.#arm();
  }

  /** The complete backups in the folder, newest first (read off the event loop). */
  async list(): Promise<Backup[]> {
    let names: string[];
    try {
      names = await readdir(this.settings.folder);
    } catch {
      return [];
    }
    const folder = this.settings.folder;
    return newestFirst(
      await Promise.all(
        names
          .filter((name) => NAME.test(name))
          .map((name) =>
            readFile(join(folder, name, MANIFEST), 'utf8').then(
              (text) => parseManifest(text, name),
              () => null,
            ),
          ),
      ),
    );
  }

  status(): BackupStatus {
    return {
      settings: this.settings,
      running: this.#running !== null,
      nextAt: this.#started ? this.#nextAt : null,
      lastSuccessAt: this.#lastSuccessAt,
      lastFailure: this.#lastFailure,
      lastDurationMs: this.#lastDurationMs,
      written: this.#written,
      failed: this.#failed,
      command: this.command?.status() ?? null,
    };
  }

  /**
   * Writes a backup now and resolves with it; the next scheduled one is then due an interval later. Refuses
   * (409) while another is being written; a failure is a 503 that says why.
   */
  async runNow(): Promise<Backup> {
    if (this.#abort.signal.aborted) throw new AppError('unavailable', 'the node is stopping');
    if (this.#running)
      throw new AppError('conflict', 'a backup is being written now; try again when it is done');
    const running = this.#write();
    this.#running = running;
    try {
      return await running;
    } finally {
      this.#running = null;
      this.#arm();
    }
  }

  /** Stops the schedule, a backup being written (its partial folder is removed) and BACKUP_COMMAND's run. */
  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#abort.abort();
    await this.#running?.catch(() => undefined);
    await this.command?.stop();
  }

  async #write(): Promise<Backup> {
    const { folder, policyLogs, intervalMs } = this.settings;
    const createdAt = this.deps.clock.now();
    const began = performance.now();
    let name = '';
    let partial = '';
    try {
      await mkdir(folder, { recursive: true, mode: 0o700 });
      name = await this.#freeName(createdAt);
      partial = join(folder, `${PARTIAL}${name}`);
      await this.#removePartials();
      await mkdir(partial, { mode: 0o700 });
      const files = await this.deps.backup.writeCopy(partial, { policyLogs, signal: this.#abort.signal });
      const backup: Backup = {
        name,
        createdAt,
        files,
        bytes: files.reduce((sum, file) => sum + file.bytes, 0),
        policyLogs,
      };
      // On the disk before the name says complete: the manifest, the folder's entries, then the rename.
      await writeManifest(partial, backup);
      await rename(partial, join(folder, name));
      await syncPathAsync(folder);
      this.#lastDurationMs = Math.round(performance.now() - began);
      this.#lastSuccessAt = createdAt;
      this.#written++;
      this.#nextAt = Math.max(createdAt + intervalMs, this.deps.clock.now());
      this.deps.log.info(
        { backup: name, bytes: backup.bytes, durationMs: this.#lastDurationMs },
        'backup written',
      );
      // Offered first: a backup it then no longer waits for (a newer one took its turn) may be removed.
      if (!this.#abort.signal.aborted) this.command?.offer(name);
      await this.#prune(name);
      return backup;
    } catch (error) {
      try {
        if (partial) await rm(partial, { recursive: true, force: true });
      } catch {
        // The folder itself went away or was replaced: nothing of this backup is left to remove.
      }
      const message = error instanceof Error ? error.message : String(error);
      const at = this.deps.clock.now();
      this.#lastFailure = { at, message };
      this.#failed++;
      this.#nextAt = at + Math.min(RETRY_MS, intervalMs);
      if (this.#abort.signal.aborted) this.deps.log.warn({ backup: name }, 'backup stopped with the node');
      else this.deps.log.error({ err: error, backup: name }, 'backup failed; will try again');
      throw new AppError('unavailable', `the backup failed: ${message}`);
    }
  }

  /** Waits for the next backup: the timer wakes at least hourly to look at the clock again. */
  #arm(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (!this.#started || this.#abort.signal.aborted || this.#nextAt === null) return;
    const wait = Math.min(Math.max(this.#nextAt - this.deps.clock.now(), 0), MAX_WAIT_MS);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      if (this.#running) return; // it re-arms when done
      if (this.#nextAt !== null && this.deps.clock.now() >= this.#nextAt)
        this.runNow().catch(() => undefined); // logged and counted by #write
      else this.#arm();
    }, wait);
    this.#timer.unref();
  }

  /**
   * Keeps the backup just written and the newest `keep - 1` others; removes the rest. (The one just written
   * is never removed, even when others are dated later: after the clock was set back, those go first.) A
   * backup BACKUP_COMMAND is copying, or is to copy next, stays until a later backup finds it done.
   */
  async #prune(written: string): Promise<void> {
    const others = (await this.list()).filter((backup) => backup.name !== written);
    const inUse = this.command?.inUse() ?? [];
    for (const old of others.slice(this.settings.keep - 1)) {
      if (inUse.includes(old.name)) continue;
      try {
        await rm(join(this.settings.folder, old.name), { recursive: true, force: true });
        this.deps.log.info({ backup: old.name }, 'old backup removed');
      } catch (error) {
        this.deps.log.warn({ err: error, backup: old.name }, 'could not remove an old backup');
      }
    }
  }

  /** Removes what a backup stopped half-way left (a crash, a stop); only called between backups. */
  async #removePartials(): Promise<void> {
    for (const name of await readdir(this.settings.folder))
      if (name.startsWith(PARTIAL) && NAME.test(name.slice(PARTIAL.length)))
        await rm(join(this.settings.folder, name), { recursive: true, force: true });
  }

  async #freeName(at: number): Promise<string> {
    const base = `backup-${new Date(at)
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '')}`;
    let name = base;
    for (let n = 2; await exists(join(this.settings.folder, name)); n++) name = `${base}-${n}`;
    return name;
  }
}

function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

function newestFirst(backups: (Backup | null)[]): Backup[] {
  return backups
    .filter((backup): backup is Backup => backup !== null)
    .sort((a, b) => b.createdAt - a.createdAt || suffix(b.name) - suffix(a.name));
}

function suffix(name: string): number {
  return Number(NAME.exec(name)?.[2] ?? 1);
}

/**
 * Writes a backup's manifest (format 1) into its folder, then flushes the manifest and the folder's entries
 * (the copies in it) to the disk.
 */
export async function writeManifest(folder: string, backup: Omit<Backup, 'name' | 'bytes'>): Promise<void> {
  const { createdAt, files, policyLogs } = backup;
  const file = join(folder, MANIFEST);
  const text = JSON.stringify(
    { format: 1, createdAt: new Date(createdAt).toISOString(), policyLogs, files },
    null,
    2,
  );
  await writeFile(file, `${text}\n`, { mode: 0o600, flag: 'wx' });
  await syncPathAsync(file);
  await syncPathAsync(folder);
}

/** A backup's manifest, or null when it is not one this service (or `store backup`) wrote. */
export function parseManifest(text: string, name: string): Backup | null {
  try {
    const read = JSON.parse(text) as {
      format?: unknown;
      createdAt?: unknown;
      policyLogs?: unknown;
      files?: unknown;
    };
    const createdAt = typeof read.createdAt === 'string' ? Date.parse(read.createdAt) : Number.NaN;
    if (read.format !== 1 || Number.isNaN(createdAt) || !Array.isArray(read.files)) return null;
    const files = read.files.filter(
      (f): f is BackupFile =>
        typeof f?.name === 'string' && typeof f?.bytes === 'number' && typeof f?.sha256 === 'string',
    );
    return {
      name,
      createdAt,
      files,
      bytes: files.reduce((sum, file) => sum + file.bytes, 0),
      policyLogs: read.policyLogs === true,
    };
  } catch {
    return null;
  }
}
