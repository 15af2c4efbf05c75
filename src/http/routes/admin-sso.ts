import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { OAuthError } from '../../core/auth/oauth-errors.js';
import { recordAudit } from '../../services/audit.js';
import {
  type LogoutTarget,
  SSO_BACK_CHANNEL_LOGOUT_PATH,
  SSO_CALLBACK_PATH,
  SSO_STATE_TTL_MS,
  type SsoAnswer,
  SsoError,
  type SsoFailure,
} from '../../services/operator-sso.js';
import { describeAccounts } from '../../services/operators.js';
import { setIdTokenCookie, setSessionCookie } from '../auth.js';
import { NO_STORE, OAUTH_ERROR, singleValued } from '../client-auth.js';
import type { App, RouteDeps } from '../types.js';

/** The sealed state of a sign-in under way, sent back only to the callback. */
const STATE_COOKIE = 'orch_sso';

/**
 * Operators' single sign-on with an OpenID Connect provider (OPERATOR_SSO_*): the sign-in page asks whether it is
 * set up, the browser is sent to the provider and comes back to the callback, which opens a session for the
 * operator the provider named and sends the browser to the web app. A failure sends it to the web app too, with
 * `?sso_error=` and a code the sign-in page puts in words (the reason goes to the log and, when the provider named
 * someone, to the audit log).
 */
export async function adminSsoRoutes(app: App, { services }: RouteDeps): Promise<void> {
  const { sso } = services;
  const secure = services.ctx.settings.issuer.startsWith('https://');
  /** The state cookie: Lax, as the browser comes back from the provider's site by a top-level navigation. */
  const stateCookie = (value: string, maxAge: number) =>
    serializeCookie(STATE_COOKIE, value, {
      httpOnly: true,
      sameSite: 'lax',
      secure,
      path: '/api/admin/sso',
      maxAge,
    });
  const issuer = new URL(services.ctx.settings.issuer);
  /** Whether the browser asked at ISSUER's origin, where the provider will send it back (the state cookie's host). */
  const atIssuer = (request: FastifyRequest) =>
    request.host.toLowerCase() === issuer.host && `${request.protocol}:` === issuer.protocol;
  const failed = (reply: FastifyReply, failure: SsoFailure) =>
    reply.header('cache-control', 'no-store').redirect(`/?sso_error=${failure}`, 302);

  app.get(
    '/api/admin/sso',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Whether operators may sign in with single sign-on here, what its button says, whether passwords too, and whether roles come from the groups there',
        response: {
          200: Type.Object({
            enabled: Type.Boolean(),
            name: Type.Union([Type.String(), Type.Null()], {
              description: 'OPERATOR_SSO_NAME: "Sign in with …"; null when not set up',
            }),
            passwordSignIn: Type.Boolean({
              description:
                'false: operators sign in through single sign-on alone (OPERATOR_PASSWORD_SIGN_IN=false)',
            }),
            passkeySignIn: Type.Boolean({
              description:
                'true: operators may sign in with a passkey alone here (POST /api/admin/login/passkey/options): passkeys can be used (ISSUER is a domain name) and passwords sign in',
            }),
            rolesFromGroups: Type.Boolean({
              description:
                "true: a sign-in through the provider sets the operator's role and accounts from their groups there (OPERATOR_SSO_GROUPS)",
            }),
          }),
        },
      },
    },
    async () => ({
      enabled: sso !== null,
      name: sso?.settings.name ?? null,
      passwordSignIn: services.ctx.settings.operatorPasswordSignIn !== false,
      passkeySignIn: services.operators.passkeyAloneOffered,
      rolesFromGroups: (sso?.settings.groups ?? null) !== null,
    }),
  );

  app.get(
    '/api/admin/sso/start',
    {
      schema: {
        tags: ['admin'],
        summary: "Sends the browser to the provider's sign-in (302); back at the callback",
        description:
          "Asked at another address than ISSUER's (an IP address, another name of the server), it first sends the browser to the same step at ISSUER, once (`moved=1`): the provider sends it back to ISSUER's callback, which must find the state cookie set on that host.",
        querystring: Type.Object({ moved: Type.Optional(Type.Literal('1')) }),
        response: { 302: Type.Null() },
      },
    },
    async (request, reply) => {
      if (sso === null) return failed(reply, 'unavailable');
      // Once only: behind a proxy that rewrites Host (with TRUST_PROXY unset) the address seen is never ISSUER's.
      if (!atIssuer(request) && request.query.moved === undefined)
        return reply
          .header('cache-control', 'no-store')
          .redirect(`${services.ctx.settings.issuer}/api/admin/sso/start?moved=1`, 302);
      try {
        const { url, cookie } = await sso.start();
        reply.header('set-cookie', stateCookie(cookie, Math.floor(SSO_STATE_TTL_MS / 1000)));
        return reply.header('cache-control', 'no-store').redirect(url, 302);
      } catch (error) {
        return refused(request, reply, error);
      }
    },
  );

  app.get(
    SSO_CALLBACK_PATH,
    {
      schema: {
        tags: ['admin'],
        summary:
          "Where the provider sends the browser back (register it as the client's redirect URI): signs the operator in and sends the browser to the web app (302)",
        querystring: Type.Object(
          {
            code: Type.Optional(Type.String({ maxLength: 4096 })),
            state: Type.Optional(Type.String({ maxLength: 1024 })),
            error: Type.Optional(Type.String({ maxLength: 1024 })),
          },
          { additionalProperties: true },
        ),
        response: { 302: Type.Null() },
      },
    },
    async (request, reply) => {
      reply.header('set-cookie', stateCookie('', 0));
      if (sso === null) return failed(reply, 'unavailable');
      const at = request.url.indexOf('?');
      const query = at === -1 ? '' : request.url.slice(at);
      const cookie = request.headers.cookie ? parseCookie(request.headers.cookie)[STATE_COOKIE] : undefined;
      let named: SsoAnswer;
      try {
        named = await sso.finish(query, cookie);
      } catch (error) {
        return refused(request, reply, error);
      }
      const { username, groups, idToken, provider, groupsMissing } = named;
      const who = { name: username, address: request.ip };
      const session = await services.operators.signInWithSso(
        username,
        groups,
        provider,
        request.ip,
        request.headers['user-agent'],
      );
      if (session.refused !== null) {
        const reason = (session.refused === 'no_role' && groupsMissing) || session.reason;
        request.log.warn({ failure: session.refused, reason }, 'single sign-on did not sign anyone in');
        await recordAudit(services.ctx, who, null, 'operator.sso-refused', {
          username,
          reason,
          ...(session.refused === 'no_role' ? { groups: groups.slice(0, 20).join(', ') } : {}),
        });
        return failed(reply, session.refused);
      }
      const by = sso.settings.groups
        ? 'single sign-on (OPERATOR_SSO_GROUPS)'
        : 'single sign-on (OPERATOR_SSO_NEW_OPERATORS=viewer)';
      if (session.created)
        await recordAudit(services.ctx, who, null, 'operator.created', {
          username,
          role: session.created.role,
          accounts: describeAccounts(session.created.accounts),
          by,
        });
      const { role, accounts } = session.changed;
      if (role !== undefined)
        await recordAudit(services.ctx, who, null, 'operator.role-changed', { username, role, by });
      if (accounts !== undefined)
        await recordAudit(services.ctx, who, null, 'operator.accounts-changed', {
          username,
          accounts: describeAccounts(accounts),
          by,
        });
      await recordAudit(services.ctx, who, null, 'operator.signed-in', { sso: true });
      setSessionCookie(reply, session.sessionId, services.operators.sessionCookieSeconds, secure);
      const sealedIdToken = sso.sealIdToken(idToken);
      if (sealedIdToken !== null)
        setIdTokenCookie(reply, sealedIdToken, services.operators.sessionCookieSeconds, secure);
      return reply.header('cache-control', 'no-store').redirect('/', 302);
    },
  );

  app.post(
    SSO_BACK_CHANNEL_LOGOUT_PATH,
    {
      config: { oauth: true },
      bodyLimit: 64 * 1024,
      schema: {
        tags: ['admin'],
        summary:
          "The provider's back-channel logout (OpenID Connect Back-Channel Logout 1.0): ends the single sign-on sessions its logout token names",
        description:
          "Register it at the provider as the client's back-channel logout URI. The provider's server posts `logout_token` (form); a token signed by the provider, for this client, with a `sub` (every session here of that person at the provider) or a `sid` (the sessions opened from that session there) ends those sessions on every node at once: 200. A token that does not verify: 400 (RFC 6749 error JSON), nothing ended. Answers any address, ADMIN_NETWORKS or not: the provider's servers are not the operators' network, and only a token the provider signed does anything.",
        consumes: ['application/x-www-form-urlencoded'],
        security: [],
        response: { 200: Type.Null(), 400: OAUTH_ERROR, 404: OAUTH_ERROR, 503: OAUTH_ERROR },
      },
    },
    async (request, reply) => {
      if (sso === null) throw new OAuthError('invalid_request', 'single sign-on is not set up here', {}, 404);
      const { logout_token: token } = singleValued(request.body);
      if (typeof token !== 'string' || token === '')
        throw new OAuthError('invalid_request', 'logout_token is required');
      let target: LogoutTarget | null;
      try {
        target = await sso.logoutTarget(token);
      } catch (error) {
        if (!(error instanceof SsoError)) throw error;
        request.log.warn({ reason: error.reason }, 'a back-channel logout was refused');
        if (error.failure === 'unavailable') throw new OAuthError('temporarily_unavailable', error.reason);
        throw new OAuthError('invalid_request', error.reason);
      }
      // Received before (the provider retried, or someone shows it again): done already, nothing more to end.
      if (target === null) return reply.headers(NO_STORE).code(200).send(null);
      const ended = await services.operators.endProviderSessions(target);
      for (const [username, sessions] of ended)
        await recordAudit(
          services.ctx,
          { name: 'single sign-on provider', address: request.ip },
          null,
          'operator.sessions-ended',
          { username, sessions, by: 'back-channel logout' },
        );
      return reply.headers(NO_STORE).code(200).send(null);
    },
  );

  /** A sign-in that did not finish: logged with its reason, answered with its code. */
  function refused(request: FastifyRequest, reply: FastifyReply, error: unknown) {
    if (!(error instanceof SsoError)) throw error;
    request.log.warn(
      { failure: error.failure, reason: error.reason },
      'single sign-on did not sign anyone in',
    );
    return failed(reply, error.failure);
  }
}
