import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The newest modification time of any file under `dir` (0 for an empty folder). */
export function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

/** Whether `built` exists and is at least as new as every file under `sources`. */
export function upToDate(built: string, sources: string): boolean {
  return existsSync(built) && statSync(built).mtimeMs >= newestMtime(sources);
}
