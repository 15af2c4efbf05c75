import type { AuthenticationResponseJSON } from '@simplewebauthn/server';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { RECOVERY_CODE_PATTERN } from '../../core/auth/recovery-codes.js';
import { TOTP_CODE_PATTERN } from '../../core/auth/totp.js';
import { AppError } from '../../core/errors.js';
import type { AccountRecord } from '../../ports/account-store.js';
import type { AuditEvent } from '../../ports/audit-store.js';
import {
  LIMIT_AUDIT,
  MAX_ACCOUNT_NETWORKS,
  MAX_RATE_BURST,
  MAX_RATE_PER_SECOND,
} from '../../services/account-limits.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { MAX_GRACE_SECONDS } from '../../services/api-keys.js';
import { recordAudit } from '../../services/audit.js';
import { describedWithin, type OperatorManager } from '../../services/operators.js';
import { operatorActor, operatorOf } from '../actor.js';
import {
  clearIdTokenCookie,
  clearSessionCookie,
  everyAccountNeeded,
  idTokenCookie,
  sessionCookie,
  setSessionCookie,
} from '../auth.js';
import type { App, RouteDeps } from '../types.js';
import { OperatorAccounts, Role } from './admin-operators.js';
import { PasskeyAssertion } from './admin-passkeys.js';
import { iso, NullableTime, Time } from './times.js';

const AccountParams = Type.Object({ accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }) });

/** A regeneration's options: `{graceSeconds?}`; the body is optional (the compatible API sends none). */
const GraceBody = Type.Object(
  { graceSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: MAX_GRACE_SECONDS })) },
  { additionalProperties: false },
);
const COPY_ACTIONS = [
  'api-key.copied',
  'credentials.copied',
  'test-token.copied',
  'credentials.revealed',
] as const;

const RateLimit = Type.Object({
  perSecond: Type.Integer({
    description: 'requests a second (in all with REDIS_URL, else on each node); 0: no limit for this account',
  }),
  burst: Type.Integer({ description: 'requests at once before the rate applies' }),
});

/** The admin API the web app uses (and automation, with an operator API token). */
/**
 * An audit event's details as an operator limited to `mine` reads them: an operator's accounts (events about
 * operators, of no account) never name another tenant's account (`describedWithin`).
 */
function withinAccounts(detail: AuditEvent['detail'], mine: readonly string[]): AuditEvent['detail'] {
  const listed = detail.accounts;
  return typeof listed === 'string' ? { ...detail, accounts: describedWithin(listed, mine) } : detail;
}

export async function adminRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  /**
   * What of the audit log `by` may read: everything (null), or for an operator limited to some accounts the events
   * of their accounts and of none, once they named one of their accounts or an operator they see (otherwise 403;
   * another account or operator: 404, as one that does not exist).
   */
  const auditScope = async (
    by: OperatorManager,
    accountId: string | undefined,
    operator: string | undefined,
  ): Promise<readonly string[] | null> => {
    const mine = by.accounts;
    if (mine === null) return null;
    if (accountId === undefined && operator === undefined) throw everyAccountNeeded(by);
    if (accountId !== undefined && !mine.includes(accountId))
      throw new AppError('not_found', `no account ${accountId}`);
    if (operator !== undefined) await services.operators.requireSeen(operator, by);
    return mine;
  };

  const secureCookie = services.ctx.settings.issuer.startsWith('https://');
  const operator = auth.operator();
  const viewer = auth.operator('viewer');
  /** Also for an operator who has yet to set up the one-time codes OPERATOR_TOTP=required asks for. */
  const anyone = auth.operator('viewer', { beforeTotp: true, accounts: 'own' });
  /** Changes to an account that only operators of every account make (suspend, resume, delete). */
  const platformAdmin = auth.operator('admin', { accounts: 'platform' });
  const actor = operatorActor;

  app.post(
    '/api/admin/login',
    {
      schema: {
        tags: ['admin'],
        summary: 'Operator sign-in; sets the session cookie',
        description:
          'For an operator with a second factor, a right password without one (or with a wrong one) is answered 401 ' +
          '`mfa_required` with `methods` (the second factors the operator has: `totp` — a one-time code or a recovery ' +
          'code — and `passkey`) and, with passkeys, `passkeyOptions` (PublicKeyCredentialRequestOptionsJSON for ' +
          'navigator.credentials.get, good once for 5 minutes); post the sign-in again with `code`, `recoveryCode` or ' +
          '`passkey`.',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.String({ minLength: 1, maxLength: 1024 }),
            code: Type.Optional(
              Type.String({
                pattern: TOTP_CODE_PATTERN,
                description: 'the one-time code, for an operator who turned them on (else 401 mfa_required)',
              }),
            ),
            recoveryCode: Type.Optional(
              Type.String({
                pattern: RECOVERY_CODE_PATTERN,
                description: 'instead of `code`: one of the recovery codes, each good once',
              }),
            ),
            passkey: Type.Optional(PasskeyAssertion),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            username: Type.String(),
            csrfToken: Type.String(),
            recoveryCodesLeft: Type.Optional(
              Type.Integer({ description: 'after a recovery code: how many are left' }),
            ),
          }),
        },
      },
    },
    async (request, reply) => {
      const { username, password, code, recoveryCode, passkey } = request.body;
      const session = await services.operators.signIn(
        username,
        password,
        request.ip,
        { code, recoveryCode, passkey: passkey as AuthenticationResponseJSON | undefined },
        request.headers['user-agent'],
      );
      const left = session.recoveryCodesLeft;
      await recordAudit(services.ctx, { name: username, address: request.ip }, null, 'operator.signed-in', {
        ...(left === undefined ? {} : { recoveryCodeUsed: true, recoveryCodesLeft: left }),
        ...(session.passkey === undefined ? {} : { passkey: session.passkey }),
      });
      setSessionCookie(reply, session.sessionId, services.operators.sessionCookieSeconds, secureCookie);
      return reply.header('cache-control', 'no-store').send({
        username,
        csrfToken: session.csrfToken,
        ...(left === undefined ? {} : { recoveryCodesLeft: left }),
      });
    },
  );

  app.post(
    '/api/admin/login/passkey/options',
    {
      schema: {
        tags: ['admin'],
        summary: 'Sign-in with a passkey alone, first step: the browser options (no username needed)',
        description:
          'PublicKeyCredentialRequestOptionsJSON for navigator.credentials.get, good once for 5 minutes: no passkey ' +
          'listed (the browser offers those it keeps for this server), user verification required. 409 where ' +
          'passkeys cannot be used (an ISSUER that is an IP address); 403 with OPERATOR_PASSWORD_SIGN_IN=false.',
        response: { 200: Type.Object({ options: Type.Unknown() }) },
      },
    },
    async (_request, reply) => {
      const options = await services.operators.passkeyAloneOptions();
      return reply.header('cache-control', 'no-store').send({ options });
    },
  );

  app.post(
    '/api/admin/login/passkey',
    {
      schema: {
        tags: ['admin'],
        summary: 'Sign-in with a passkey alone: the browser answer to the options; sets the session cookie',
        description:
          'The passkey names its operator; its authenticator must have verified the person (a PIN or biometrics), ' +
          'which makes it two factors (OPERATOR_TOTP=required included). A refused answer is 401 and counts in the ' +
          'sign-in guard (429 after too many).',
        body: Type.Object({ passkey: PasskeyAssertion }, { additionalProperties: false }),
        response: {
          200: Type.Object({ username: Type.String(), csrfToken: Type.String() }),
        },
      },
    },
    async (request, reply) => {
      const session = await services.operators.signInWithPasskey(
        request.body.passkey as AuthenticationResponseJSON,
        request.ip,
        request.headers['user-agent'],
      );
      await recordAudit(
        services.ctx,
        { name: session.username, address: request.ip },
        null,
        'operator.signed-in',
        { passkey: session.passkey, passwordless: true },
      );
      setSessionCookie(reply, session.sessionId, services.operators.sessionCookieSeconds, secureCookie);
      return reply
        .header('cache-control', 'no-store')
        .send({ username: session.username, csrfToken: session.csrfToken });
    },
  );

  app.post(
    '/api/admin/logout',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'Ends the session on the server',
        description:
          "204. With OPERATOR_SSO_SIGN_OUT=provider, a single sign-on session's sign-out answers 200 with the provider's sign-out address, where the browser goes next to end its session there too (OpenID Connect RP-Initiated Logout); the provider sends it back to ISSUER.",
        response: {
          200: Type.Object({ providerSignOut: Type.String() }),
          204: Type.Null(),
        },
      },
    },
    async (request, reply) => {
      const identity = request.operator;
      // Asked before the session ends; the session here ends whatever the provider's state.
      const providerSignOut =
        identity?.sso && services.sso ? await services.sso.signOutUrl(idTokenCookie(request)) : null;
      const sessionId = sessionCookie(request);
      if (sessionId) await services.operators.signOut(sessionId);
      clearSessionCookie(reply);
      if (idTokenCookie(request) !== undefined) clearIdTokenCookie(reply);
      if (providerSignOut !== null) return reply.code(200).send({ providerSignOut });
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/admin/session',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary: 'Who is signed in, with the CSRF token to repeat on changes',
        response: {
          200: Type.Object({
            username: Type.String(),
            role: Role,
            accounts: OperatorAccounts,
            csrfToken: Type.Union([Type.String(), Type.Null()]),
            totpSetupRequired: Type.Boolean({
              description: 'OPERATOR_TOTP=required and your one-time codes are not on yet: set them up first',
            }),
            sessionHours: Type.Integer({
              description: 'a session ends this many hours after its sign-in (OPERATOR_SESSION_HOURS)',
            }),
            sessionIdleMinutes: Type.Integer({
              description:
                'a session ends after this many minutes without a request (OPERATOR_SESSION_IDLE_MINUTES); 0: no such limit',
            }),
            expiresAt: Type.Union([Time, Type.Null()], {
              description:
                'when this session ends at the latest, whatever it does (its sign-in plus sessionHours); null for an operator API token',
            }),
            idleExpiresAt: Type.Union([Time, Type.Null()], {
              description:
                'when this session ends if no further request comes: its last request as the server recorded it (to the minute, this one included) plus sessionIdleMinutes, never after expiresAt; each later request may move it. Null for an operator API token, or with no idle limit',
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const identity = request.operator;
      if (!identity) throw new AppError('unauthorized', 'sign in first');
      const ends = services.operators.sessionEnds(identity);
      return reply.header('cache-control', 'no-store').send({
        username: identity.username,
        role: identity.role,
        accounts: identity.accounts === null ? null : [...identity.accounts],
        csrfToken: identity.csrfToken,
        totpSetupRequired: await services.operators.mustSetUpTotp(identity),
        sessionHours: Math.round(services.operators.sessionLifetimeMs / 3_600_000),
        sessionIdleMinutes: Math.round(services.operators.sessionIdleMs / 60_000),
        expiresAt: iso(ends.expiresAt),
        idleExpiresAt: iso(ends.idleExpiresAt),
      });
    },
  );

  const AccountView = Type.Object({
    accountId: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    status: Type.Union([Type.Literal('active'), Type.Literal('suspended'), Type.Literal('deleted')], {
      description:
        'suspended: every credential of the account is refused (its data is kept); deleted: its data is gone',
    }),
    statusChangedAt: NullableTime,
    suspendedUntil: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description:
        'a suspended account: when it is resumed by itself (within a minute); null: when resumed by hand',
    }),
    rateLimit: Type.Union([RateLimit, Type.Null()], {
      description: "the account's own request rate; null: the server's ACCOUNT_RATE_LIMIT",
    }),
    effectiveRateLimit: Type.Union([RateLimit, Type.Null()], {
      description: 'the rate in force for the account (its own, else the server’s); null: no limit',
    }),
    rateScope: Type.Union([Type.Literal('cluster'), Type.Literal('node')], {
      description:
        'where the rate is counted: cluster (REDIS_URL: once for every node together) or node (each node on its own)',
    }),
    allowedNetworks: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: "the addresses and networks the account's credentials are accepted from; null: any",
    }),
    signedAssertionsOnly: Type.Boolean({
      description:
        "true: the account's v2 client authenticates with signed assertions alone (private_key_jwt); its password is refused",
    }),
    dpopRequired: Type.Boolean({
      description:
        "true: the account's access tokens must be bound to a key its client holds (DPoP, RFC 9449); bearer tokens are refused",
    }),
    certificateRequired: Type.Boolean({
      description:
        "true: the account's access tokens must be bound to a client certificate registered as one of its keys (mutual TLS, RFC 8705); other tokens are refused",
    }),
  });
  const accountView = (a: AccountRecord) => ({
    accountId: a.accountId,
    createdAt: iso(a.createdAt) as string,
    status: a.status,
    statusChangedAt: iso(a.statusChangedAt),
    suspendedUntil: iso(a.suspendedUntil),
    rateLimit: a.rateLimit,
    effectiveRateLimit: services.accountLimits.inForce(a.rateLimit),
    rateScope: services.accountLimits.scope,
    allowedNetworks: a.allowedNetworks,
    signedAssertionsOnly: a.signedAssertionsOnly,
    dpopRequired: a.dpopRequired,
    certificateRequired: a.certificateRequired,
  });

  app.get(
    '/api/admin/accounts',
    {
      onRequest: auth.operator('viewer', { accounts: 'own' }),
      schema: {
        tags: ['admin'],
        summary: 'Lists accounts (for an operator limited to some accounts, those), by id',
        description:
          'All of them, or with `limit` a page: then, when there are more, the `Link` header names the next page (RFC 8288, `rel="next"`: the same query with `after` the last id). `search` keeps the ids that hold it, whatever the case.',
        querystring: Type.Object(
          {
            search: Type.Optional(
              Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Part of an account id' }),
            ),
            after: Type.Optional(
              Type.String({ pattern: ACCOUNT_ID_PATTERN.source, description: 'The ids after this one' }),
            ),
            limit: Type.Optional(
              Type.String({ pattern: '^[0-9]{1,4}$', description: '1-1000; absent: all' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Array(AccountView) },
      },
    },
    async (request, reply) => {
      const mine = request.operator?.accounts ?? null;
      const { search, after, limit: limitText } = request.query;
      const limit = limitText === undefined ? undefined : Number(limitText);
      if (limit !== undefined && (limit < 1 || limit > 1000))
        throw new AppError('validation_failed', 'limit must be from 1 to 1000');
      // One more than asked for says whether there is a next page; an operator's own accounts are few.
      const found = await services.accounts.list({
        ...(search && { search }),
        ...(after !== undefined && { after }),
        ...(limit !== undefined && mine === null && { limit: limit + 1 }),
      });
      const theirs = mine === null ? found : found.filter((a) => mine.includes(a.accountId));
      const page = limit === undefined ? theirs : theirs.slice(0, limit);
      const last = page.at(-1);
      if (limit !== undefined && theirs.length > limit && last) {
        const next = new URLSearchParams({
          ...(search && { search }),
          after: last.accountId,
          limit: String(limit),
        });
        reply.header('link', `<accounts?${next}>; rel="next"`);
      }
      return page.map(accountView);
    },
  );

  app.post(
    '/api/admin/accounts',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Creates an account with its v1 key and v2 credentials',
        body: Type.Object(
          { accountId: Type.String({ pattern: ACCOUNT_ID_PATTERN.source }) },
          { additionalProperties: false },
        ),
        response: { 201: AccountView },
      },
    },
    async (request, reply) => {
      const account = await services.accounts.create(request.body.accountId);
      await recordAudit(services.ctx, actor(request), account.accountId, 'account.created');
      return reply.code(201).send(accountView(account));
    },
  );

  app.get(
    '/api/admin/accounts/:accountId',
    {
      onRequest: viewer,
      schema: {
        tags: ['admin'],
        summary: 'One account and its status',
        params: AccountParams,
        response: { 200: AccountView },
      },
    },
    async (request) => accountView(await services.accounts.require(request.params.accountId)),
  );

  app.post(
    '/api/admin/accounts/:accountId/suspend',
    {
      onRequest: platformAdmin,
      schema: {
        tags: ['admin'],
        summary: 'Suspends an account: every credential of it is refused at once, on every node',
        description:
          'The v1 key, the v2 credentials and every access token of the account stop working at once (401; the ' +
          'OAuth endpoints answer 400 unauthorized_client), without being regenerated; its data is kept and ' +
          'operators still see it. With `until`, the account is resumed by itself then (within a minute; at most ' +
          'a year ahead). 409 when the account is not active — except that a suspended account sent `until` (a ' +
          'time, or null for none) keeps its suspension with that end.',
        params: AccountParams,
        body: Type.Optional(
          Type.Object(
            {
              until: Type.Optional(
                Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
                  description: 'when the suspension ends by itself; null or absent: when resumed by hand',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        response: { 200: AccountView },
      },
    },
    async (request) => {
      const given = request.body?.until;
      const until = typeof given === 'string' ? Date.parse(given) : given;
      const account = await services.accounts.suspend(request.params.accountId, until);
      await recordAudit(
        services.ctx,
        actor(request),
        account.accountId,
        'account.suspended',
        until === undefined ? {} : { until: iso(until) },
      );
      return accountView(account);
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/resume',
    {
      onRequest: platformAdmin,
      schema: {
        tags: ['admin'],
        summary: 'Resumes a suspended account: its credentials and unexpired tokens work again',
        description: '409 when the account is not suspended.',
        params: AccountParams,
        response: { 200: AccountView },
      },
    },
    async (request) => {
      const account = await services.accounts.resume(request.params.accountId);
      await recordAudit(services.ctx, actor(request), account.accountId, 'account.resumed');
      return accountView(account);
    },
  );

  /**
   * An account's own limits, set (PUT) or removed (DELETE: the server's default again); each answers the account
   * and records `action` with what holds now. The rate is the platform's to give (what a tenant may use of the
   * servers); the networks are the tenant's own safety, so an admin limited to the account sets them too.
   */
  const limits = [
    {
      path: 'rate-limit',
      onRequest: platformAdmin,
      summary: "the account's own request rate, in place of ACCOUNT_RATE_LIMIT",
      description:
        'Holds from its next request, on every node. perSecond 0: no limit for this account. burst defaults ' +
        "to the rate. Over it, the account gets 429 with Retry-After. DELETE: the server's rate again.",
      body: Type.Object(
        {
          perSecond: Type.Integer({ minimum: 0, maximum: MAX_RATE_PER_SECOND }),
          burst: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RATE_BURST })),
        },
        { additionalProperties: false },
      ),
      set: (id: string, body: { perSecond: number; burst?: number } | null) =>
        services.accountLimits.setRate(id, body),
      ...LIMIT_AUDIT.rate,
    },
    {
      path: 'allowed-networks',
      onRequest: operator,
      summary: "the addresses and networks the account's credentials are accepted from",
      description:
        'Holds from the next request, on every node: a v1 key, a v2 token or the client from another address ' +
        'is refused (403; 400 unauthorized_client at the OAuth endpoints). Up to 100 IPv4 or IPv6 addresses or ' +
        'networks. The address is the one TRUST_PROXY says. DELETE: any address again.',
      body: Type.Object(
        {
          networks: Type.Array(Type.String({ minLength: 1, maxLength: 64 }), {
            minItems: 1,
            maxItems: MAX_ACCOUNT_NETWORKS,
          }),
        },
        { additionalProperties: false },
      ),
      set: async (id: string, body: { networks: string[] } | null) => {
        await services.accountLimits.setNetworks(id, body?.networks ?? null);
      },
      ...LIMIT_AUDIT.networks,
    },
    {
      path: 'signed-assertions-only',
      onRequest: operator,
      summary: "that the account's v2 client authenticates with signed assertions alone (private_key_jwt)",
      description:
        'PUT `{}`: from the next request, on every node, the user ID and password are refused at the OAuth endpoints ' +
        'and the login endpoint (401 invalid_client); only a client assertion signed with one of the account’s client ' +
        'keys, or a client certificate registered as one (mutual TLS, where it is set up), gets a token. 409 when the ' +
        'account has no client key. DELETE: the password works again.',
      body: Type.Object({}, { additionalProperties: false }),
      set: (id: string, body: Record<string, never> | null) =>
        services.accountLimits.setFlag(id, 'signedAssertionsOnly', body !== null),
      ...LIMIT_AUDIT.assertionsOnly,
    },
    {
      path: 'dpop-required',
      onRequest: operator,
      summary: "that the account's access tokens are bound to a key its client holds (DPoP, RFC 9449)",
      description:
        'PUT `{}`: from the next request, on every node, a token request without a DPoP proof is refused (400 ' +
        'invalid_request), and so is every token of the account that is not bound to a key — the token for testing ' +
        'and tokens issued before — at the v2 APIs (401) and at introspection (inactive). A token stolen without its ' +
        'key is then worth nothing. DELETE: bearer tokens are taken again (bound ones stay bound).',
      body: Type.Object({}, { additionalProperties: false }),
      set: (id: string, body: Record<string, never> | null) =>
        services.accountLimits.setFlag(id, 'dpopRequired', body !== null),
      ...LIMIT_AUDIT.dpopRequired,
    },
    {
      path: 'certificate-required',
      onRequest: operator,
      summary:
        "that the account's access tokens are bound to a client certificate registered as one of its keys (mutual TLS, RFC 8705)",
      description:
        'PUT `{}`: from the next request, on every node, a token request over a connection without one of the ' +
        'account’s registered certificates is refused (400 invalid_request), whatever the client authenticates ' +
        'with, and so is every token of the account that is not bound to a certificate — the token for testing and ' +
        'tokens issued before — at the v2 APIs (401) and at introspection (inactive). 409 when no client key of the ' +
        'account has a certificate. DELETE: tokens not bound to a certificate are taken again.',
      body: Type.Object({}, { additionalProperties: false }),
      set: (id: string, body: Record<string, never> | null) =>
        services.accountLimits.setFlag(id, 'certificateRequired', body !== null),
      ...LIMIT_AUDIT.certificateRequired,
    },
  ] as const;
  for (const limit of limits) {
    const url = `/api/admin/accounts/:accountId/${limit.path}`;
    const change = async (request: FastifyRequest<{ Params: { accountId: string } }>, body: unknown) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      await (limit.set as (id: string, body: unknown) => Promise<void>)(accountId, body);
      const account = await services.accounts.require(accountId);
      await recordAudit(services.ctx, actor(request), accountId, limit.action, limit.detail(account));
      return accountView(account);
    };
    app.put(
      url,
      {
        onRequest: limit.onRequest,
        schema: {
          tags: ['admin'],
          summary: `Sets ${limit.summary}`,
          description: limit.description,
          params: AccountParams,
          body: limit.body,
          response: { 200: AccountView },
        },
      },
      async (request) => change(request, request.body),
    );
    app.delete(
      url,
      {
        onRequest: limit.onRequest,
        schema: {
          tags: ['admin'],
          summary: `Removes ${limit.summary}`,
          params: AccountParams,
          response: { 200: AccountView },
        },
      },
      async (request) => change(request, null),
    );
  }

  app.delete(
    '/api/admin/accounts/:accountId',
    {
      onRequest: platformAdmin,
      schema: {
        tags: ['admin'],
        summary: 'Deletes a suspended account and its data',
        description:
          'Only a suspended account can be deleted (409 otherwise). Its credentials, token for testing, ' +
          'policies, custom attributes and context documents are deleted; its audit events are kept; its policy ' +
          'log entries are no longer shown and go with the 7-day purge. The id can be used again 25 hours ' +
          'later, when no token of the deleted account can still be valid. 204 once the data is gone; with ' +
          'wait=false, 202 as soon as the account counts as deleted (its credentials refused), its data removed ' +
          'in the background: the audit event account.data-removed says when (for an account of millions of ' +
          'context documents). 202 too when the removal failed half-way: the housekeeping finishes it.',
        params: AccountParams,
        querystring: Type.Object(
          {
            wait: Type.Optional(
              Type.Union([Type.Literal('true'), Type.Literal('false')], {
                description: 'false: answer 202 at once and remove the data in the background',
              }),
            ),
          },
          { additionalProperties: false },
        ),
        response: { 202: Type.Null(), 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const who = actor(request);
      const { removal } = await services.accounts.delete(request.params.accountId, {
        deleted: (account) => recordAudit(services.ctx, who, account.accountId, 'account.deleted'),
        removed: (account, documents) =>
          recordAudit(services.ctx, who, account.accountId, 'account.data-removed', { documents }),
      });
      const done = request.query.wait === 'false' ? false : await removal;
      return reply.code(done ? 204 : 202).send(null);
    },
  );

  app.get(
    '/api/admin/accounts/:accountId/api-authorization',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Everything the API Authorization page shows (recorded in the audit log)',
        params: AccountParams,
        response: {
          200: Type.Object({
            testToken: Type.Union([
              Type.Object({ token: Type.String(), expiresAt: Type.String() }),
              Type.Null(),
            ]),
            credentials: Type.Union([
              Type.Object({
                userId: Type.String(),
                password: Type.String(),
                lastUsedAt: Type.Union([Time, Type.Null()], {
                  description:
                    'when the client last authenticated (a token, a login, an introspection or a revocation), to the minute; null: not since these credentials were made',
                }),
                previous: Type.Union(
                  [
                    Type.Object({ userId: Type.String(), expiresAt: Time, lastUsedAt: NullableTime }),
                    Type.Null(),
                  ],
                  {
                    description:
                      'the user ID these credentials replaced, while it and its password still work (a regeneration with graceSeconds): until expiresAt, with its last use; null: none',
                  },
                ),
              }),
              Type.Null(),
            ]),
            apiKey: Type.Union([
              Type.Object({
                key: Type.String(),
                createdAt: Type.String(),
                lastUsedAt: NullableTime,
                previous: Type.Array(
                  Type.Object({
                    createdAt: Type.String(),
                    expiresAt: Type.String(),
                    lastUsedAt: NullableTime,
                  }),
                ),
              }),
              Type.Null(),
            ]),
            loginUrl: Type.String(),
            tokenUrl: Type.String(),
            mtlsBaseUrl: Type.Union([Type.String(), Type.Null()], {
              description:
                'MTLS_BASE_URL: where clients that present a certificate call the token endpoint and the v2 APIs (RFC 8705 §5); null: at ISSUER, as everyone',
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      const [testToken, credentials, apiKey] = await Promise.all([
        services.tokens.currentTestToken(accountId),
        services.clients.reveal(accountId),
        services.apiKeys.reveal(accountId),
      ]);
      await recordAudit(services.ctx, actor(request), accountId, 'api-authorization.viewed');
      const issuer = services.ctx.settings.issuer;
      return reply.header('cache-control', 'no-store').send({
        testToken: testToken
          ? { token: testToken.token, expiresAt: iso(testToken.expiresAt) as string }
          : null,
        credentials: credentials
          ? {
              userId: credentials.userId,
              password: credentials.password,
              lastUsedAt: iso(credentials.lastUsedAt),
              previous: credentials.previous && {
                userId: credentials.previous.userId,
                expiresAt: iso(credentials.previous.expiresAt) as string,
                lastUsedAt: iso(credentials.previous.lastUsedAt),
              },
            }
          : null,
        apiKey: apiKey
          ? {
              key: apiKey.key,
              createdAt: iso(apiKey.createdAt) as string,
              lastUsedAt: iso(apiKey.lastUsedAt),
              previous: apiKey.previous.map((p) => ({
                createdAt: iso(p.createdAt) as string,
                expiresAt: iso(p.expiresAt) as string,
                lastUsedAt: iso(p.lastUsedAt),
              })),
            }
          : null,
        loginUrl: `${issuer}/v2/authenticate/login`,
        tokenUrl: `${issuer}/oauth/token`,
        mtlsBaseUrl: services.ctx.settings.mtlsBaseUrl ?? null,
      });
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/api-key/regenerate',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Replaces the v1 API key; the old one stops at once on every node, or after graceSeconds',
        params: AccountParams,
        body: Type.Optional(GraceBody),
        response: { 200: Type.Object({ key: Type.String(), graceSeconds: Type.Integer() }) },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      const graceSeconds = request.body?.graceSeconds ?? 0;
      const key = await services.apiKeys.regenerate(accountId, graceSeconds);
      await recordAudit(services.ctx, actor(request), accountId, 'api-key.regenerated', { graceSeconds });
      return reply.header('cache-control', 'no-store').send({ key, graceSeconds });
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/credentials/regenerate',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary:
          'Replaces the v2 user ID and password; the old ones and every token issued under them stop at once on every node, or after graceSeconds',
        params: AccountParams,
        body: Type.Optional(GraceBody),
        response: {
          200: Type.Object({
            userId: Type.String(),
            password: Type.String(),
            graceSeconds: Type.Integer(),
            previousExpiresAt: Type.Union([Time, Type.Null()], {
              description:
                'until when the old user ID and password, and their tokens, still work; null: no more',
            }),
          }),
        },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      const graceSeconds = request.body?.graceSeconds ?? 0;
      const { userId, password, previousUntil } = await services.clients.regenerate(accountId, graceSeconds);
      await recordAudit(services.ctx, actor(request), accountId, 'credentials.regenerated', { graceSeconds });
      return reply
        .header('cache-control', 'no-store')
        .send({ userId, password, graceSeconds, previousExpiresAt: iso(previousUntil) });
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/test-token',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Issues the 24-hour token for testing; the previous one is revoked',
        params: AccountParams,
        response: { 200: Type.Object({ token: Type.String(), expiresAt: Type.String() }) },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      const account = await services.accounts.require(accountId);
      if (account.status !== 'active')
        throw new AppError('conflict', `account ${accountId} is suspended: resume it to issue a token`);
      const client = await services.clients.reveal(accountId);
      if (!client) throw new AppError('conflict', 'the account has no v2 credentials; regenerate them first');
      const issued = await services.tokens.issueTestToken(accountId, client.userId);
      await recordAudit(services.ctx, actor(request), accountId, 'test-token.issued');
      return reply
        .header('cache-control', 'no-store')
        .send({ token: issued.token, expiresAt: iso(issued.expiresAt) as string });
    },
  );

  app.post(
    '/api/admin/accounts/:accountId/audit-events',
    {
      onRequest: operator,
      schema: {
        tags: ['admin'],
        summary: 'Records that a secret was copied or revealed in the web app',
        params: AccountParams,
        body: Type.Object(
          { action: Type.Union(COPY_ACTIONS.map((a) => Type.Literal(a))) },
          { additionalProperties: false },
        ),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { accountId } = request.params;
      await services.accounts.require(accountId);
      await recordAudit(services.ctx, actor(request), accountId, request.body.action);
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/api/admin/audit',
    {
      // An operator limited to some accounts reads the events of one of theirs (accountId), or by or about an
      // operator they see (operator), never the whole log: checked below.
      onRequest: auth.operator('viewer', { accounts: 'own' }),
      schema: {
        tags: ['admin'],
        summary:
          'Audit log, newest first: of one account (accountId), by or about one operator (operator), or both; an ' +
          'operator of some accounts gives one of them',
        querystring: Type.Object(
          {
            accountId: Type.Optional(Type.String({ pattern: ACCOUNT_ID_PATTERN.source })),
            operator: Type.Optional(
              Type.String({
                minLength: 1,
                maxLength: 64,
                description: 'the events this operator did, and those done to them (detail.username)',
              }),
            ),
            before: Type.Optional(Type.String({ format: 'date-time' })),
            beforeId: Type.Optional(
              Type.String({
                pattern: '^[0-9a-f-]{36}$',
                description:
                  'with before: the id of the last event shown (at that time); the events of the same millisecond ' +
                  'after it come too, so that paging skips none',
              }),
            ),
            limit: Type.Optional(Type.String({ pattern: '^[0-9]{1,3}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Array(
            Type.Object({
              id: Type.String(),
              at: Type.String(),
              actor: Type.String(),
              accountId: Type.Union([Type.String(), Type.Null()]),
              action: Type.String(),
              address: Type.Union([Type.String(), Type.Null()]),
              detail: Type.Record(
                Type.String(),
                Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]),
              ),
            }),
          ),
        },
      },
    },
    async (request) => {
      const { accountId, operator } = request.query;
      const mine = await auditScope(operatorOf(request), accountId, operator);
      const limit = Math.min(500, Math.max(1, Number(request.query.limit ?? 100)));
      const before = request.query.before ? Date.parse(request.query.before) : undefined;
      const events = await services.ctx.store.audit.listAudit({
        ...(accountId ? { accountId } : {}),
        ...(operator ? { operator } : {}),
        ...(mine === null ? {} : { accounts: mine }),
        ...(before !== undefined && !Number.isNaN(before) ? { before } : {}),
        ...(request.query.beforeId ? { beforeId: request.query.beforeId } : {}),
        limit,
      });
      return events.map((e) => ({
        ...e,
        at: iso(e.at) as string,
        detail: mine === null ? e.detail : withinAccounts(e.detail, mine),
      }));
    },
  );
}
