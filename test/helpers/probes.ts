import { Type } from 'typebox';
import { requireAccount } from '../../src/http/auth.js';
import type { RouteModule } from '../../src/http/server.js';

/** Trivial routes behind each hook, so the hooks can be tested (and measured) on their own. */
export const probeRoutes: RouteModule = async (app, { auth }) => {
  const params = Type.Object({ accountId: Type.String() });
  app.get(
    '/probe/v1/account/:accountId',
    { onRequest: auth.v1(), schema: { hide: true, params } },
    async (request) => ({
      accountId: request.principal?.accountId,
    }),
  );
  app.get(
    '/probe/v2/account/:accountId',
    { onRequest: auth.v2('context:read'), schema: { hide: true, params } },
    async (request) => ({
      accountId: request.principal?.accountId,
    }),
  );
  app.post(
    '/probe/v2/body',
    {
      onRequest: auth.v2('context:write'),
      schema: { hide: true, body: Type.Object({ accountId: Type.String() }) },
    },
    async (request) => ({ accountId: requireAccount(request, request.body.accountId) }),
  );
};
