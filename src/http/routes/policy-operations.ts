import type { FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { type TProperties, Type } from 'typebox';
import type { Policy as StoredPolicy } from '../../core/policy/index.js';
import type { AuditEvent } from '../../ports/audit-store.js';
import { ifMatchHolds } from '../../services/policy-etags.js';
import type { AppServices } from '../../services/services.js';
import type { App } from '../types.js';
import { ERROR_RESPONSES } from './context-common.js';
import {
  CustomAttributes,
  IfMatchHeaders,
  leaveBodyToEngine,
  Policy,
  PolicyId,
  PolicyInput,
  PolicyInputList,
  PolicyList,
} from './policy-schemas.js';

/** Where one copy of the policy API lives: the v2 API (the token's account) or the admin API. */
export interface PolicyApi {
  /** `/v2` or `/api/admin/accounts/:accountId`. */
  base: string;
  /** Path parameters of `base` (the admin API's `accountId`). */
  params: TProperties;
  /** Query parameters every route accepts (the v2 API's `access_token`). */
  query?: TProperties;
  tags: string[];
  security: Record<string, string[]>[];
  read: onRequestHookHandler | onRequestHookHandler[];
  write: onRequestHookHandler | onRequestHookHandler[];
  /** The account addressed, once the hooks let the request through. */
  account(request: FastifyRequest): Promise<string>;
  /** Who makes a change, as the audit log and the policies' history name them. */
  actor(request: FastifyRequest): string;
  audit(
    request: FastifyRequest,
    accountId: string,
    action: string,
    detail: AuditEvent['detail'],
  ): Promise<void>;
}

const LIST_BODY_LIMIT = 4 * 1024 * 1024;

export function withEtag(reply: FastifyReply, etag: string): FastifyReply {
  return reply.header('etag', etag).header('cache-control', 'no-cache');
}

/** RFC 9110 §13.1.2: a GET whose If-None-Match names the current ETag gets 304 and no body. */
function notModified(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  return typeof header === 'string' && ifMatchHolds(header, etag);
}

export const ifMatch = (request: FastifyRequest): string | undefined => {
  const header = request.headers['if-match'];
  return typeof header === 'string' ? header : undefined;
};

const summary = (p: StoredPolicy) => ({ policyId: p.id, name: p.name, enabled: p.enabled });

/** The policy list, one policy and the custom attributes, with ETag / If-Match on every change. */
export function registerPolicyOperations(app: App, { policies }: AppServices, api: PolicyApi): void {
  const { base, tags, security } = api;
  const listParams = Type.Object(api.params);
  const oneParams = Type.Object({ ...api.params, id: PolicyId });
  const etagNote = 'The ETag response header is the version to send back in If-Match.';
  const policyId = (request: FastifyRequest) => (request.params as { id: string }).id;
  const query = api.query ? { querystring: Type.Object(api.query) } : {};

  app.get(
    `${base}/policies`,
    {
      onRequest: api.read,
      schema: {
        tags,
        security,
        summary: 'The ordered policy list',
        description: `${etagNote} If-None-Match with the current ETag gives 304.`,
        params: listParams,
        ...query,
        response: { 200: PolicyList, 304: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const list = await policies.list(await api.account(request));
      withEtag(reply, list.etag);
      return notModified(request, list.etag) ? reply.code(304).send(null) : reply.send(list.policies);
    },
  );

  app.put(
    `${base}/policies`,
    {
      onRequest: api.write,
      bodyLimit: LIST_BODY_LIMIT,
      attachValidation: true,
      schema: {
        tags,
        security,
        summary: 'Replace the whole ordered list (also how policies are reordered)',
        description: `Needs If-Match with the list's ETag. An item whose id names a current policy keeps it; other items get new ids. ${etagNote}`,
        params: listParams,
        ...query,
        headers: IfMatchHeaders,
        body: PolicyInputList,
        response: { 200: PolicyList, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      leaveBodyToEngine(request);
      const accountId = await api.account(request);
      const saved = await policies.replaceAll(accountId, request.body, ifMatch(request), api.actor(request));
      await api.audit(request, accountId, 'policies.replaced', { count: saved.policies.length });
      return withEtag(reply, saved.etag).send(saved.policies);
    },
  );

  app.post(
    `${base}/policies`,
    {
      onRequest: api.write,
      attachValidation: true,
      schema: {
        tags,
        security,
        summary: 'Add a policy at the bottom of the list (disabled unless enabled is true)',
        description: etagNote,
        params: listParams,
        ...query,
        body: PolicyInput,
        response: { 201: Policy, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      leaveBodyToEngine(request);
      const accountId = await api.account(request);
      const created = await policies.create(accountId, request.body, api.actor(request));
      await api.audit(request, accountId, 'policy.created', summary(created.policy));
      const location = `${request.url.split('?')[0]}/${encodeURIComponent(created.policy.id)}`;
      return withEtag(reply, created.etag).code(201).header('location', location).send(created.policy);
    },
  );

  app.get(
    `${base}/policies/:id`,
    {
      onRequest: api.read,
      schema: {
        tags,
        security,
        summary: 'One policy',
        description: `${etagNote} If-None-Match with the current ETag gives 304.`,
        params: oneParams,
        ...query,
        response: { 200: Policy, 304: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const found = await policies.get(await api.account(request), policyId(request));
      withEtag(reply, found.etag);
      return notModified(request, found.etag) ? reply.code(304).send(null) : reply.send(found.policy);
    },
  );

  app.put(
    `${base}/policies/:id`,
    {
      onRequest: api.write,
      attachValidation: true,
      schema: {
        tags,
        security,
        summary: 'Replace one policy in place',
        description: `Needs If-Match with the policy's ETag; enabled is false when absent. ${etagNote}`,
        params: oneParams,
        ...query,
        headers: IfMatchHeaders,
        body: PolicyInput,
        response: { 200: Policy, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      leaveBodyToEngine(request);
      const accountId = await api.account(request);
      const saved = await policies.replace(
        accountId,
        policyId(request),
        request.body,
        ifMatch(request),
        api.actor(request),
      );
      await api.audit(request, accountId, 'policy.updated', summary(saved.policy));
      return withEtag(reply, saved.etag).send(saved.policy);
    },
  );

  app.delete(
    `${base}/policies/:id`,
    {
      onRequest: api.write,
      schema: {
        tags,
        security,
        summary: 'Delete one policy',
        description: "Needs If-Match with the policy's ETag.",
        params: oneParams,
        ...query,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const accountId = await api.account(request);
      const removed = await policies.remove(
        accountId,
        policyId(request),
        ifMatch(request),
        api.actor(request),
      );
      await api.audit(request, accountId, 'policy.deleted', summary(removed));
      return reply.code(204).send(null);
    },
  );

  app.get(
    `${base}/custom-attributes`,
    {
      onRequest: api.read,
      schema: {
        tags,
        security,
        summary: 'The static custom attributes (custom.<name> in policies)',
        description: `${etagNote} If-None-Match with the current ETag gives 304.`,
        params: listParams,
        ...query,
        response: { 200: CustomAttributes, 304: Type.Null(), ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      const found = await policies.customAttributes(await api.account(request));
      withEtag(reply, found.etag);
      return notModified(request, found.etag) ? reply.code(304).send(null) : reply.send(found.attributes);
    },
  );

  app.put(
    `${base}/custom-attributes`,
    {
      onRequest: api.write,
      attachValidation: true,
      schema: {
        tags,
        security,
        summary: 'Replace the custom attributes',
        description: `Needs If-Match with their ETag. ${etagNote}`,
        params: listParams,
        ...query,
        headers: IfMatchHeaders,
        body: CustomAttributes,
        response: { 200: CustomAttributes, ...ERROR_RESPONSES },
      },
    },
    async (request, reply) => {
      leaveBodyToEngine(request);
      const accountId = await api.account(request);
      const saved = await policies.replaceCustomAttributes(accountId, request.body, ifMatch(request));
      await api.audit(request, accountId, 'custom-attributes.updated', {
        count: Object.keys(saved.attributes).length,
      });
      return withEtag(reply, saved.etag).send(saved.attributes);
    },
  );
}
