import { randomBytes } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import { AppError } from '../core/errors.js';
import { LogThrottle } from '../core/log-throttle.js';
import { inNetworks, networkList } from '../core/networks.js';
import { SSO_BACK_CHANNEL_LOGOUT_PATH } from '../services/operator-sso.js';
import type { AppServices } from '../services/services.js';
import { AuthHooks } from './auth.js';
import { handleError } from './errors.js';
import { registerFormParser, registerJsonParser, registerOptionalBodies } from './form.js';
import { LazyChildLogger } from './logging.js';
import { RequestDurations } from './request-durations.js';
import { RequestLifecycle } from './request-lifecycle.js';
import { adminRoutes } from './routes/admin.js';
import { adminBackupRoutes } from './routes/admin-backups.js';
import { adminClientKeyRoutes } from './routes/admin-client-keys.js';
import { adminContextRoutes } from './routes/admin-context.js';
import { adminOperatorRoutes } from './routes/admin-operators.js';
import { adminPasskeyRoutes } from './routes/admin-passkeys.js';
import { adminPolicyRoutes } from './routes/admin-policies.js';
import { adminSsoRoutes } from './routes/admin-sso.js';
import { adminTotpRoutes } from './routes/admin-totp.js';
import { contextV1Routes } from './routes/context-v1.js';
import { contextV2Routes } from './routes/context-v2.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { loginRoutes } from './routes/login.js';
import { metricsRoutes } from './routes/metrics.js';
import { nextActionRoutes } from './routes/next-actions.js';
import { oauthRoutes } from './routes/oauth.js';
import { policyRoutes } from './routes/policies.js';
import { webRoutes } from './routes/web.js';
import { keepTickShapes } from './tick-shapes.js';
import { destroyTlsConnections, httpsServerFactory, type TlsFiles } from './tls.js';
import type { App, RouteDeps, RouteModule, ServedCertificate } from './types.js';

export type { RouteDeps, RouteModule } from './types.js';

export interface ServerOptions {
  /** The node's logger (built with loggerOptions, so secrets are redacted). */
  logger: FastifyBaseLogger;
  /** Which X-Forwarded-For hops to believe (TRUST_PROXY): none, all, the nearest N, or from these addresses. */
  trustProxy: boolean | number | string[];
  /** More route modules (benchmarks and tests register probes of their own). */
  extraRoutes?: RouteModule[];
  /**
   * TLS_CERT_FILE / TLS_KEY_FILE: serve HTTPS with this certificate and key (PEM); `requestClientCertificates`
   * (TLS_CLIENT_CERTIFICATES=request): ask each client for its certificate, taking any (they are checked against the
   * accounts' registered ones, not against an authority); `clientCaNames` (TLS_CLIENT_CA_NAMES): the CAs (PEM) its
   * certificate request names. Absent: plain HTTP.
   */
  tls?: TlsFiles & { requestClientCertificates: boolean; clientCaNames?: readonly string[] };
  /** With TLS: the certificate new connections are served now (it changes on a reload), for GET /metrics. */
  servedCertificate?: () => ServedCertificate | null;
}

/** Route modules in the order they are registered; each adds its routes with schemas (and so to OpenAPI). */
const ROUTE_MODULES: RouteModule[] = [
  metricsRoutes,
  docsRoutes,
  healthRoutes,
  oauthRoutes,
  loginRoutes,
  adminRoutes,
  contextV1Routes,
  contextV2Routes,
  adminContextRoutes,
  nextActionRoutes,
  policyRoutes,
  adminPolicyRoutes,
  adminClientKeyRoutes,
  adminBackupRoutes,
  adminOperatorRoutes,
  adminTotpRoutes,
  adminPasskeyRoutes,
  adminSsoRoutes,
  webRoutes,
];

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/**
 * Ids for requests that bring none: a random prefix per process and a counter. Unique across nodes and
 * restarts without drawing randomness for every request; an id is not a secret.
 */
function requestIds(): () => string {
  const prefix = randomBytes(9).toString('base64url');
  let next = 0;
  return () => `${prefix}-${(next++).toString(36)}`;
}

/** Builds the HTTP server; it does not listen. */
export async function buildServer(services: AppServices, options: ServerOptions): Promise<App> {
  keepTickShapes();
  const durations = new RequestDurations();
  const newRequestId = requestIds();
  const app = Fastify({
    loggerInstance: options.logger,
    childLoggerFactory: (logger, bindings, childOptions, rawRequest) =>
      new LazyChildLogger(
        logger as never,
        bindings,
        childOptions,
        rawRequest.headers,
      ) as unknown as FastifyBaseLogger,
    logController: new RequestLifecycle(options.logger as unknown as { levelVal: number }, durations),
    // A number of hops as Fastify counts them: the nearest N addresses (the socket's peer first) are proxies.
    trustProxy:
      typeof options.trustProxy === 'number'
        ? (
            (hops: number) => (_address: string, hop: number) =>
              hop < hops
          )(options.trustProxy)
        : options.trustProxy,
    bodyLimit: 1024 * 1024,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : newRequestId();
    },
    routerOptions: { maxParamLength: 512, ignoreTrailingSlash: false },
    ...(options.tls && { serverFactory: httpsServerFactory(options.tls) }),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  // Serving HTTPS itself, the node says so for a year (behind a proxy that terminates TLS, the proxy says it).
  if (options.tls)
    app.addHook('onRequest', (_request, reply, done) => {
      reply.header('strict-transport-security', 'max-age=31536000');
      done();
    });
  app.decorateRequest('principal', null);
  app.decorateRequest('operator', null);
  const adminNetworks = services.ctx.settings.adminNetworks;
  if (adminNetworks) {
    // Only with ADMIN_NETWORKS: the admin API (sign-in included) answers those addresses alone, before any credential.
    const allowed = networkList(adminNetworks);
    app.addHook('onRequest', (request, _reply, done) => {
      // The route matched, not the URL as written: no spelling of a path reaches an admin route past this.
      const route = request.routeOptions.url;
      // The provider's back-channel logout comes from its servers, not the operators' network; its token is its proof.
      if (!route?.startsWith('/api/admin/') || route === SSO_BACK_CHANNEL_LOGOUT_PATH) return done();
      if (inNetworks(allowed, request.ip)) return done();
      done(new AppError('forbidden', `the admin API does not answer ${request.ip} (ADMIN_NETWORKS)`));
    });
  }
  registerFormParser(app);
  registerJsonParser(app);
  registerOptionalBodies(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Conversation Orchestrator',
        version: '1.0.0',
        description:
          'Conversation Context Service, Next Actions, routing policies and server-to-server authentication.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'maven-api-key' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          dpop: {
            type: 'http',
            scheme: 'DPoP',
            bearerFormat: 'JWT',
            description:
              'A token bound to a key (RFC 9449): Authorization: DPoP <token>, and a proof of the key for this request in the DPoP header',
          },
          clientBasic: { type: 'http', scheme: 'basic' },
          // OpenAPI 3.1's `mutualTLS` scheme, which the plugin's types (written for 3.0) do not name.
          clientCertificate: {
            type: 'mutualTLS',
            description:
              'The client certificate (RFC 8705), presented to the TLS proxy in front and forwarded in CLIENT_CERT_HEADER: with client_id alone at the OAuth endpoints (self_signed_tls_client_auth), and with every call of a token bound to it',
          } as unknown as { type: 'openIdConnect'; openIdConnectUrl: string },
          operatorSession: { type: 'apiKey', in: 'cookie', name: 'orch_session' },
        },
      },
    },
  });

  // A store that is down fails every request: one log line a second says so, with how many it stands for.
  const outages = new LogThrottle(1000, () => services.ctx.clock.now());
  app.setErrorHandler((error, request, reply) => handleError(error, request, reply, outages));
  app.setNotFoundHandler((request, reply) =>
    handleError(
      new AppError('not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
      request,
      reply,
      outages,
    ),
  );

  const deps: RouteDeps = {
    auth: new AuthHooks(services),
    services,
    durations,
    servedCertificate: options.servedCertificate ?? (() => null),
  };
  for (const routes of [...ROUTE_MODULES, ...(options.extraRoutes ?? [])]) await routes(app, deps);
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  return app;
}

/**
 * Closes the server gracefully: no new connections; requests in flight are answered, those that arrive on open
 * connections meanwhile get 503 with `Connection: close` (Fastify). Node closes the connections that are idle at
 * the moment closing starts, but not those that become idle after their last answer: they would stay open until
 * the client's or the keep-alive timeout (72 s), holding the stop. They are closed as they go idle. After
 * `deadlineMs`, connections still busy (a client that never finishes its request) are closed too.
 */
export async function closeServer(app: App, deadlineMs: number): Promise<void> {
  const server = app.server;
  const sweep = setInterval(() => server.closeIdleConnections(), 100);
  const deadline = setTimeout(() => {
    app.log.warn({ deadlineMs }, 'shutting down: closing the connections of requests still in flight');
    server.closeAllConnections();
    // HTTPS: connections still in their handshake are not the HTTP layer's to close.
    destroyTlsConnections(server);
  }, deadlineMs);
  try {
    await app.close();
  } finally {
    clearInterval(sweep);
    clearTimeout(deadline);
  }
}
