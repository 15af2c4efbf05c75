import { collectDefaultMetrics, Registry } from 'prom-client';
import type { App, RouteDeps } from '../types.js';

/**
 * Prometheus metrics at GET /metrics: request durations by route template and status (recorded by the
 * server's RequestLifecycle), refused credentials, and the process's own (memory, event loop, GC). No
 * label carries a credential or an account id.
 */
export async function metricsRoutes(app: App, { durations }: RouteDeps): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return `${durations.render()}${durations.renderRefused()}${await registry.metrics()}`;
  });
}
