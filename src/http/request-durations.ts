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
export class RequestDurations {
  /** route template → method → status → series: no key is built per request. */
  readonly #byRoute = new Map<string, Map<string, Map<number, Series>>>();
  /** Every series, in the order first seen, with its status for renderRefused. */
  readonly #all: { status: number; series: Series }[] = [];

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.#byRoute.get(route);
    if (!byMethod) {
      byMethod = new Map();
      this.#byRoute.set(route, byMethod);
    }
    let byStatus = byMethod.get(method);
    if (!byStatus) {
      byStatus = new Map();
      byMethod.set(method, byStatus);
    }
    let series = byStatus.get(status);
    if (!series) {
      const labels = `method="${method}",route="${route.replace(/["\\\n]/g, '_')}",status="${status}"`;
      series = { labels, counts: new Float64Array(BUCKETS.length), sum: 0, count: 0 };
      byStatus.set(status, series);
      this.#all.push({ status, series });
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
    for (const { series: s } of this.#all) {
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
    const refused = new Map<number, number>();
    for (const { status, series } of this.#all) {
      if (status === 401 || status === 403) refused.set(status, (refused.get(status) ?? 0) + series.count);
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
