import type { FastifyRequest, onRequestHookHandler } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import { requireAccount } from '../auth.js';
import type { App, RouteDeps } from '../types.js';
import { registerPolicyOperations } from './policy-operations.js';

/** Who changed something through the v2 API: the client the token was issued to. */
function client(request: FastifyRequest): { accountId: string; actor: string } {
  const principal = request.principal;
  if (principal?.kind !== 'token') throw new AppError('unauthorized', 'an access token is required');
  return { accountId: principal.accountId, actor: `client:${principal.token.clientId}` };
}

/**
 * `?accountId=` is optional; when given it must be the token's account (403 otherwise), so a client that
 * holds the wrong account's token is refused instead of changing that account's policies.
 */
const accountQuery: onRequestHookHandler = async (request) => {
  const given = (request.query as Record<string, unknown> | undefined)?.accountId;
  if (given !== undefined) requireAccount(request, String(given));
};

/** The policy API (SPEC §4) for the token's account: `policies:read` to read, `policies:write` to change. */
export async function policyRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  registerPolicyOperations(app, services, {
    base: '/v2',
    params: {},
    query: {
      accountId: Type.Optional(
        Type.String({
          pattern: ACCOUNT_ID_PATTERN.source,
          description: 'Optional; must be the token’s account',
        }),
      ),
      access_token: Type.Optional(
        Type.String({ description: 'The token, when not sent as Authorization: Bearer' }),
      ),
    },
    tags: ['policies v2'],
    security: [{ bearer: [] }, { dpop: [] }],
    read: [auth.v2('policies:read'), accountQuery],
    write: [auth.v2('policies:write'), accountQuery],
    account: async (request) => client(request).accountId,
    actor: (request) => client(request).actor,
    audit: (request, accountId, action, detail) =>
      recordAudit(
        services.ctx,
        { name: client(request).actor, address: request.ip },
        accountId,
        action,
        detail,
      ),
  });
}
