import { Type } from 'typebox';
import { AppError } from '../../core/errors.js';
import { ACCOUNT_ID_PATTERN } from '../../services/accounts.js';
import { recordAudit } from '../../services/audit.js';
import type {
  OperatorTokenView,
  OperatorView as ServiceOperatorView,
  SessionView as ServiceSessionView,
} from '../../services/operators.js';
import {
  describeAccounts,
  MAX_OPERATOR_ACCOUNTS,
  MAX_TOKEN_DAYS,
  MIN_PASSWORD_LENGTH,
} from '../../services/operators.js';
import { operatorActor, operatorOf } from '../actor.js';
import { setSessionCookie } from '../auth.js';
import type { App, RouteDeps } from '../types.js';
import { iso, NullableTime, Time } from './times.js';

const TokenRole = Type.Union([Type.Literal('viewer'), Type.Null()], {
  description:
    "viewer: the token acts as a viewer whatever its operator's role; null: with its operator's role",
});
const TokenView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  username: Type.String({ description: 'the operator the token acts as' }),
  createdAt: Time,
  expiresAt: NullableTime,
  lastUsedAt: NullableTime,
  role: TokenRole,
});

const SessionView = Type.Object({
  id: Type.String({ description: 'names the session here; not the cookie' }),
  createdAt: Time,
  expiresAt: Type.String({
    format: 'date-time',
    description:
      'when it ends at the latest (OPERATOR_SESSION_HOURS after the sign-in); sooner after OPERATOR_SESSION_IDLE_MINUTES without a request',
  }),
  lastSeenAt: Type.String({ format: 'date-time', description: 'its last request, to the minute' }),
  address: Type.Union([Type.String(), Type.Null()], { description: 'where it signed in from' }),
  userAgent: Type.Union([Type.String(), Type.Null()], { description: 'its browser, as it said' }),
  signedInWith: Type.Union([Type.Literal('password'), Type.Literal('sso'), Type.Literal('passkey')], {
    description:
      'password (with a second factor when the operator has one), sso (single sign-on) or passkey (a passkey alone)',
  }),
  current: Type.Boolean({ description: 'the session of this request' }),
});
const sessionView = (session: ServiceSessionView) => ({
  ...session,
  createdAt: iso(session.createdAt) as string,
  expiresAt: iso(session.expiresAt) as string,
  lastSeenAt: iso(session.lastSeenAt) as string,
});
const Ended = Type.Object({ ended: Type.Integer({ description: 'how many sessions ended' }) });

const tokenView = (token: OperatorTokenView) => ({
  id: token.id,
  name: token.name,
  username: token.username,
  createdAt: iso(token.createdAt),
  expiresAt: iso(token.expiresAt),
  lastUsedAt: iso(token.lastUsedAt),
  role: token.role,
});

export const Role = Type.Union([Type.Literal('admin'), Type.Literal('viewer')], {
  description: 'admin: everything; viewer: reads what holds no secret, and their own password and API tokens',
});
export const OperatorAccounts = Type.Union(
  [
    Type.Array(Type.String({ pattern: ACCOUNT_ID_PATTERN.source }), { maxItems: MAX_OPERATOR_ACCOUNTS }),
    Type.Null(),
  ],
  {
    description:
      'null: every account (and operators, backups and the audit log); a list: only these accounts, where the ' +
      'role applies',
  },
);
const OperatorView = Type.Object({
  username: Type.String(),
  role: Role,
  accounts: OperatorAccounts,
  createdAt: Time,
});
const operatorView = (o: ServiceOperatorView) => ({
  username: o.username,
  role: o.role,
  accounts: o.accounts,
  createdAt: iso(o.createdAt),
});
const OperatorListing = Type.Object({
  ...OperatorView.properties,
  totpEnabled: Type.Boolean({ description: 'their sign-in asks for a one-time code' }),
  passkeys: Type.Integer({ description: 'how many passkeys they may sign in with (a second factor)' }),
});
const Username = Type.Object({ username: Type.String({ minLength: 1, maxLength: 64 }) });
const Password = Type.String({ minLength: MIN_PASSWORD_LENGTH, maxLength: 1024 });

/**
 * Operators and their API tokens: an admin adds, changes and removes the operators they manage (not themselves),
 * and revokes their tokens; every operator changes their own password. An admin of every account manages every
 * operator; one limited to some accounts manages the operators limited to some of theirs (the service decides,
 * `manages`). Everything here is recorded in the audit log.
 */
export async function adminOperatorRoutes(app: App, { auth, services }: RouteDeps): Promise<void> {
  /** An admin, of every account or of some (who then acts on the operators of their accounts only). */
  const manager = auth.operator('admin', { accounts: 'own' });
  /** Also for an operator who has yet to set up the one-time codes OPERATOR_TOTP=required asks for. */
  const anyone = auth.operator('viewer', { beforeTotp: true, accounts: 'own' });
  /** Any operator, for what is theirs alone or theirs to see (their tokens and those of the operators they manage). */
  const own = auth.operator('viewer', { accounts: 'own' });
  const actor = operatorActor;
  const secureCookie = services.ctx.settings.issuer.startsWith('https://');

  app.get(
    '/api/admin/operators',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary:
          'Lists the operators you see: every one, or (limited to some accounts) yourself and those you manage',
        response: { 200: Type.Array(OperatorListing) },
      },
    },
    async (request) =>
      (await services.operators.listOperators(operatorOf(request))).map((o) => ({
        ...operatorView(o),
        totpEnabled: o.totpEnabled,
        passkeys: o.passkeys,
      })),
  );

  app.post(
    '/api/admin/operators',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary:
          'Adds an operator; without a password, one is generated and shown this once. Limited to some accounts, ' +
          'you give some of yours',
        body: Type.Object(
          {
            username: Type.String({ minLength: 1, maxLength: 64 }),
            password: Type.Optional(Password),
            role: Type.Optional(Role),
            accounts: Type.Optional(OperatorAccounts),
          },
          { additionalProperties: false },
        ),
        response: {
          201: Type.Object({
            ...OperatorView.properties,
            password: Type.Optional(Type.String({ description: 'present when generated' })),
          }),
        },
      },
    },
    async (request, reply) => {
      const created = await services.operators.createOperator(
        request.body.username,
        request.body.password ?? null,
        request.body.role ?? 'viewer',
        request.body.accounts,
        operatorOf(request),
      );
      await recordAudit(services.ctx, actor(request), null, 'operator.created', {
        username: created.username,
        role: created.role,
        accounts: describeAccounts(created.accounts),
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          ...operatorView(created),
          ...(created.generatedPassword === null ? {} : { password: created.generatedPassword }),
        });
    },
  );

  app.delete(
    '/api/admin/operators/:username',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary: 'Removes an operator you manage with their sessions and API tokens, at once (not yourself)',
        params: Username,
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const { username } = request.params;
      await services.operators.removeOperator(username, operatorOf(request));
      await recordAudit(services.ctx, actor(request), null, 'operator.removed', { username });
      return reply.code(204).send(null);
    },
  );

  app.patch(
    '/api/admin/operators/:username',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary:
          'Changes the role and/or accounts of an operator you manage, at once (not your own; limited to some ' +
          'accounts, you give some of yours)',
        params: Username,
        body: Type.Object(
          { role: Type.Optional(Role), accounts: Type.Optional(OperatorAccounts) },
          { additionalProperties: false, minProperties: 1 },
        ),
        response: { 200: OperatorView },
      },
    },
    async (request) => {
      const { username } = request.params;
      const { role, accounts } = request.body;
      const changed = await services.operators.changeOperator(
        username,
        { ...(role === undefined ? {} : { role }), ...(accounts === undefined ? {} : { accounts }) },
        operatorOf(request),
      );
      if (role !== undefined)
        await recordAudit(services.ctx, actor(request), null, 'operator.role-changed', { username, role });
      if (accounts !== undefined)
        await recordAudit(services.ctx, actor(request), null, 'operator.accounts-changed', {
          username,
          accounts: describeAccounts(changed.accounts),
        });
      return operatorView(changed);
    },
  );

  app.post(
    '/api/admin/password',
    {
      onRequest: anyone,
      schema: {
        tags: ['admin'],
        summary:
          'Changes your own password (signed in, not with an API token); ends your other sessions and sets a new cookie',
        body: Type.Object(
          { currentPassword: Type.String({ minLength: 1, maxLength: 1024 }), newPassword: Password },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ username: Type.String(), csrfToken: Type.String() }) },
      },
    },
    async (request, reply) => {
      const identity = request.operator;
      if (identity?.via !== 'session')
        throw new AppError('forbidden', 'change a password from a signed-in session, not with an API token');
      const session = await services.operators.changePassword(
        identity.username,
        request.body.currentPassword,
        request.body.newPassword,
        request.ip,
        request.headers['user-agent'],
      );
      await recordAudit(services.ctx, actor(request), null, 'operator.password-changed', {
        username: identity.username,
      });
      setSessionCookie(reply, session.sessionId, services.operators.sessionCookieSeconds, secureCookie);
      return reply
        .header('cache-control', 'no-store')
        .send({ username: identity.username, csrfToken: session.csrfToken });
    },
  );

  app.get(
    '/api/admin/sessions',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary: 'Your browser sessions that have not ended, newest first: when, where from, which browser',
        response: { 200: Type.Array(SessionView) },
      },
    },
    async (request) =>
      (await services.operators.listSessions(request.operator ?? { username: '', sessionIdHash: null })).map(
        sessionView,
      ),
  );

  app.delete(
    '/api/admin/sessions/:id',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary: 'Ends one of your sessions at once, on every node (this one too: a sign-out)',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const username = request.operator?.username ?? '';
      await services.operators.endSession(username, request.params.id);
      await recordAudit(services.ctx, actor(request), null, 'operator.session-ended', {
        username,
        id: request.params.id,
      });
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/api/admin/sessions',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary: 'Ends every other session of yours, at once, on every node (from an API token: every one)',
        response: { 200: Ended },
      },
    },
    async (request) => {
      const identity = request.operator;
      const username = identity?.username ?? '';
      const ended = await services.operators.endSessions(username, identity?.sessionIdHash ?? null);
      await recordAudit(services.ctx, actor(request), null, 'operator.sessions-ended', { username, ended });
      return { ended };
    },
  );

  app.delete(
    '/api/admin/operators/:username/sessions',
    {
      onRequest: manager,
      schema: {
        tags: ['admin'],
        summary:
          'Ends every session of an operator you manage, at once, on every node (a lost laptop); their API ' +
          'tokens stay',
        params: Username,
        response: { 200: Ended },
      },
    },
    async (request) => {
      const { username } = request.params;
      const ended = await services.operators.endEverySession(username, operatorOf(request));
      await recordAudit(services.ctx, actor(request), null, 'operator.sessions-ended', { username, ended });
      return { ended };
    },
  );

  app.get(
    '/api/admin/operator-tokens',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary:
          'Lists the API tokens of the operators you see (every one, or yourself and those you manage), oldest ' +
          'first, never the tokens themselves',
        response: { 200: Type.Array(TokenView) },
      },
    },
    async (request) => (await services.operators.listApiTokens(operatorOf(request))).map(tokenView),
  );

  app.post(
    '/api/admin/operator-tokens',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary:
          'Creates an operator API token for automation (shown once); it acts as you, or as a viewer with role ' +
          'viewer (a token that acts as a viewer makes only such tokens)',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            expiresInDays: Type.Optional(
              Type.Union([Type.Integer({ minimum: 1, maximum: MAX_TOKEN_DAYS }), Type.Null()], {
                description: 'absent or null: the token does not expire',
              }),
            ),
            role: Type.Optional(TokenRole),
          },
          { additionalProperties: false },
        ),
        response: { 201: Type.Object({ ...TokenView.properties, token: Type.String() }) },
      },
    },
    async (request, reply) => {
      const created = await services.operators.createApiToken(
        request.operator?.username ?? '',
        request.body.name,
        request.body.expiresInDays ?? null,
        request.body.role ?? null,
        operatorOf(request),
      );
      await recordAudit(services.ctx, actor(request), null, 'operator-token.created', {
        id: created.id,
        name: created.name,
        role: created.role,
      });
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({ ...tokenView(created), token: created.token });
    },
  );

  app.delete(
    '/api/admin/operator-tokens/:id',
    {
      onRequest: own,
      schema: {
        tags: ['admin'],
        summary: 'Revokes an operator API token at once, on every node',
        params: Type.Object({ id: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
        response: { 204: Type.Null() },
      },
    },
    async (request, reply) => {
      const revoked = await services.operators.revokeApiToken(request.params.id, operatorOf(request));
      await recordAudit(services.ctx, actor(request), null, 'operator-token.revoked', {
        id: revoked.id,
        name: revoked.name,
        username: revoked.username,
      });
      return reply.code(204).send(null);
    },
  );
}
