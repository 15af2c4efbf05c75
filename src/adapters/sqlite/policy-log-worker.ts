/**
 * The policy log's thread: owns a connection to the policy log's file and answers the calls of
 * ThreadedPolicyLogStore, one at a time and in the order they were sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPolicyLogDatabase } from './policy-log-file.js';
import { LOG_METHODS, type LogAnswer, type LogCall } from './policy-log-protocol.js';
import { SqlitePolicyLogStore } from './policy-stores.js';

const port = parentPort;
if (!port) throw new Error('policy-log-worker runs as a worker thread');
const db = openPolicyLogDatabase((workerData as { file: string }).file);
const store = new SqlitePolicyLogStore(db);

port.on('message', (call: LogCall) => {
  if (call.method === 'close') {
    db.close();
    port.postMessage({ id: call.id, ok: true, value: undefined } satisfies LogAnswer);
    return;
  }
  let answer: Promise<unknown>;
  try {
    if (!LOG_METHODS.includes(call.method)) throw new Error(`unknown policy log call ${String(call.method)}`);
    answer = (store[call.method] as (...args: unknown[]) => Promise<unknown>).apply(store, call.args);
  } catch (error) {
    answer = Promise.reject(error);
  }
  answer.then(
    (value) => port.postMessage({ id: call.id, ok: true, value } satisfies LogAnswer),
    (error: unknown) =>
      port.postMessage({
        id: call.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
      } satisfies LogAnswer),
  );
});
