import type { IncomingHttpHeaders } from 'node:http';
import type { FastifyServerOptions } from 'fastify';
import { traceIdOf } from '../core/trace-context.js';

/**
 * Query parameters whose values are secrets and never reach a log: tokens (RFC 6750 §2.3), and the authorization
 * code a single sign-on provider sends the browser back with (RFC 6749 §4.1.2).
 */
const SECRET_QUERY = /([?&](?:access_token|token|client_secret|password|code)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

/** Pino options: JSON lines, request ids, and nothing secret from headers, cookies or URLs. */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["maven-api-key"]',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'req.headers.dpop',
        'res.headers["set-cookie"]',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request: { method: string; url: string; ip?: string; id?: string }) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}

type LogMethod = (...args: unknown[]) => void;
interface ChildCapable {
  child(bindings: Record<string, unknown>, options?: object): ChildCapable;
  level: string;
  [method: string]: unknown;
}

/**
 * The per-request logger, created only when something is logged: most requests log nothing below the
 * configured level, and a pino child per request is a measurable share of a small request's cost.
 */
export class LazyChildLogger {
  #real: ChildCapable | null = null;

  constructor(
    private readonly parent: ChildCapable,
    private readonly bindings: Record<string, unknown>,
    private readonly options: object,
    /** The request's headers: its `traceparent` (W3C Trace Context) puts the caller's `traceId` on every line. */
    private readonly headers?: IncomingHttpHeaders,
  ) {}

  #logger(): ChildCapable {
    if (this.#real === null) {
      const traceId = traceIdOf(this.headers?.traceparent);
      this.#real = this.parent.child(traceId ? { ...this.bindings, traceId } : this.bindings, this.options);
    }
    return this.#real;
  }

  #call(method: string, args: unknown[]): void {
    if (!(this.parent as unknown as { isLevelEnabled(level: string): boolean }).isLevelEnabled(method))
      return;
    (this.#logger()[method] as LogMethod)(...args);
  }

  get level(): string {
    return this.#real?.level ?? this.parent.level;
  }

  set level(level: string) {
    this.#logger().level = level;
  }

  fatal(...args: unknown[]): void {
    this.#call('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#call('error', args);
  }
  warn(...args: unknown[]): void {
    this.#call('warn', args);
  }
  info(...args: unknown[]): void {
    this.#call('info', args);
  }
  debug(...args: unknown[]): void {
    this.#call('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#call('trace', args);
  }
  silent(): void {}

  child(bindings: Record<string, unknown>, options?: object): ChildCapable {
    return this.#logger().child(bindings, options);
  }
}
