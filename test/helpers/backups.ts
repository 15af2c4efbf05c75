import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SERVER_ADMIN_PASSWORD } from './server.js';

/** What the backup routes answer (GET /api/admin/backups and a backup in it), as the tests read it. */
export interface BackupView {
  name: string;
  createdAt: string;
  bytes: number;
  policyLogs: boolean;
  files: { name: string; bytes: number; sha256: string }[];
}
export interface StatusView {
  enabled: boolean;
  folder: string | null;
  intervalSeconds: number | null;
  keep: number | null;
  running: boolean;
  nextAt: string | null;
  lastSuccessAt: string | null;
  lastFailure: { at: string; message: string } | null;
  command: {
    timeoutSeconds: number;
    running: string | null;
    waiting: string | null;
    lastSuccess: { at: string; backup: string; durationMs: number } | null;
    lastFailure: { at: string; backup: string; message: string; errorOutput: string | null } | null;
    succeeded: number;
    failed: number;
  } | null;
  backups: BackupView[];
}

/** Signs in as the admin over HTTP: the session cookie and CSRF token a change needs. */
export async function signIn(
  url: string,
  username = 'admin',
  password = SERVER_ADMIN_PASSWORD,
): Promise<Record<string, string>> {
  const response = await fetch(`${url}/api/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  assert.equal(response.status, 200);
  const cookie = (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie, 'x-csrf-token': csrfToken };
}

export const status = async (url: string, headers: Record<string, string>) => {
  const response = await fetch(`${url}/api/admin/backups`, { headers });
  assert.equal(response.status, 200);
  return (await response.json()) as StatusView;
};

export const backUpNow = (url: string, headers: Record<string, string>) =>
  fetch(`${url}/api/admin/backups`, { method: 'POST', headers });

export async function until<T>(what: string, read: () => Promise<T>, ok: (value: T) => boolean): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await read();
    if (ok(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The status once the backup a node writes at start (into an empty BACKUP_DIR) is there. */
export const firstBackup = (url: string, admin: Record<string, string>) =>
  until(
    'the first backup',
    () => status(url, admin),
    // Done: listed (renamed into place) and no longer running (status updated, old ones pruned).
    (s) => s.backups.length === 1 && !s.running,
  );

export const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
