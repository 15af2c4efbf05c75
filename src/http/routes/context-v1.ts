import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import type { JsonValue } from '../../core/json.js';
import { then } from '../../core/maybe-promise.js';
import { DEFAULT_SESSION } from '../../ports/context-store.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import type { App, RouteDeps } from '../types.js';
import {
  CONTEXT_BODY_LIMIT,
  ERROR_RESPONSES,
  iso,
  NamespaceName,
  Properties,
  PropertyName,
  registerContextJsonParser,
  SessionId,
  sendJson,
} from './context-common.js';

const AccountId = Type.String({ pattern: ACCOUNT_ID_PATTERN.source });
const NamespaceParams = Type.Object({ accountId: AccountId, namespace: NamespaceName });
const SessionParams = Type.Object({ accountId: AccountId, namespace: NamespaceName, sessionId: SessionId });
/** Query numbers arrive as text (the server does not coerce types), so they are checked as digits. */
const Digits = (max: number, description: string) =>
  Type.String({ pattern: `^[0-9]{1,${max}}$`, description });
const TtlSecond = Digits(
  10,
  'Seconds data lives after its last write; 0 = never (capped by the maximum retention)',
);
const Paging = Type.Object({
  page: Type.Optional(Digits(7, '0-based page, default 0')),
  perPage: Type.Optional(Digits(4, '1-1000, default 100')),
});
const NoContent = { 204: Type.Null(), ...ERROR_RESPONSES };
const SECURITY = [{ apiKey: [] as string[] }];
const TAGS = ['context v1'];

type Params = { accountId: string; namespace: string; sessionId?: string };
const address = (params: Params) => ({
  accountId: params.accountId,
  namespace: params.namespace,
  sessionId: params.sessionId,
});
const paging = (query: { page?: string; perPage?: string }) => ({
  page: query.page === undefined ? 0 : Number(query.page),
  perPage: query.perPage === undefined ? 100 : Number(query.perPage),
});

/** Conversation Context Service v1 (SPEC §3.1): REST resources per namespace, session and property. */
export async function contextV1Routes(app: App, deps: RouteDeps): Promise<void> {
  await app.register(async (scope) => {
    registerContextJsonParser(scope);
    namespaceRoutes(scope, deps);
    propertyRoutes(scope, deps, false);
    propertyRoutes(scope, deps, true);
    sessionRoutes(scope, deps);
  });
}

function namespaceRoutes(app: App, { auth, services }: RouteDeps): void {
  const context = services.context;
  const common = { onRequest: auth.v1() };
  app.post(
    '/v1/account/:accountId',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Create a namespace, or set its TTL with ?ttlSecond=',
        params: Type.Object({ accountId: AccountId }),
        querystring: Type.Object({ ttlSecond: Type.Optional(TtlSecond) }),
        body: Type.Object({ name: NamespaceName }),
        response: NoContent,
      },
    },
    async (request, reply) => {
      const ttl = request.query.ttlSecond;
      await context.createNamespace(
        request.params.accountId,
        request.body.name,
        ttl === undefined ? undefined : Number(ttl),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/account/:accountId',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'List the namespaces; `ttlSecond` when the namespace has a TTL',
        params: Type.Object({ accountId: AccountId }),
        response: {
          200: Type.Array(
            Type.Object({
              name: Type.String(),
              createdAt: Type.String({ format: 'date-time' }),
              ttlSecond: Type.Optional(Type.Integer()),
            }),
          ),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const namespaces = await context.listNamespaces(request.params.accountId);
      return namespaces.map((ns) => ({
        name: ns.name,
        createdAt: iso(ns.createdAt),
        ...(ns.ttlSeconds === null ? {} : { ttlSecond: ns.ttlSeconds }),
      }));
    },
  );

  app.delete(
    '/v1/account/:accountId/:namespace',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Delete a namespace with all its properties and TTLs',
        params: NamespaceParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await context.deleteNamespace(request.params.accountId, request.params.namespace);
      return reply.code(204).send(null);
    },
  );

  for (const [path, summary, field] of [
    [
      'session-ids',
      'Session ids of the namespace (`__default__` for namespace-level properties), a page at a time',
      'ids',
    ],
    ['session-properties', 'Sessions of the namespace with their properties, a page at a time', 'properties'],
  ] as const) {
    app.get(
      `/v1/account/:accountId/:namespace/${path}`,
      {
        ...common,
        schema: {
          tags: TAGS,
          security: SECURITY,
          summary,
          params: NamespaceParams,
          querystring: Paging,
          response: {
            200:
              field === 'ids'
                ? Type.Array(Type.String())
                : Type.Array(Type.Object({ sessionId: Type.String(), properties: Properties })),
            ...ERROR_RESPONSES,
          },
        },
      },
      async (request, reply) => {
        const { accountId, namespace } = request.params;
        const documents = await context.listSessions(accountId, namespace, paging(request.query));
        const body =
          field === 'ids'
            ? documents.map((d) => d.key.sessionId)
            : documents.map((d) => ({ sessionId: d.key.sessionId, properties: d.properties }));
        return sendJson(reply, body);
      },
    );
  }
}

/** The property routes, once for namespace-level properties (`__default__`) and once under a session. */
function propertyRoutes(app: App, { auth, services }: RouteDeps, withSession: boolean): void {
  const context = services.context;
  const base = withSession
    ? '/v1/account/:accountId/:namespace/:sessionId/properties'
    : '/v1/account/:accountId/:namespace/properties';
  const params = withSession ? SessionParams : NamespaceParams;
  const where = withSession ? 'of a session' : `of the namespace (session ${DEFAULT_SESSION})`;
  const PropertyParams = Type.Object({ ...params.properties, property: PropertyName });
  const common = { onRequest: auth.v1() };
  const schema = (summary: string) => ({ tags: TAGS, security: SECURITY, summary });

  app.patch(
    base,
    {
      ...common,
      bodyLimit: CONTEXT_BODY_LIMIT,
      schema: {
        ...schema(`Merge an object into the properties ${where}`),
        params,
        body: Properties,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await context.mergeProperties(address(request.params), request.body);
      return reply.code(204).send(null);
    },
  );

  app.put(
    `${base}/:property`,
    {
      ...common,
      bodyLimit: CONTEXT_BODY_LIMIT,
      schema: {
        ...schema(`Set one property ${where}; the body is its JSON value`),
        params: PropertyParams,
        body: Type.Unknown({ description: 'Any JSON value' }),
        response: NoContent,
      },
    },
    async (request, reply) => {
      if (request.body === undefined)
        throw new AppError('validation_failed', 'the body must be a JSON value');
      await context.setProperty(address(request.params), request.params.property, request.body as JsonValue);
      return reply.code(204).send(null);
    },
  );

  app.get(
    base,
    {
      ...common,
      schema: {
        ...schema(`All properties ${where}, or those listed in ?include=a,b; {} when there are none`),
        params,
        querystring: Type.Object({
          include: Type.Optional(Type.String({ description: 'Comma-separated names' })),
        }),
        response: { 200: Properties, ...ERROR_RESPONSES },
      },
    },
    // Not async: a read cache hit is answered within this call, with no promise made.
    (request, reply) => {
      const include = request.query.include?.split(',').filter((name) => name !== '');
      return then(context.getProperties(address(request.params), include), (properties) => {
        sendJson(reply, properties);
      });
    },
  );

  app.get(
    `${base}/:property`,
    {
      ...common,
      schema: {
        ...schema(`One property ${where}: its JSON value, or 404`),
        params: PropertyParams,
        response: { 200: Type.Unknown({ description: 'The JSON value' }), ...ERROR_RESPONSES },
      },
    },
    // Not async: a read cache hit is answered within this call, with no promise made.
    (request, reply) =>
      then(context.getProperty(address(request.params), request.params.property), (value) => {
        sendJson(reply, value);
      }),
  );

  app.delete(
    `${base}/:property`,
    {
      ...common,
      schema: { ...schema(`Delete one property ${where}`), params: PropertyParams, response: NoContent },
    },
    async (request, reply) => {
      await context.deleteProperties(address(request.params), [request.params.property]);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    base,
    {
      ...common,
      schema: {
        ...schema(`Delete every property ${where}; a session TTL stays`),
        params,
        response: NoContent,
      },
    },
    async (request, reply) => {
      await context.clearDocument(address(request.params));
      return reply.code(204).send(null);
    },
  );
}

function sessionRoutes(app: App, { auth, services }: RouteDeps): void {
  const context = services.context;
  const common = { onRequest: auth.v1() };

  app.post(
    '/v1/account/:accountId/namespace/:namespace/session',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: "Set a session's TTL (it overrides the namespace TTL; 0 = never)",
        params: NamespaceParams,
        querystring: Type.Object({ ttlSecond: TtlSecond }),
        body: Type.Object({ sessionId: SessionId }),
        response: NoContent,
      },
    },
    async (request, reply) => {
      const { accountId, namespace } = request.params;
      await context.setSessionTtl(
        accountId,
        namespace,
        request.body.sessionId,
        Number(request.query.ttlSecond),
      );
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/account/:accountId/namespace/:namespace/session',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Sessions of the namespace that have a TTL',
        params: NamespaceParams,
        response: {
          200: Type.Array(
            Type.Object({
              sessionId: Type.String(),
              createdAt: Type.String({ format: 'date-time' }),
              ttlSecond: Type.Integer(),
            }),
          ),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const ttls = await context.listSessionTtls(request.params.accountId, request.params.namespace);
      return ttls.map((t) => ({
        sessionId: t.sessionId,
        createdAt: iso(t.createdAt),
        ttlSecond: t.ttlSeconds,
      }));
    },
  );

  app.delete(
    '/v1/account/:accountId/namespace/:namespace/session/:sessionId',
    {
      ...common,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Delete a session: its properties and its TTL',
        params: SessionParams,
        response: NoContent,
      },
    },
    async (request, reply) => {
      const { accountId, namespace, sessionId } = request.params;
      await context.deleteSession(accountId, namespace, sessionId);
      return reply.code(204).send(null);
    },
  );
}
