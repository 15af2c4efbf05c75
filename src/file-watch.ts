import { stat } from 'node:fs/promises';

/** Files read again together when one of them changes (the TLS certificate and key; the client CAs and their CRLs). */
export interface WatchedFiles {
  files: string[];
  /** Reads them again; false when they were refused (the ones in use kept, and said by the reload itself). */
  reload(): Promise<boolean>;
}

/**
 * What tells a file's change: its size, modification time and inode (a file replaced by a rename, or a Kubernetes
 * volume's swapped symlink, has another inode even with the same size and time); `missing` when it cannot be read.
 */
async function signatureOf(file: string): Promise<string> {
  try {
    const { size, mtimeMs, ino } = await stat(file);
    return `${size} ${mtimeMs} ${ino}`;
  } catch {
    return 'missing';
  }
}

/**
 * Every `seconds`, reads again each group of files of which one changed since it was last seen — as SIGHUP does, for
 * deployments that cannot send one (a Kubernetes Secret or ConfigMap updated in place, a CRL fetched by a sidecar). A
 * change seen is not looked at again until the next one: a refused file (half-written, say) is retried once it
 * changes again, not at every tick. The files are as they are now when this is called. Returns the function that
 * stops watching.
 */
export function watchFiles(groups: readonly WatchedFiles[], seconds: number): () => void {
  const seen = new Map<string, string>();
  // As the files are now (read just before): the first tick compares with this.
  const primed = Promise.all(
    groups.flatMap((group) => group.files.map(async (file) => seen.set(file, await signatureOf(file)))),
  );
  let checking = false;
  const check = async () => {
    await primed;
    for (const group of groups) {
      let changed = false;
      for (const file of group.files) {
        const signature = await signatureOf(file);
        if (signature !== seen.get(file)) changed = true;
        seen.set(file, signature);
      }
      if (changed) await group.reload();
    }
  };
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    check().finally(() => {
      checking = false;
    });
  }, seconds * 1000);
  timer.unref();
  return () => clearInterval(timer);
}
