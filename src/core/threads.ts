import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on `entry`, a module next to the caller given as `new URL('./x.js', import.meta.url)`:
 * the compiled `.js` file, or its `.ts` source when the caller itself runs from TypeScript through tsx (tests
 * and `npm run dev`; on Node 20 a worker does not inherit the loader given by `--import tsx`).
 */
export function startThread(entry: URL, workerData: unknown): Worker {
  // Not the process's own flags (Node passes them on by default): some, such as `--input-type`, stop a
  // worker from starting, and none is needed here.
  const options = { workerData, execArgv: [] };
  if (!import.meta.url.endsWith('.ts')) return new Worker(entry, options);
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const source = JSON.stringify(entry.href.replace(/\.js$/, '.ts'));
  return new Worker(`import(${tsx}).then((tsx) => { tsx.register(); return import(${source}); })`, {
    ...options,
    eval: true,
  });
}

/**
 * Terminates a worker thread and waits until it is gone. A timer holds the process meanwhile: on Node 20 a
 * terminating thread does not, and a process with nothing else left to do ended before the thread's exit,
 * with whatever waited on it (the rest of a shutdown, calls the thread held) never run.
 */
export async function terminateThread(worker: Worker): Promise<void> {
  const hold = setInterval(() => {}, 60_000);
  let waited: NodeJS.Timeout | undefined;
  try {
    // Bounded, so that whoever waits on it (a shutdown, a restart) goes on after TERMINATE_WAIT_MS whatever the
    // thread does: a test of the signing thread once hung here or near, idle, under CI's load (cause not found).
    await Promise.race([
      worker.terminate(),
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, TERMINATE_WAIT_MS);
      }),
    ]);
  } finally {
    clearTimeout(waited);
    clearInterval(hold);
  }
}

/** How long a terminating thread is waited for at most. */
const TERMINATE_WAIT_MS = 10_000;
