import { collectDefaultMetrics, Registry } from 'prom-client';
import type { App, RouteDeps } from '../types.js';

const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
const NAME = 'orchestrator_http_request_duration_seconds';

interface Series {
  labels: string;
  counts: Float64Array;
  sum: number;
  count: number;
}

/**
 * Request durations by route template, method and status, kept as plain arrays: a labelled histogram
 * observation per request cost more than the rest of a small request's overhead put together.
 */
class RequestDurations {
  readonly #series = new Map<string, Series>();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route} ${status}`;
    let series = this.#series.get(key);
    if (!series) {
      const labels = `method="${method}",route="${route.replace(/["\\\n]/g, '_')}",status="${status}"`;
      series = { labels, counts: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
      this.#series.set(key, series);
    }
    const counts = series.counts;
    for (let i = 0; i < BUCKETS.length; i++)
      if (seconds <= (BUCKETS[i] as number)) counts[i] = (counts[i] as number) + 1;
    series.sum += seconds;
    series.count++;
  }

  /** Prometheus text exposition (version 0.0.4). */
  render(): string {
    const lines = [`# HELP ${NAME} HTTP request duration by route and status`, `# TYPE ${NAME} histogram`];
    for (const s of this.#series.values()) {
      BUCKETS.forEach((le, i) => {
        lines.push(`${NAME}_bucket{${s.labels},le="${le}"} ${s.counts[i]}`);
      });
      lines.push(`${NAME}_bucket{${s.labels},le="+Inf"} ${s.count}`);
      lines.push(`${NAME}_sum{${s.labels}} ${s.sum}`);
      lines.push(`${NAME}_count{${s.labels}} ${s.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  /** Requests refused for a credential (401) or for what it may do (403), from the same series. */
  renderRefused(): string {
    const refused = new Map<string, number>();
    for (const [key, s] of this.#series) {
      const status = key.slice(key.lastIndexOf(' ') + 1);
      if (status === '401' || status === '403') refused.set(status, (refused.get(status) ?? 0) + s.count);
    }
    const name = 'orchestrator_credentials_refused_total';
    const lines = [
      `# HELP ${name} Requests refused for a missing or invalid credential (401) or one not allowed (403)`,
      `# TYPE ${name} counter`,
    ];
    for (const [status, count] of refused) lines.push(`${name}{status="${status}"} ${count}`);
    return `${lines.join('\n')}\n`;
  }
}

/**
 * Prometheus metrics at GET /metrics: request durations by route template and status, refused
 * credentials, and the process's own (memory, event loop, GC). No label carries a credential or an account id.
 */
export async function metricsRoutes(app: App, _deps: RouteDeps): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const durations = new RequestDurations();

  app.addHook('onResponse', (request, reply, done) => {
    durations.observe(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    done();
  });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return `${durations.render()}${durations.renderRefused()}${await registry.metrics()}`;
  });
}
