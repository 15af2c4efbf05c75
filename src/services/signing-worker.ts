/**
 * The signing thread: signs the batches SigningThread sends, each signature with the key its kid names, and
 * answers each batch with one message.
 */
import { parentPort } from 'node:worker_threads';
import { signJws } from './jws-signing.js';
import type { SignBatch, SignedBatch, ThreadKey } from './signing-thread.js';

const port = parentPort;
if (!port) throw new Error('signing-worker runs as a worker thread');
const keys = new Map<string, ThreadKey>();

port.on('message', (batch: SignBatch) => {
  for (const key of batch.keys) keys.set(key.kid, key);
  const results: SignedBatch['results'] = batch.items.map(([kid, input]) => {
    try {
      const key = keys.get(kid);
      if (!key) throw new Error(`the signing thread has no key ${kid}`);
      return { ok: true, signature: signJws(key, input) };
    } catch (error) {
      return { ok: false, message: error instanceof Error ? error.message : String(error) };
    }
  });
  port.postMessage({ id: batch.id, results } satisfies SignedBatch);
});
