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
