import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { RouteModule } from '../../src/http/server.js';
import { createTestApp } from '../helpers/app.js';

const failing: RouteModule = async (app) => {
  app.get('/probe/fails', { schema: { hide: true } }, async () => {
    throw new Error('boom');
  });
  // The answer does not match its schema: serializing it fails after the handler has run.
  app.get(
    '/probe/bad-answer',
    {
      schema: {
        hide: true,
        response: {
          200: { type: 'object', required: ['must'], properties: { must: { type: 'string' } } },
        },
      },
    },
    async () => ({}) as { must: string },
  );
};

const lines = (logs: string[]) => logs.map((l) => JSON.parse(l) as Record<string, unknown>);

test('at info, every request is logged when it arrives and when it completes, with its request id', async () => {
  const t = await createTestApp({ logLevel: 'info' });
  try {
    const res = await t.app.inject({ method: 'GET', url: '/healthz' });
    const id = res.headers['x-request-id'];
    const mine = lines(t.logs).filter((l) => l.reqId === id);
    assert.deepEqual(
      mine.map((l) => l.msg),
      ['incoming request', 'request completed'],
    );
    assert.equal((mine[1]?.res as { statusCode?: number } | undefined)?.statusCode, 200);
  } finally {
    await t.close();
  }
});

test("a caller's trace (W3C traceparent) is on every line of the request, and a header not to rely on is not", async () => {
  const t = await createTestApp({ logLevel: 'info' });
  try {
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
    });
    const mine = lines(t.logs).filter((l) => l.reqId === traced.headers['x-request-id']);
    assert.equal(mine.length, 2);
    assert.ok(mine.every((l) => l.traceId === trace));
    const untraced = await t.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` },
    });
    const theirs = lines(t.logs).filter((l) => l.reqId === untraced.headers['x-request-id']);
    assert.equal(theirs.length, 2);
    assert.ok(theirs.every((l) => !('traceId' in l)));
  } finally {
    await t.close();
  }
});

test('above info, request lines are skipped, and an unexpected failure is still logged as an error', async () => {
  const t = await createTestApp({ logLevel: 'warn', extraRoutes: [failing] });
  try {
    await t.app.inject({ method: 'GET', url: '/healthz' });
    assert.deepEqual(lines(t.logs), []);
    const res = await t.app.inject({ method: 'GET', url: '/probe/fails' });
    assert.equal(res.statusCode, 500);
    const errors = lines(t.logs).filter((l) => l.level === 50);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.reqId, res.headers['x-request-id']);
    assert.ok(!lines(t.logs).some((l) => l.msg === 'incoming request' || l.msg === 'request completed'));
  } finally {
    await t.close();
  }
});

test("above info, the framework's own warnings and errors still reach the log (a failed serialization)", async () => {
  const t = await createTestApp({ logLevel: 'warn', extraRoutes: [failing] });
  try {
    const res = await t.app.inject({ method: 'GET', url: '/probe/bad-answer' });
    assert.equal(res.statusCode, 500);
    const logged = lines(t.logs).filter((l) => (l.level as number) >= 40);
    assert.ok(logged.length >= 1, 'the failure is logged');
    assert.ok(logged.every((l) => l.reqId === res.headers['x-request-id']));
  } finally {
    await t.close();
  }
});
