import { type FastifyReply, type FastifyRequest, LogController } from 'fastify';
import type { RequestDurations } from './request-durations.js';

/** pino's numeric value of `info`, the level of Fastify's "incoming request" and "request completed" lines. */
const INFO = 30;

/**
 * What the server does at the start and the end of every request, in the two calls Fastify makes for
 * each request anyway (its log controller), rather than in a global onRequest and onResponse hook: each
 * hook costs every request a pass through Fastify's hook runner, together about a tenth of a small
 * request's cost here (docs/benchmarks.md).
 *
 * - At the start: the `x-request-id` answer header, and `x-content-type-options: nosniff` (API answers
 *   are JSON, never rendered; pages set their own Content-Security-Policy).
 * - At the end: the request's duration, by route template, method and status, for GET /metrics.
 * - Fastify's own per-request lines ("incoming request", "request completed") are written at `info`.
 *   When the node logs above `info` they would be dropped anyway, so they are skipped before their
 *   objects are built; "request errored" is written whenever `error` is enabled.
 */
export class RequestLifecycle extends LogController {
  constructor(
    private readonly root: { levelVal: number },
    private readonly durations: RequestDurations,
  ) {
    super();
  }

  /**
   * Only the two per-request lines are skipped: Fastify's other lines (a stream or serializer error, at
   * `warn` and `error`) go through the default check and reach the logger, which filters by level.
   */
  #infoOff(): boolean {
    return this.root.levelVal > INFO;
  }

  override incomingRequest(request: FastifyRequest, reply: FastifyReply): void {
    reply.header('x-request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    if (!this.#infoOff()) super.incomingRequest(request, reply);
  }

  override requestCompleted(
    error: Error | null | undefined,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    this.durations.observe(
      request.method,
      request.is404 ? 'unmatched' : (request.routeOptions.url ?? 'unmatched'),
      reply.statusCode,
      reply.elapsedTime / 1000,
    );
    if (error)
      reply.log.error({ res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else if (!this.#infoOff()) super.requestCompleted(error, request, reply);
  }
}
