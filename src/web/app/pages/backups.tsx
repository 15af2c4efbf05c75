import { useState } from 'preact/hooks';
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
  backups: BackupView[];
}

const SIZE = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

/** "85.3 MB", "512 kB". */
function formatBytes(bytes: number): string {
  if (bytes >= 1e9) return `${SIZE.format(bytes / 1e9)} GB`;
  if (bytes >= 1e6) return `${SIZE.format(bytes / 1e6)} MB`;
  return `${SIZE.format(bytes / 1e3)} kB`;
}

/** This node's scheduled backups (BACKUP_DIR): settings, how the last ones went, one on demand (admins). */
export function BackupsPage({ role }: { role: Role }) {
  const { data: status, error, setError, reload: load } = useLoaded<BackupStatus>('/api/admin/backups');
  const [made, setMade] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function backUpNow() {
    setBusy(true);
    setError(null);
    setMade(null);
    try {
      const backup = await api.post<BackupView>('/api/admin/backups');
      setMade(`Backup ${backup.name} written (${formatBytes(backup.bytes)}).`);
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
            </dl>
            {status.lastFailure ? (
              <Notice kind="error">
                The backup of {formatTime(status.lastFailure.at, true)} failed: {status.lastFailure.message}
              </Notice>
            ) : null}
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
