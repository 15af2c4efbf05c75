import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import type { App, RouteDeps } from '../types.js';

/**
 * Prometheus metrics at GET /metrics: request durations by route and status, refused credentials by kind,
 * and the process's own (memory, event loop, GC). No label ever carries a credential or an account id.
 */
export async function metricsRoutes(app: App, _deps: RouteDeps): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'orchestrator_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'orchestrator_credentials_refused_total',
    help: 'Requests refused for a missing or invalid credential (401) or a credential not allowed (403)',
    labelNames: ['status'],
    registers: [registry],
  });

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    duration.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(status) },
      reply.elapsedTime / 1000,
    );
    if (status === 401 || status === 403) refused.inc({ status: String(status) });
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
}
