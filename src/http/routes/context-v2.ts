import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { textOf } from '../../core/frozen.js';
import { then } from '../../core/maybe-promise.js';
import type { ContextDocument } from '../../ports/context-store.js';
import { DEFAULT_SESSION } from '../../ports/context-store.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { type ContextAddress, documentKeyOf, keyOf } from '../../services/context-service.js';
import { requireAccount } from '../auth.js';
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
  sendText,
} from './context-common.js';

const AccountId = Type.String({ pattern: ACCOUNT_ID_PATTERN.source });
const Target = {
  accountId: AccountId,
  nameSpace: NamespaceName,
  sessionId: Type.Optional(SessionId),
};
const WriteResult = Type.Object({
  documentKey: Type.String(),
  tenantId: Type.String(),
  success: Type.Boolean(),
});
const Document = Type.Object({
  accountId: Type.String(),
  tenantId: Type.String(),
  documentKey: Type.String({ description: 'acct:namespace:session (session empty at the namespace level)' }),
  documentType: Type.Literal('CONTEXT'),
  nameSpace: Type.String(),
  sessionId: Type.Optional(Type.String()),
  payload: Properties,
  ttl: Type.Optional(
    Type.String({ format: 'date-time', description: 'When the document expires; absent: never' }),
  ),
});
const DeleteBody = Type.Object({
  ...Target,
  propertyToDelete: Type.Optional(Type.Array(PropertyName, { maxItems: 1000 })),
});
const AccessToken = Type.Object({
  access_token: Type.Optional(
    Type.String({ description: 'The token, when not sent as Authorization: Bearer' }),
  ),
});
const SECURITY: Record<string, string[]>[] = [{ bearer: [] }, { dpop: [] }];
const TAGS = ['context v2'];

type TargetBody = { accountId: string; nameSpace: string; sessionId?: string | undefined };

/** The body's `accountId` must be the token's account (403 otherwise); then the document it names. */
function target(request: FastifyRequest, body: TargetBody): ContextAddress {
  requireAccount(request, body.accountId);
  return { accountId: body.accountId, namespace: body.nameSpace, sessionId: body.sessionId };
}

function writeResult(address: ContextAddress) {
  return { documentKey: documentKeyOf(keyOf(address)), tenantId: address.accountId, success: true };
}

function documentBody(document: ContextDocument) {
  const { accountId, namespace, sessionId } = document.key;
  return {
    accountId,
    tenantId: accountId,
    documentKey: documentKeyOf(document.key),
    documentType: 'CONTEXT',
    nameSpace: namespace,
    ...(sessionId === DEFAULT_SESSION ? {} : { sessionId }),
    payload: document.properties,
    ...(document.expiresAt === null ? {} : { ttl: iso(document.expiresAt) }),
  };
}

/** Conversation Context Service v2 (SPEC §3.2): one document per `account:namespace:session`. */
export async function contextV2Routes(app: App, deps: RouteDeps): Promise<void> {
  await app.register(async (scope) => {
    registerContextJsonParser(scope);
    documentRoutes(scope, deps);
  });
}

function documentRoutes(app: App, { auth, services }: RouteDeps): void {
  const context = services.context;
  const read = { onRequest: auth.v2('context:read') };
  const write = { onRequest: auth.v2('context:write') };

  app.post(
    '/v2/context/document/create',
    {
      ...write,
      bodyLimit: CONTEXT_BODY_LIMIT,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Merge `payload` into the document (batch upsert) and restart its TTL',
        description:
          'Without `ttlSeconds` the session TTL, else the namespace TTL applies; every TTL is capped by the maximum retention.',
        querystring: AccessToken,
        body: Type.Object({
          ...Target,
          ttlSeconds: Type.Optional(
            Type.Integer({ minimum: 0, description: '0 = never (capped by the maximum retention)' }),
          ),
          payload: Properties,
        }),
        response: { 201: WriteResult, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const address = target(request, request.body);
      await context.mergeProperties(address, request.body.payload, request.body.ttlSeconds);
      return reply.code(201).send(writeResult(address));
    },
  );

  for (const withSession of [false, true]) {
    app.get(
      withSession
        ? '/v2/context/document/:accountId/:nameSpace/:sessionId'
        : '/v2/context/document/:accountId/:nameSpace',
      {
        ...read,
        schema: {
          tags: TAGS,
          security: SECURITY,
          summary: withSession ? 'Read a session document' : 'Read the namespace-level document',
          params: Type.Object(
            withSession
              ? { ...Target, sessionId: SessionId }
              : { accountId: AccountId, nameSpace: NamespaceName },
          ),
          querystring: AccessToken,
          response: { 200: Document, ...ERROR_RESPONSES },
        },
      },
      // Not async: a read cache hit is answered within this call, with no promise made.
      (request, reply) => {
        const params = request.params as TargetBody;
        const address = {
          accountId: params.accountId,
          namespace: params.nameSpace,
          sessionId: params.sessionId,
        };
        return then(context.getDocument(address), (document) => {
          sendText(
            reply,
            textOf(document, 'v2-document', () => JSON.stringify(documentBody(document))),
          );
        });
      },
    );
  }

  app.post(
    '/v2/context/document/properties',
    {
      ...read,
      schema: {
        tags: TAGS,
        security: SECURITY,
        summary: 'Read selected properties, keyed by their qualified names `namespace.property`',
        description:
          'Properties that do not exist (or a document that does not) are simply absent from the answer.',
        querystring: AccessToken,
        body: Type.Object({
          ...Target,
          filter: Type.Array(Type.String({ minLength: 1 }), { maxItems: 1000 }),
        }),
        response: { 200: Properties, ...ERROR_RESPONSES },
      },
    },
    // Not async: a read cache hit is answered within this call, with no promise made.
    (request, reply) => {
      const address = target(request, request.body);
      return then(context.selectProperties(address, request.body.filter), (properties) => {
        sendJson(reply, properties);
      });
    },
  );

  for (const [path, summary] of [
    [
      '/v2/context/document/property/delete',
      'Delete the properties in `propertyToDelete`, or the whole document when the list is absent',
    ],
    [
      '/v2/context/document/delete',
      'Delete the whole document (or, with `propertyToDelete`, just those properties)',
    ],
  ] as const) {
    app.delete(
      path,
      {
        ...write,
        schema: {
          tags: TAGS,
          security: SECURITY,
          summary,
          querystring: AccessToken,
          body: DeleteBody,
          response: { 200: WriteResult, ...ERROR_RESPONSES },
        },
      },
      async (request, reply) => {
        const address = target(request, request.body);
        const names = request.body.propertyToDelete;
        if (names === undefined) await context.clearDocument(address);
        else await context.deleteProperties(address, names);
        return reply.code(200).send(writeResult(address));
      },
    );
  }
}
