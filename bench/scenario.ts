import {
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
  randomBytes,
  sign,
} from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Scope } from '../src/core/auth/scopes.js';
import type { RouteModule } from '../src/http/server.js';
import type { AppServices } from '../src/services/services.js';

/** One HTTP request that autocannon repeats. */
export interface BenchRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Bodies to cycle through instead of one fixed body (e.g. writes to distinct keys). */
  bodies?: string[];
  /**
   * A DPoP proof (RFC 9449) made by the load generator for each request it sends, as a client must: signed ES256
   * with this private key (a JWK), for the request's method and `htu`, and the access token `token`.
   */
  dpop?: { privateJwk: Record<string, unknown>; htu: string; token: string };
}

/**
 * A measured scenario. `setup` runs inside the server process, after the node started, and returns the
 * request to repeat. `routes` adds probe routes of the bench's own (e.g. a bare route behind a hook).
 */
export interface Scenario {
  name: string;
  /** What it compares with the baseline, for the report. */
  description: string;
  /** Goal as a fraction of the baseline's requests per second, or an absolute floor, for the report. */
  goal?: { ratio?: number; perSecond?: number };
  routes?: RouteModule;
  /** Settings of the node's own for this scenario (environment variables, as a server reads them). */
  env?: Record<string, string>;
  setup(services: AppServices): Promise<BenchRequest>;
  /**
   * A floor instead of the node: a bare Fastify server (as the baseline's) with this route only, doing the
   * least any implementation must do for the request (e.g. sign a token). Its ratio is the most the node
   * could reach on this machine; `setup` is not called.
   */
  bare?: (app: FastifyInstance) => BenchRequest;
}

/** An access token of the account's current credentials with `scopes`, as the token endpoint would issue. */
export async function issueBenchToken(
  services: AppServices,
  accountId: string,
  scopes: Scope[],
): Promise<string> {
  const client = await services.clients.reveal(accountId);
  const version = await services.clients.currentVersion(accountId);
  if (!client || typeof version !== 'number')
    throw new Error(`bench account ${accountId} has no active client`);
  return (await services.tokens.issue(accountId, client.userId, version, scopes)).token;
}

/** Makes a new DPoP proof for each call (its own jti, iat now), as a client of bound tokens does per request. */
export function dpopProofs(
  method: string,
  { privateJwk, htu, token }: NonNullable<BenchRequest['dpop']>,
  now: () => number = Date.now,
): () => string {
  const key = createPrivateKey({ key: privateJwk as JsonWebKey, format: 'jwk' });
  const { kty, crv, x, y } = createPublicKey(key).export({ format: 'jwk' });
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const header = part({ typ: 'dpop+jwt', alg: 'ES256', jwk: { kty, crv, x, y } });
  const ath = createHash('sha256').update(token).digest('base64url');
  return () => {
    const claims = {
      jti: randomBytes(12).toString('base64url'),
      htm: method,
      htu,
      iat: Math.floor(now() / 1000),
      ath,
    };
    const input = `${header}.${part(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
  };
}
