import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ContextCacheStats } from '../../ports/context-store.js';
import type { App, RouteDeps } from '../types.js';

/**
 * Prometheus metrics at GET /metrics: request durations by route template and status (recorded by the
 * server's RequestLifecycle), refused credentials, the context read cache of a SQLite node, and the
 * process's own (memory, event loop, GC). No label carries a credential or an account id.
 */
export async function metricsRoutes(app: App, { durations, services }: RouteDeps): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cache = services.ctx.store.contextCache;

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    const cacheLines = cache ? renderContextCache(cache.stats()) : '';
    return `${durations.render()}${durations.renderRefused()}${cacheLines}${await registry.metrics()}`;
  });
}

/** The context read cache of a SQLite node, in the Prometheus text format. */
function renderContextCache(stats: ContextCacheStats): string {
  const metric = (name: string, type: 'gauge' | 'counter', help: string, value: number) =>
    `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name} ${value}\n`;
  return [
    metric(
      'orchestrator_context_cache_documents',
      'gauge',
      'Context documents held in memory.',
      stats.documents,
    ),
    metric(
      'orchestrator_context_cache_chars',
      'gauge',
      'Characters counted against the cache budget (JSON, keys, a fixed overhead per document).',
      stats.chars,
    ),
    metric(
      'orchestrator_context_cache_budget_chars',
      'gauge',
      'CONTEXT_CACHE_MB in characters.',
      stats.budgetChars,
    ),
    metric(
      'orchestrator_context_cache_hits_total',
      'counter',
      'Context reads answered from memory.',
      stats.hits,
    ),
    metric(
      'orchestrator_context_cache_misses_total',
      'counter',
      'Context reads that went to the store.',
      stats.misses,
    ),
    metric(
      'orchestrator_context_cache_evictions_total',
      'counter',
      'Context documents dropped to stay within the budget.',
      stats.evictions,
    ),
  ].join('');
}
