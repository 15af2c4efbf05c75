import { closeSync, fsyncSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Flushes a file's content, or a folder's entries (a file made or renamed in it), to the disk (fsync), so
 * that a power cut cannot undo what was written. Folders open for reading this way on Linux and macOS.
 */
export function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** syncPath, off the event loop (libuv's thread pool). */
export async function syncPathAsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
