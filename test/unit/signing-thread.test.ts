import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { after, test } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { signJws } from '../../src/services/jws-signing.js';
import { SigningThread, type ThreadKey } from '../../src/services/signing-thread.js';

function key(
  kid: string,
  alg: 'EdDSA' | 'ES256' = 'EdDSA',
): ThreadKey & { publicKey: import('node:crypto').KeyObject } {
  const pair =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid, alg, ...pair };
}

function verifies(k: ReturnType<typeof key>, input: string, signature: string): boolean {
  return verify(
    k.alg === 'EdDSA' ? null : 'sha256',
    Buffer.from(input),
    k.alg === 'EdDSA' ? k.publicKey : { key: k.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

const threads: SigningThread[] = [];
const stops: string[] = [];
const open = (restartDelayMs?: number) => {
  const thread = new SigningThread({
    ...(restartDelayMs === undefined ? {} : { restartDelayMs }),
    onStop: (why) => stops.push(why),
  });
  threads.push(thread);
  return thread;
};
after(async () => {
  await Promise.all(threads.map((thread) => thread.close()));
});

test('signs on its thread the very bytes the event loop signs, with each key it is given', async () => {
  const thread = open();
  const keys = [key('a'), key('b', 'ES256'), key('c')];
  const asked = Array.from({ length: 30 }, (_, i) => ({
    k: keys[i % 3] as ReturnType<typeof key>,
    input: `in-${i}`,
  }));
  const signatures = await Promise.all(asked.map(({ k, input }) => thread.sign(k, input)));
  assert.ok(thread.running);
  asked.forEach(({ k, input }, i) => {
    const signature = signatures[i] as string;
    assert.ok(verifies(k, input, signature), `signature ${i}`);
    if (k.alg === 'EdDSA') assert.equal(signature, signJws(k, input));
  });
  // A later turn, a key the thread already has and one it has not.
  const d = key('d');
  const [again, fresh] = await Promise.all([
    thread.sign(keys[0] as ThreadKey, 'later'),
    thread.sign(d, 'new'),
  ]);
  assert.ok(verifies(keys[0] as ReturnType<typeof key>, 'later', again));
  assert.ok(verifies(d, 'new', fresh));
});

test('a signature that fails on the thread rejects its own request only', async () => {
  const thread = open();
  const good = key('good');
  const broken = { kid: 'broken', alg: 'EdDSA' as const, privateKey: good.publicKey };
  const results = await Promise.allSettled([
    thread.sign(good, 'a'),
    thread.sign(broken, 'b'),
    thread.sign(good, 'c'),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled'],
  );
  if (results[1].status === 'rejected') assert.match(String(results[1].reason), /Ed25519/);
});

test('a thread that stops fails no token: what it held is signed on the event loop, then a new thread starts', async () => {
  const thread = open(200);
  const k = key('k');
  assert.ok(verifies(k, 'first', await thread.sign(k, 'first')));
  const inFlight = Array.from({ length: 20 }, (_, i) => thread.sign(k, `held-${i}`));
  await nextTurn(); // the batch has gone to the thread
  await thread.crashForTest();
  const held = await Promise.all(inFlight);
  assert.equal(stops.length, 1, 'the stop is told');
  held.forEach((signature, i) => {
    assert.ok(verifies(k, `held-${i}`, signature));
  });
  assert.equal(thread.running, false);
  // Within the pause, on the event loop; after it, on a new thread that is sent the key again.
  assert.ok(verifies(k, 'paused', await thread.sign(k, 'paused')));
  assert.equal(thread.running, false);
  await sleep(250);
  assert.ok(verifies(k, 'restarted', await thread.sign(k, 'restarted')));
  assert.equal(thread.running, true);
});

test('once closed, it signs on the event loop', async () => {
  const thread = open();
  const k = key('closing');
  await thread.sign(k, 'before');
  const told = stops.length;
  await thread.close();
  assert.equal(stops.length, told, 'a close is no stop to tell');
  assert.equal(thread.running, false);
  assert.ok(verifies(k, 'after', await thread.sign(k, 'after')));
  assert.equal(thread.running, false);
});

test('a thread that cannot start: every token is signed on the event loop, and the restarts back off', async () => {
  const told: string[] = [];
  const pauses: number[] = [];
  const thread = new SigningThread({
    restartDelayMs: 300,
    entry: new URL('./no-such-signing-worker.js', import.meta.url),
    onStop: (why, restartInMs) => {
      told.push(why);
      pauses.push(restartInMs);
    },
  });
  threads.push(thread);
  const k = key('nowhere');
  const started = Date.now();
  for (let i = 0; pauses.length < 3 && Date.now() - started < 10_000; i++) {
    assert.ok(verifies(k, `n-${i}`, await thread.sign(k, `n-${i}`)));
    await sleep(5);
  }
  assert.equal(pauses.length, 3, told.join('; '));
  assert.match(told[0] ?? '', /no-such-signing-worker/);
  // A thread that never answered doubles the pause before the next start each time.
  assert.deepEqual(pauses, [300, 600, 1200]);
  assert.equal(thread.running, false);
});
