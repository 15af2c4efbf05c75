/**
 * A backup's thread: writes the copies it was started with (copySqliteFile, one after the other), answers
 * once with the files written or the first failure, and ends.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { type BackupAnswer, copySqliteFile, type SqliteCopy } from './backup.js';

const port = parentPort;
if (!port) throw new Error('backup-worker runs as a worker thread');
const { copies } = workerData as { copies: SqliteCopy[] };
let answer: BackupAnswer;
try {
  answer = { ok: true, files: copies.map(copySqliteFile) };
} catch (error) {
  answer = { ok: false, message: error instanceof Error ? error.message : String(error) };
}
port.postMessage(answer);
