import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { recordAudit } from '../../services/audit.js';
import type { RouteDeps } from '../server.js';
import type { App } from '../types.js';
import { registerPolicyOperations } from './policy-operations.js';

/** Who changed something through the v2 API: the client the token was issued to. */
function client(request: FastifyRequest): { accountId: string; actor: string } {
  const principal = request.principal;
  if (principal?.kind !== 'token') throw new AppError('unauthorized', 'an access token is required');
  return { accountId: principal.accountId, actor: `client:${principal.token.clientId}` };
}

/** The policy API (SPEC §4) for the token's account: `policies:read` to read, `policies:write` to change. */
export async function policyRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  registerPolicyOperations(app, services, {
    base: '/v2',
    params: {},
    query: {
      access_token: Type.Optional(
        Type.String({ description: 'The token, when not sent as Authorization: Bearer' }),
      ),
    },
    tags: ['policies v2'],
    security: [{ bearer: [] }],
    read: auth.v2('policies:read'),
    write: auth.v2('policies:write'),
    account: async (request) => client(request).accountId,
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
