import { parse as parseCookie, serialize as serializeCookie } from 'cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { recordAudit } from '../../services/audit.js';
import {
  SSO_CALLBACK_PATH,
  SSO_STATE_TTL_MS,
  type SsoAnswer,
  SsoError,
  type SsoFailure,
} from '../../services/operator-sso.js';
import { describeAccounts, SESSION_TTL_MS } from '../../services/operators.js';
import { setIdTokenCookie, setSessionCookie } from '../auth.js';
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
      const { username, groups, idToken } = named;
      const who = { name: username, address: request.ip };
      const session = await services.operators.signInWithSso(
        username,
        groups,
        request.ip,
        request.headers['user-agent'],
      );
      if (session.refused !== null) {
        await recordAudit(services.ctx, who, null, 'operator.sso-refused', {
          username,
          reason: session.reason,
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
      setSessionCookie(reply, session.sessionId, Math.floor(SESSION_TTL_MS / 1000), secure);
      const sealedIdToken = sso.sealIdToken(idToken);
      if (sealedIdToken !== null)
        setIdTokenCookie(reply, sealedIdToken, Math.floor(SESSION_TTL_MS / 1000), secure);
      return reply.header('cache-control', 'no-store').redirect('/', 302);
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
