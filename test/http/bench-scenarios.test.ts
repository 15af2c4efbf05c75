import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import Fastify from 'fastify';
import { type BenchRequest, dpopProofs } from '../../bench/scenario.js';
import { scenarios } from '../../bench/scenarios/index.js';
import { loadConfig } from '../../src/config/config.js';
import { readClientCas } from '../../src/main.js';
import { createTestApp } from '../helpers/app.js';

/** A scenario's request as `inject` takes it, with one of its bodies (the first when it cycles through several). */
function injected(request: BenchRequest, body = request.body ?? request.bodies?.[0]) {
  return {
    method: request.method,
    url: request.path,
    headers: request.headers ?? {},
    ...(body === undefined ? {} : { payload: body }),
  };
}

// `npm run bench` is documented: every scenario's setup must still run, and the request it measures must
// succeed, or a bench run would measure error answers (the runner counts them, but only once it runs).
describe('bench scenarios: each sets up and answers its request with 2xx', () => {
  for (const scenario of scenarios) {
    test(scenario.name, async () => {
      if (scenario.bare) {
        const app = Fastify({ logger: false });
        try {
          const answer = await app.inject(injected(scenario.bare(app)));
          assert.ok(answer.statusCode < 300, `${answer.statusCode} ${answer.body.slice(0, 200)}`);
        } finally {
          await app.close();
        }
        return;
      }
      // The scenario's own settings, as the bench's node reads them.
      const { clientCertificates, clientCaFile, clientCrlFile } = loadConfig(
        scenario.env ?? {},
        process.cwd(),
      );
      const t = await createTestApp({
        store: 'sqlite-cached',
        extraRoutes: scenario.routes ? [scenario.routes] : [],
        ...(clientCertificates ? { clientCertificates } : {}),
        ...(clientCaFile ? { trustedCas: await readClientCas({ clientCaFile, clientCrlFile }) } : {}),
      });
      try {
        const request = await scenario.setup(t.services);
        const proof = request.dpop ? dpopProofs(request.method, request.dpop, t.clock.now) : undefined;
        for (const body of request.bodies?.slice(0, 3) ?? [request.body, request.body]) {
          const sent = injected(request, body);
          // A new proof for each request, as the load generator makes (twice: the same one would be refused).
          if (proof) sent.headers = { ...sent.headers, dpop: proof() };
          const answer = await t.app.inject(sent);
          assert.ok(answer.statusCode < 300, `${answer.statusCode} ${answer.body.slice(0, 200)}`);
        }
      } finally {
        await t.close();
      }
    });
  }
});
