/**
 * A backup's thread: writes the copies it was started with (copySqliteFile, one after the other), answers
 * once with the files written or the first failure, and ends. Before anything else (loading SQLite
 * included) it lowers its own scheduling priority to the lowest (nice 19; on Linux, where a thread has one
 * of its own): a backup is background work, and on a node whose cores are busy it takes its time rather
 * than the requests' (docs/operations.md; measured in docs/benchmarks.md).
 */
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import type { BackupAnswer, SqliteCopy } from './backup.js';

try {
  // `/proc/thread-self` names this thread's task; setpriority() on a task id moves that thread only.
  const thread = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (Number.isInteger(thread) && thread > 0) setPriority(thread, constants.priority.PRIORITY_LOW);
} catch {
  // Elsewhere than Linux: the thread keeps the process's priority.
}

const port = parentPort;
if (!port) throw new Error('backup-worker runs as a worker thread');
const { copySqliteFile } = await import('./backup.js');
const { copies } = workerData as { copies: SqliteCopy[] };
let answer: BackupAnswer;
try {
  answer = { ok: true, files: copies.map(copySqliteFile) };
} catch (error) {
  answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
}
port.postMessage(answer);
