import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { VerifiedToken } from '../core/auth/jwt.js';
import type { Scope } from '../core/auth/scopes.js';
import type { OperatorIdentity } from '../services/operators.js';
import type { AppServices } from '../services/services.js';
import type { AuthHooks } from './auth.js';
import type { RequestDurations } from './request-durations.js';

/** The Fastify instance with TypeBox types, as every route module receives it. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What every route module receives. */
export interface RouteDeps {
  auth: AuthHooks;
  services: AppServices;
  /** Request durations, recorded for every request; GET /metrics renders them. */
  durations: RequestDurations;
  /** The node's own TLS certificate, when it serves HTTPS itself (TLS_CERT_FILE). */
  servedCertificate: () => ServedCertificate | null;
}

/** The certificate a node serves HTTPS with: its subject and when it ends. */
export interface ServedCertificate {
  subject: string;
  notAfter: number;
}

/** A route module: adds its routes, with schemas, to the app. */
export type RouteModule = (app: App, deps: RouteDeps) => Promise<void>;

/** Who is calling a resource API. */
export type Principal =
  | { kind: 'api-key'; accountId: string }
  | { kind: 'token'; accountId: string; scopes: ReadonlySet<Scope>; token: VerifiedToken };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    operator: OperatorIdentity | null;
  }
  interface FastifyContextConfig {
    /** Errors of this route are answered in the RFC 6749 §5.2 format. */
    oauth?: boolean;
  }
}
