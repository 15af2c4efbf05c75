import { useEffect, useState } from 'preact/hooks';
import { api, messageOf, useLoaded } from '../api.js';
import { Loading, Notice, PageHeading, TableHead } from '../components/ui.js';
import { formatDuration, formatTime, relativeTime } from '../format.js';
import type { Role } from '../session.js';

interface BackupView {
  name: string;
  createdAt: string;
  bytes: number;
  policyLogs: boolean;
  files: { name: string; bytes: number; sha256: string }[];
}

/** BACKUP_COMMAND's runs (never its text, which may hold a credential). */
interface CopyStatus {
  timeoutSeconds: number;
  /** The backup being copied now. */
  running: string | null;
  /** The backup waiting for its turn. */
  waiting: string | null;
  /** Kept across restarts (in BACKUP_DIR). */
  lastSuccess: { at: string; backup: string; durationMs: number } | null;
  /** `errorOutput`: the end of what the command wrote to its error output; null for viewers. */
  lastFailure: { at: string; backup: string; message: string; errorOutput: string | null } | null;
  /** Runs since this node started. */
  succeeded: number;
  failed: number;
}

interface BackupStatus {
  enabled: boolean;
  folder: string | null;
  intervalSeconds: number | null;
  keep: number | null;
  policyLogs: boolean | null;
  running: boolean;
  nextAt: string | null;
  lastSuccessAt: string | null;
  lastFailure: { at: string; message: string } | null;
  /** null: no BACKUP_COMMAND. */
  command: CopyStatus | null;
  backups: BackupView[];
}

const SIZE = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "85.3 MB", "512 kB". */
function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${SIZE.format(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${SIZE.format(bytes / 1e6)} MB`;
  return `${SIZE.format(bytes / 1e3)} kB`;
}

/** "12 ms", "4.2 s", then as formatDuration ("2 min 5 s"). */
function formatMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${SIZE.format(ms / 1000)} s`;
  return formatDuration(Math.round(ms / 1000));
}

/** After Back up now, the page looks again this often while the new backup's off-site copy is under way… */
const FOLLOW_EVERY_MS = 2000;
/** …for this long at most: a page left open must not keep its session from going idle. */
const FOLLOW_FOR_MS = 60_000;

/**
 * BACKUP_COMMAND's runs: the last copy that went well, the one under way and the one waiting, the time limit; the
 * last failure as an error while no copy has gone well since, else as a plain line.
 */
function OffSiteCopy({ command }: { command: CopyStatus }) {
  const { lastSuccess, lastFailure } = command;
  const failing =
    lastFailure !== null && (lastSuccess === null || Date.parse(lastFailure.at) > Date.parse(lastSuccess.at));
  return (
    <section aria-labelledby="off-site-copy">
      <h3 id="off-site-copy">Off-site copy</h3>
      <p>
        After each backup, the server runs <code>BACKUP_COMMAND</code> to copy it elsewhere, one copy at a
        time.
      </p>
      <dl class="facts">
        <dt>Last copy</dt>
        <dd>
          {lastSuccess ? (
            <span>
              <code>{lastSuccess.backup}</code>, done{' '}
              <time dateTime={lastSuccess.at}>
                {formatTime(lastSuccess.at, true)} ({relativeTime(lastSuccess.at)})
              </time>
              , in {formatMs(lastSuccess.durationMs)}
            </span>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Now</dt>
        <dd>
          {command.running || command.waiting ? (
            <span>
              {command.running ? (
                <>
                  copying <code>{command.running}</code>
                </>
              ) : null}
              {command.running && command.waiting ? '; ' : null}
              {command.waiting ? (
                <>
                  <code>{command.waiting}</code> waits its turn
                </>
              ) : null}
            </span>
          ) : (
            'no copy under way'
          )}
        </dd>
        {lastFailure && !failing ? (
          <>
            <dt>Last failure</dt>
            <dd>
              <span>
                <code>{lastFailure.backup}</code>,{' '}
                <time dateTime={lastFailure.at}>{formatTime(lastFailure.at, true)}</time>:{' '}
                {lastFailure.message}
                {lastFailure.errorOutput ? (
                  <>
                    {' '}
                    (<code>{lastFailure.errorOutput}</code>)
                  </>
                ) : null}{' '}
                (a later copy went well)
              </span>
            </dd>
          </>
        ) : null}
        <dt>Since the node started</dt>
        <dd>
          {command.succeeded} went well, {command.failed} failed
        </dd>
        <dt>Time limit</dt>
        <dd>{formatDuration(command.timeoutSeconds)} per copy</dd>
      </dl>
      {failing && lastFailure ? (
        <Notice kind="error">
          The off-site copy of <code>{lastFailure.backup}</code> failed at {formatTime(lastFailure.at, true)}:{' '}
          {lastFailure.message}
          {lastFailure.errorOutput ? (
            <>
              . It said: <code>{lastFailure.errorOutput}</code>
            </>
          ) : null}
        </Notice>
      ) : null}
    </section>
  );
}

/** This node's scheduled backups (BACKUP_DIR): settings, how the last ones went, one on demand (admins). */
export function BackupsPage({ role }: { role: Role }) {
  const { data: status, error, setError, reload: load } = useLoaded<BackupStatus>('/api/admin/backups');
  const [made, setMade] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** Until when the page follows the off-site copy of a backup made here (ms since the epoch). */
  const [followUntil, setFollowUntil] = useState(0);
  const copying = Boolean(status?.command?.running || status?.command?.waiting);

  useEffect(() => {
    if (!copying || Date.now() >= followUntil) return;
    const timer = setTimeout(() => void load(), FOLLOW_EVERY_MS);
    return () => clearTimeout(timer);
  }, [status, copying, followUntil, load]);

  async function backUpNow() {
    setBusy(true);
    setError(null);
    setMade(null);
    try {
      const backup = await api.post<BackupView>('/api/admin/backups');
      setMade(`Backup ${backup.name} written (${formatBytes(backup.bytes)}).`);
      setFollowUntil(Date.now() + FOLLOW_FOR_MS);
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
      await load();
    }
  }

  return (
    <>
      <PageHeading title="Backups">Backups</PageHeading>
      <p>
        On the embedded SQLite store, the server backs itself up while it serves: a consistent copy of its
        files every interval, into a folder of its own per backup, keeping the newest. The master key is never
        in a backup: keep it apart, a backup cannot be read without it.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {made ? <Notice kind="success">{made}</Notice> : null}
      {status === null && !error ? <Loading what="the backups" /> : null}
      {status && !status.enabled ? (
        <Notice kind="info">
          Scheduled backups are off on this node. Set <code>BACKUP_DIR</code> (SQLite only) to turn them on;
          with PostgreSQL, back the database up with its own tools.
        </Notice>
      ) : null}
      {status?.enabled ? (
        <>
          <section aria-labelledby="schedule" class="card">
            <h2 id="schedule">Schedule</h2>
            <dl class="facts">
              <dt>Folder</dt>
              <dd>
                <code>{status.folder}</code>
              </dd>
              <dt>Every</dt>
              <dd>{formatDuration(status.intervalSeconds)}</dd>
              <dt>Kept</dt>
              <dd>
                the newest {status.keep}, {status.policyLogs ? 'with' : 'without'} the policy log
              </dd>
              <dt>Last backup</dt>
              <dd>
                {status.lastSuccessAt ? (
                  <time dateTime={status.lastSuccessAt}>
                    {formatTime(status.lastSuccessAt, true)} ({relativeTime(status.lastSuccessAt)})
                  </time>
                ) : (
                  'none yet'
                )}
              </dd>
              <dt>Next</dt>
              <dd>
                {status.running ? (
                  'being written now'
                ) : status.nextAt ? (
                  <time dateTime={status.nextAt}>
                    {formatTime(status.nextAt)} ({relativeTime(status.nextAt)})
                  </time>
                ) : (
                  '—'
                )}
              </dd>
              {status.command === null ? (
                <>
                  <dt>Off-site copy</dt>
                  <dd>
                    <span>
                      none (set <code>BACKUP_COMMAND</code> to copy each backup elsewhere: see
                      docs/operations.md)
                    </span>
                  </dd>
                </>
              ) : null}
            </dl>
            {status.lastFailure ? (
              <Notice kind="error">
                The backup of {formatTime(status.lastFailure.at, true)} failed: {status.lastFailure.message}
              </Notice>
            ) : null}
            {status.command ? <OffSiteCopy command={status.command} /> : null}
            {role === 'admin' ? (
              <button type="button" onClick={backUpNow} disabled={busy || status.running}>
                {busy ? 'Backing up…' : 'Back up now'}
              </button>
            ) : null}
          </section>
          <section aria-labelledby="kept">
            <h2 id="kept">Backups kept</h2>
            {status.backups.length === 0 ? <p>None yet.</p> : null}
            {status.backups.length > 0 ? (
              <table>
                <TableHead
                  caption="Backups, newest first"
                  columns={['Taken', 'Folder', 'Size', 'Files (SHA-256)']}
                />
                <tbody>
                  {status.backups.map((backup) => (
                    <tr key={backup.name}>
                      <td>
                        <time dateTime={backup.createdAt}>{formatTime(backup.createdAt, true)}</time>
                      </td>
                      <td>
                        <code>{backup.name}</code>
                      </td>
                      <td>{formatBytes(backup.bytes)}</td>
                      <td>
                        <ul class="plain-list">
                          {backup.files.map((file) => (
                            <li key={file.name}>
                              <code>{file.name}</code>{' '}
                              <code class="muted" title={file.sha256}>
                                {file.sha256.slice(0, 12)}…
                              </code>
                            </li>
                          ))}
                        </ul>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </section>
        </>
      ) : null}
    </>
  );
}
