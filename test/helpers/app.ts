import { randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { type JWTPayload, SignJWT } from 'jose';
import { pino } from 'pino';
import { InProcessBus } from '../../src/adapters/memory/bus.js';
import { MemoryRateLimitStore } from '../../src/adapters/memory/rate-limit.js';
import { createMemoryStore } from '../../src/adapters/memory/store.js';
import { createSqliteStore } from '../../src/adapters/sqlite/store.js';
import type { OperatorSsoSettings } from '../../src/config/config.js';
import type { TrustedCa } from '../../src/core/auth/trusted-cas.js';
import { loggerOptions } from '../../src/http/logging.js';
import { buildServer, type RouteModule } from '../../src/http/server.js';
import { basic } from './net.js';
import { withContextCache } from './stores.js';

export { basic } from './net.js';

import type { App } from '../../src/http/types.js';
import type { SharedBuckets } from '../../src/ports/shared-buckets.js';
import type { Store } from '../../src/ports/store.js';
import type { ServiceContext, SigningPlace } from '../../src/services/context.js';
import { type Maintenance, startMaintenance } from '../../src/services/maintenance.js';
import { type AppServices, createAppServices } from '../../src/services/services.js';

export const ISSUER = 'http://orchestrator.test';
export const ADMIN_PASSWORD = 'correct horse battery staple';

/** A clock tests move by hand. */
export class TestClock {
  constructor(public current = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export interface TestApp {
  app: App;
  services: AppServices;
  ctx: ServiceContext;
  clock: TestClock;
  bus: InProcessBus;
  /** Every log line written so far (JSON text). */
  logs: string[];
  close(): Promise<void>;
}

/** A whole server in this process, over a fresh store (memory by default), not listening: use `app.inject`. */
export async function createTestApp(
  options: {
    /** `sqlite-cached`: SQLite with the context read cache in front, as a SQLite server runs. */
    store?: 'memory' | 'sqlite' | 'sqlite-cached' | Store;
    tokenTtlSeconds?: number;
    /** Where tokens are signed (a server with two cores or more: `auto`); the event loop by default. */
    signingPlace?: SigningPlace;
    extraRoutes?: RouteModule[];
    logLevel?: string;
    operatorTotp?: 'optional' | 'required';
    accountRate?: { perSecond: number; burst: number };
    /** The accounts' request rates counted for every node (REDIS_URL); absent: on this node only. */
    sharedBuckets?: SharedBuckets;
    /** ADMIN_NETWORKS as parsed. */
    adminNetworks?: string[];
    /** TRUST_PROXY as parsed: which X-Forwarded-For hops to believe. */
    trustProxy?: boolean | number | string[];
    /** ISSUER; `ISSUER` (a domain name) by default. */
    issuer?: string;
    /** OPERATOR_SSO_* as parsed. */
    operatorSso?: OperatorSsoSettings;
    /** OPERATOR_PASSWORD_SIGN_IN=false: false. */
    operatorPasswordSignIn?: boolean;
    /** OPERATOR_SESSION_HOURS / OPERATOR_SESSION_IDLE_MINUTES as parsed; absent: 8 hours and 30 minutes. */
    operatorSessions?: { lifetimeMs: number; idleMs: number };
    /** DPOP_NONCE=true: true. */
    dpopNonce?: boolean;
    /** CLIENT_CERT_HEADER / CLIENT_CERT_PROXIES as parsed. */
    clientCertificates?: { header: string; proxies: string[] };
    /** CLIENT_CA_FILE's CAs, as read. */
    trustedCas?: TrustedCa[];
    /** CLIENT_OCSP as parsed. */
    clientOcsp?: 'prefer' | 'require';
    /** MTLS_BASE_URL as parsed. */
    mtlsBaseUrl?: string;
    /** CLIENT_ASSERTION_AUDIENCE as parsed. */
    clientAssertionAudience?: 'any' | 'issuer';
  } = {},
): Promise<TestApp> {
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const logger = pino(loggerOptions(options.logLevel ?? 'info', stream) as pino.LoggerOptions, stream);
  const store: Store =
    typeof options.store === 'object'
      ? options.store
      : options.store === 'sqlite'
        ? createSqliteStore(':memory:')
        : options.store === 'sqlite-cached'
          ? withContextCache(createSqliteStore(':memory:'))
          : createMemoryStore();
  const clock = new TestClock();
  const bus = new InProcessBus();
  const ctx: ServiceContext = {
    store,
    bus,
    clock,
    random: { bytes: (n) => randomBytes(n), uuid: () => randomUUID() },
    rateLimits: new MemoryRateLimitStore(),
    ...(options.sharedBuckets ? { sharedBuckets: options.sharedBuckets } : {}),
    log: logger,
    masterKey: randomBytes(32),
    settings: {
      issuer: options.issuer ?? ISSUER,
      tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
      contextMaxRetentionSeconds: 13 * 31 * 86_400,
      signingPlace: options.signingPlace ?? 'event-loop',
      ...(options.operatorTotp ? { operatorTotp: options.operatorTotp } : {}),
      ...(options.operatorSso ? { operatorSso: options.operatorSso } : {}),
      ...(options.operatorPasswordSignIn === false ? { operatorPasswordSignIn: false } : {}),
      ...(options.operatorSessions ? { operatorSessions: options.operatorSessions } : {}),
      ...(options.accountRate ? { accountRate: options.accountRate } : {}),
      ...(options.adminNetworks ? { adminNetworks: options.adminNetworks } : {}),
      ...(options.dpopNonce ? { dpopNonce: true } : {}),
      ...(options.clientCertificates ? { clientCertificates: options.clientCertificates } : {}),
      ...(options.trustedCas ? { trustedCas: options.trustedCas } : {}),
      ...(options.clientOcsp ? { clientOcsp: options.clientOcsp } : {}),
      ...(options.mtlsBaseUrl ? { mtlsBaseUrl: options.mtlsBaseUrl } : {}),
      ...(options.clientAssertionAudience
        ? { clientAssertionAudience: options.clientAssertionAudience }
        : {}),
    },
  };
  const services = createAppServices(ctx);
  await services.operators.bootstrap(ADMIN_PASSWORD);
  const app = await buildServer(services, {
    logger,
    trustProxy: options.trustProxy ?? false,
    extraRoutes: options.extraRoutes ?? [],
  });
  await app.ready();
  return {
    app,
    services,
    ctx,
    clock,
    bus,
    logs,
    close: async () => {
      await app.close();
      await services.tokens.close();
      await store.close();
    },
  };
}

export interface AccountCredentials {
  accountId: string;
  apiKey: string;
  userId: string;
  password: string;
}

/** Creates an account through the services and returns its secrets. */
export async function createAccount(
  t: TestApp,
  accountId = `acct${randomBytes(4).toString('hex')}`,
): Promise<AccountCredentials> {
  await t.services.accounts.create(accountId);
  const key = await t.services.apiKeys.reveal(accountId);
  const client = await t.services.clients.reveal(accountId);
  if (!key || !client) throw new Error('account secrets missing');
  return { accountId, apiKey: key.key, userId: client.userId, password: client.password };
}

/**
 * A token request at the token endpoint by a client assertion (RFC 7523 private_key_jwt) alone: `claims` signed with
 * `key` (ES256, the header naming `kid`).
 */
export async function tokenByAssertion(
  t: TestApp,
  key: Parameters<SignJWT['sign']>[0],
  kid: string,
  claims: JWTPayload,
): Promise<LightMyRequestResponse> {
  const assertion = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid }).sign(key);
  return t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    }).toString(),
  });
}

/** Gets an access token from the token endpoint (client_secret_basic), with these headers too. */
export async function getToken(
  t: TestApp,
  account: AccountCredentials,
  scope?: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: {
      authorization: basic(account.userId, account.password),
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    },
    payload: `grant_type=client_credentials${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`,
  });
  if (response.statusCode !== 200)
    throw new Error(`token request failed: ${response.statusCode} ${response.body}`);
  return (response.json() as { access_token: string }).access_token;
}

/** Creates the account's context document `nameSpace`/`sessionId` through the v2 API, with a token of its own. */
export async function createDocument(
  t: TestApp,
  account: AccountCredentials,
  nameSpace = 'shop',
  sessionId = 'conv1',
  payload: Record<string, unknown> = { a: 1 },
): Promise<void> {
  const made = await t.app.inject({
    method: 'POST',
    url: '/v2/context/document/create',
    headers: { authorization: `Bearer ${await getToken(t, account)}` },
    payload: { accountId: account.accountId, nameSpace, sessionId, payload },
  });
  if (made.statusCode !== 201) throw new Error(`document not created: ${made.statusCode} ${made.body}`);
}

/** Signs in as the admin operator; returns the cookie header and CSRF token to send on changes. */
export async function signIn(
  t: TestApp,
  username = 'admin',
  password = ADMIN_PASSWORD,
): Promise<{ cookie: string; csrf: string; headers: Record<string, string> }> {
  const response = await t.app.inject({
    method: 'POST',
    url: '/api/admin/login',
    payload: { username, password },
  });
  if (response.statusCode !== 200) throw new Error(`sign-in failed: ${response.statusCode} ${response.body}`);
  const cookie = response.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
  const csrf = (response.json() as { csrfToken: string }).csrfToken;
  return { cookie, csrf, headers: { cookie, 'x-csrf-token': csrf } };
}

/** `send` bound to a test app made later (in `before`): `const call = caller(() => t)`. */
export function caller(app: () => TestApp) {
  return (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    headers: Record<string, string>,
    payload?: unknown,
  ) => send(app(), method, url, headers, payload);
}

/** One request to the test app with these headers and, when given, a JSON body. */
export function send(
  t: TestApp,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  url: string,
  headers: Record<string, string>,
  payload?: unknown,
) {
  return t.app.inject({
    method,
    url,
    headers,
    ...(payload === undefined ? {} : { payload: payload as object }),
  });
}

/** Every node's housekeeping over the test app (its timers unref'd; `purgeNow` runs a pass), with settings changed. */
export function maintenanceOf(t: TestApp, settings: Partial<ServiceContext['settings']> = {}): Maintenance {
  return startMaintenance(
    { ...t.ctx, settings: { ...t.ctx.settings, ...settings } },
    t.services.purged,
    t.services.accounts,
    t.services.keyring,
  );
}

/** One pass of the housekeeping, as its timers run it, with settings changed. */
export async function maintainOnce(
  t: TestApp,
  settings: Partial<ServiceContext['settings']> = {},
): Promise<void> {
  const maintenance = maintenanceOf(t, settings);
  try {
    await maintenance.purgeNow();
  } finally {
    await maintenance.stop();
  }
}
