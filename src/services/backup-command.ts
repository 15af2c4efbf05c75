import { type ChildProcess, spawn } from 'node:child_process';
import { access, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BackupCommandConfig } from '../config/config.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** How a run of BACKUP_COMMAND went, for the status answer and the metrics. */
export interface BackupCommandStatus {
  timeoutSeconds: number;
  /** The backup being copied now, or null. */
  running: string | null;
  /** The backup waiting for its turn (the newest written while another was copied), or null. */
  waiting: string | null;
  lastSuccess: { at: number; backup: string; durationMs: number } | null;
  /**
   * `message`: how it ended; `errorOutput`: the end of what it wrote to its error output (may say more than an
   * operator's viewers should read: the admin API shows it to admins and operators only).
   */
  lastFailure: { at: number; backup: string; message: string; errorOutput: string | null } | null;
  /** Runs that ended well, or not, since this node started. */
  succeeded: number;
  failed: number;
}

type Outcome = { ok: true } | { ok: false; message: string; errorOutput: string | null };

/** What the command wrote last to its error output is kept, this much of it, for the reason of a failure. */
const ERROR_OUTPUT_BYTES = 2048;
/** How much of it a failure quotes. */
const QUOTED_CHARACTERS = 400;
/**
 * BACKUP_DIR's file that remembers the last run that ended well, across restarts (so that an alert on its age
 * does not fire at each start). Hidden: the keeping rule touches only `backup-…` folders.
 */
export const LAST_COPY_FILE = '.backup-command.json';
/** After SIGTERM (the time limit, or the node stopping), the command has this long before SIGKILL. */
const KILL_AFTER_MS = 5_000;

/**
 * Runs BACKUP_COMMAND after each backup, to copy it off the machine (rclone, aws s3 cp, rsync …): by
 * `/bin/sh -c`, in BACKUP_DIR, with the backup's folder in `BACKUP_PATH` and its name in `BACKUP_NAME` (never
 * put into the command's text, so no backup name is ever read as shell syntax), and the server's environment
 * without its own secrets. One at a time: a backup written while another is being copied waits, and a newer
 * one takes the place of one that waits (the newest is what an off-site copy needs). A run that outlasts
 * BACKUP_COMMAND_TIMEOUT_SECONDS is stopped, as is one under way when the node stops: SIGTERM to the whole
 * process group, SIGKILL 5 s later.
 *
 * The command's text is never logged (it may hold a credential); what it writes to its error output is, when
 * it fails (the end of it).
 */
export class BackupCommand {
  #child: ChildProcess | null = null;
  #running: string | null = null;
  #done: Promise<void> | null = null;
  #waiting: string | null = null;
  #stopped = false;
  #lastSuccess: BackupCommandStatus['lastSuccess'] = null;
  #lastFailure: BackupCommandStatus['lastFailure'] = null;
  #succeeded = 0;
  #failed = 0;

  constructor(
    private readonly deps: { clock: Clock; log: Logger },
    private readonly folder: string,
    private readonly config: BackupCommandConfig,
  ) {}

  status(): BackupCommandStatus {
    return {
      timeoutSeconds: this.config.timeoutSeconds,
      running: this.#running,
      waiting: this.#waiting,
      lastSuccess: this.#lastSuccess,
      lastFailure: this.#lastFailure,
      succeeded: this.#succeeded,
      failed: this.#failed,
    };
  }

  /** Reads when the last run ended well, as a node before this one wrote it (nothing when unreadable). */
  async load(): Promise<void> {
    try {
      const read = JSON.parse(await readFile(join(this.folder, LAST_COPY_FILE), 'utf8')) as Record<
        string,
        unknown
      >;
      const at = typeof read.at === 'string' ? Date.parse(read.at) : Number.NaN;
      if (!Number.isNaN(at) && typeof read.backup === 'string' && typeof read.durationMs === 'number')
        this.#lastSuccess = { at, backup: read.backup, durationMs: read.durationMs };
    } catch {
      // None yet, or not one this service wrote: the first run that ends well writes it.
    }
  }

  /** The backups the command still needs: not to be removed by the keeping rule meanwhile. */
  inUse(): string[] {
    return [this.#running, this.#waiting].filter((name): name is string => name !== null);
  }

  /** Copies `backup` (a folder's name in BACKUP_DIR) now, or after the run under way. */
  offer(backup: string): void {
    if (this.#stopped) return;
    if (this.#running) {
      if (this.#waiting)
        this.deps.log.warn({ backup: this.#waiting }, 'backup command skipped: a newer backup waits');
      this.#waiting = backup;
      return;
    }
    this.#start(backup);
  }

  /** Stops the run under way (and forgets the one waiting); resolves once its process has ended. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#waiting = null;
    if (this.#child) this.#terminate(this.#child);
    await this.#done;
  }

  /** Resolves when no run is under way or waiting (for tests and `runNow` callers that want the copy). */
  async idle(): Promise<void> {
    while (this.#done) await this.#done;
  }

  #start(backup: string): void {
    this.#running = backup;
    this.#done = this.#run(backup).finally(() => {
      this.#running = null;
      this.#child = null;
      this.#done = null;
      const next = this.#waiting;
      this.#waiting = null;
      if (next && !this.#stopped) this.#start(next);
    });
  }

  async #run(backup: string): Promise<void> {
    const path = join(this.folder, backup);
    const began = performance.now();
    let outcome: Outcome;
    try {
      // Removed meanwhile by hand, or by the keeping rule of another node writing into the same folder.
      await access(path);
      // A stop that came while the folder was looked at: nothing is started.
      outcome = this.#stopped
        ? { ok: false, message: 'BACKUP_COMMAND was stopped with the node', errorOutput: null }
        : await this.#execute(backup, path);
    } catch (error) {
      outcome = {
        ok: false,
        message: `cannot copy ${backup}: ${error instanceof Error ? error.message : error}`,
        errorOutput: null,
      };
    }
    const durationMs = Math.round(performance.now() - began);
    const at = this.deps.clock.now();
    if (outcome.ok) {
      this.#succeeded++;
      this.#lastSuccess = { at, backup, durationMs };
      this.deps.log.info({ backup, durationMs }, 'backup command done');
      await this.#remember(at, backup, durationMs);
    } else {
      this.#failed++;
      const { message, errorOutput } = outcome;
      this.#lastFailure = { at, backup, message, errorOutput };
      if (this.#stopped) this.deps.log.warn({ backup }, 'backup command stopped with the node');
      else this.deps.log.error({ backup, durationMs, reason: message, errorOutput }, 'backup command failed');
    }
  }

  async #remember(at: number, backup: string, durationMs: number): Promise<void> {
    const file = join(this.folder, LAST_COPY_FILE);
    try {
      const text = JSON.stringify({ at: new Date(at).toISOString(), backup, durationMs });
      await writeFile(`${file}.new`, `${text}\n`, { mode: 0o600 });
      await rename(`${file}.new`, file);
    } catch (error) {
      this.deps.log.warn({ err: error }, `could not write ${LAST_COPY_FILE} in BACKUP_DIR`);
    }
  }

  #execute(backup: string, path: string): Promise<Outcome> {
    const { timeoutSeconds } = this.config;
    return new Promise((resolve) => {
      let errorOutput = Buffer.alloc(0);
      let timedOut = false;
      let settled = false;
      const child = spawn('/bin/sh', ['-c', this.config.text], {
        cwd: this.folder,
        env: { ...this.config.environment, BACKUP_PATH: path, BACKUP_NAME: backup, BACKUP_DIR: this.folder },
        // A process group of its own, so that a stop reaches what the shell started too.
        detached: true,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      this.#child = child;
      child.stderr?.on('data', (chunk: Buffer) => {
        errorOutput = Buffer.concat([errorOutput, chunk]);
        if (errorOutput.length > ERROR_OUTPUT_BYTES) errorOutput = errorOutput.subarray(-ERROR_OUTPUT_BYTES);
      });
      const limit = setTimeout(() => {
        timedOut = true;
        this.#terminate(child);
      }, timeoutSeconds * 1000);
      let lingering: NodeJS.Timeout | undefined;
      const settle = (outcome: Outcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(limit);
        clearTimeout(lingering);
        this.#child = null;
        resolve(outcome);
      };
      const ended = (code: number | null, signal: NodeJS.Signals | null) => {
        const said = lastWords(errorOutput);
        if (code === 0 && !timedOut) return settle({ ok: true });
        const how = timedOut
          ? `did not finish within ${timeoutSeconds} s (BACKUP_COMMAND_TIMEOUT_SECONDS) and was stopped`
          : this.#stopped
            ? 'was stopped with the node'
            : signal
              ? `was ended by ${signal}`
              : `exited with code ${code}`;
        settle({ ok: false, message: `BACKUP_COMMAND ${how}`, errorOutput: said || null });
      };
      child.once('error', (error) =>
        settle({ ok: false, message: `BACKUP_COMMAND could not start: ${error.message}`, errorOutput: null }),
      );
      // Its error output closed: the shell and everything that held it are done.
      child.once('close', ended);
      // The shell ended, but something it started (a daemon, an ssh master) may keep its error output open, out of
      // reach of the group's signals: it is let go after a while, so that a run always ends.
      child.once('exit', (code, signal) => {
        lingering = setTimeout(() => {
          child.stderr?.destroy();
          ended(code, signal);
        }, KILL_AFTER_MS);
        lingering.unref();
      });
    });
  }

  /**
   * Stops a run (its time limit, or the node stopping): SIGTERM to its whole process group (the shell and what it
   * started), then SIGKILL to the group 5 s later, even once the shell has ended (a member that ignores SIGTERM).
   */
  #terminate(child: ChildProcess): void {
    const pid = child.pid;
    if (pid === undefined) return;
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(-pid, name);
      } catch {
        // The group has ended already.
      }
    };
    signal('SIGTERM');
    setTimeout(() => signal('SIGKILL'), KILL_AFTER_MS).unref();
  }
}

/** The end of what a command wrote to its error output, on one line, for a failure's message. */
export function lastWords(output: Buffer): string {
  const text = output
    .toString('utf8')
    .replace(/\p{Cc}+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text.length > QUOTED_CHARACTERS ? `…${text.slice(-QUOTED_CHARACTERS)}` : text;
}
