import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/**
 * A maker of fresh folders under the system's temporary directory, named `orchestrator-<name>-…`; every
 * folder it made is removed when the test file's tests are done.
 */
export function tempFolders(name: string): () => string {
  const made: string[] = [];
  after(() => {
    for (const folder of made) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), `orchestrator-${name}-`));
    made.push(folder);
    return folder;
  };
}
