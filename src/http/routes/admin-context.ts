import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import { operatorActor } from '../actor.js';
import type { App, RouteDeps } from '../types.js';
import {
  ERROR_RESPONSES,
  NamespaceName,
  Properties,
  PropertyName,
  SessionId,
  sendJson,
} from './context-common.js';
import { iso, NullableTime, Time } from './times.js';

const AccountId = Type.String({ pattern: ACCOUNT_ID_PATTERN.source });
const NamespaceParams = Type.Object({ accountId: AccountId, namespace: NamespaceName });
const SessionParams = Type.Object({ accountId: AccountId, namespace: NamespaceName, sessionId: SessionId });
const PropertyParams = Type.Object({
  accountId: AccountId,
  namespace: NamespaceName,
  sessionId: SessionId,
  property: PropertyName,
});
const DEFAULT_PER_PAGE = 20;

const NamespaceView = Type.Object({
  name: Type.String(),
  createdAt: Time,
  ttlSeconds: Type.Union([Type.Integer(), Type.Null()], {
    description: 'null: no namespace TTL (never expires)',
  }),
});
const SessionView = Type.Object({
  sessionId: Type.String({ description: '`__default__` holds the namespace-level properties' }),
  properties: Properties,
  createdAt: Time,
  updatedAt: Time,
  expiresAt: NullableTime,
  ttlSeconds: Type.Union([Type.Integer(), Type.Null()], { description: 'the session TTL, when one is set' }),
});

/** The context browser of the web app: namespaces → sessions → properties, with deletions audited. */
export async function adminContextRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  const operator = auth.operator();
  const viewer = auth.operator('viewer');
  const context = services.context;
  const actor = operatorActor;
  const base = '/api/admin/accounts/:accountId/context/namespaces';

  app.get(
    base,
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        summary: "Lists an account's context namespaces with their TTLs",
        params: Type.Object({ accountId: AccountId }),
        response: { 200: Type.Array(NamespaceView), ...ERROR_RESPONSES },
      },
    },
    async (request) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      const namespaces = await context.listNamespaces(accountId);
      return namespaces
        .map((n) => ({ name: n.name, createdAt: iso(n.createdAt) as string, ttlSeconds: n.ttlSeconds }))
        .sort((a, b) => a.name.localeCompare(b.name));
    },
  );

  app.get(
    `${base}/:namespace/sessions`,
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        summary: 'Lists the live sessions of a namespace, with their properties and expiry, a page at a time',
        params: NamespaceParams,
        querystring: Type.Object(
          {
            page: Type.Optional(Type.String({ pattern: '^[0-9]{1,4}$', description: '0-based' })),
            perPage: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,3}$', description: '1-100, default 20' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            page: Type.Integer(),
            perPage: Type.Integer(),
            hasMore: Type.Boolean(),
            sessions: Type.Array(SessionView),
          }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request, reply) => {
      const { accountId, namespace } = request.params;
      await services.accounts.require(accountId);
      const page = Number(request.query.page ?? 0);
      const perPage = Number(request.query.perPage ?? DEFAULT_PER_PAGE);
      if (perPage < 1 || perPage > 100) {
        throw new AppError('validation_failed', 'perPage must be 1-100', {
          errors: [{ field: 'perPage', message: 'must be a whole number from 1 to 100' }],
        });
      }
      const [documents, next, ttls] = await Promise.all([
        context.listSessions(accountId, namespace, { page, perPage }),
        // The first session of the next page, if any, tells whether there is one.
        context.listSessions(accountId, namespace, { page: (page + 1) * perPage, perPage: 1 }),
        context.listSessionTtls(accountId, namespace),
      ]);
      const sessionTtl = new Map(ttls.map((t) => [t.sessionId, t.ttlSeconds]));
      const sessions = documents.map((d) => ({
        sessionId: d.key.sessionId,
        properties: d.properties,
        createdAt: iso(d.createdAt) as string,
        updatedAt: iso(d.updatedAt) as string,
        expiresAt: iso(d.expiresAt),
        ttlSeconds: sessionTtl.get(d.key.sessionId) ?? null,
      }));
      // Property names are arbitrary (`__proto__` included), so the reply is serialized as plain JSON.
      return sendJson(reply.header('cache-control', 'no-store'), {
        page,
        perPage,
        hasMore: next.length > 0,
        sessions,
      });
    },
  );

  app.delete(
    `${base}/:namespace/sessions/:sessionId`,
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Deletes a session with its properties and TTL (recorded in the audit log)',
        params: SessionParams,
        response: { 204: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { accountId, namespace, sessionId } = request.params;
      await services.accounts.require(accountId);
      const deleted = await context.deleteSession(accountId, namespace, sessionId);
      if (!deleted) throw new AppError('not_found', 'no such session');
      await recordAudit(services.ctx, actor(request), accountId, 'context.session-deleted', {
        namespace,
        sessionId,
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    `${base}/:namespace/sessions/:sessionId/properties/:property`,
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Deletes one property of a session (recorded in the audit log)',
        params: PropertyParams,
        response: { 204: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const { accountId, namespace, sessionId, property } = request.params;
      await services.accounts.require(accountId);
      const address = { accountId, namespace, sessionId };
      const properties = await context.getProperties(address);
      if (!Object.hasOwn(properties, property)) throw new AppError('not_found', 'no such property');
      await context.deleteProperties(address, [property]);
      await recordAudit(services.ctx, actor(request), accountId, 'context.property-deleted', {
        namespace,
        sessionId,
        property,
      });
      return reply.code(204).send(null);
    },
  );
}
