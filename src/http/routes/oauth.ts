import { Type } from 'typebox';
import { DPOP_ALGORITHMS } from '../../core/auth/dpop.js';
import { OAuthError } from '../../core/auth/oauth-errors.js';
import { parseScopeParameter, SCOPES } from '../../core/auth/scopes.js';
import { AppError } from '../../core/errors.js';
import { then } from '../../core/maybe-promise.js';
import { ASSERTION_ALGORITHMS } from '../../services/client-keys.js';
import { PROTECTED_RESOURCE_METADATA } from '../auth.js';
import {
  authenticateClient,
  issueToken,
  NO_STORE,
  OAUTH_ERROR,
  singleValued,
  tokenBinding,
} from '../client-auth.js';
import type { App, RouteDeps } from '../types.js';

/** How clients authenticate at the token, revocation and introspection endpoints (RFC 8414 metadata). */
const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];
const FORM = {
  consumes: ['application/x-www-form-urlencoded'],
  security: [
    { clientBasic: [] as string[] },
    { clientCertificate: [] as string[] },
    {} as Record<string, string[]>,
  ],
};

/** RFC 6749 §4.4 token endpoint, RFC 7009 revocation, RFC 7662 introspection, RFC 8414 metadata, JWKS. */
export async function oauthRoutes(app: App, { services }: RouteDeps): Promise<void> {
  const issuer = services.ctx.settings.issuer;
  // With client certificates (CLIENT_CERT_HEADER or this server's TLS), clients may authenticate with a certificate
  // registered as one of their keys' x5c, and with CLIENT_CA_FILE with one a trusted CA issued to their subject.
  const mutualTls = services.certificates !== null;
  const mtlsBase = services.ctx.settings.mtlsBaseUrl ?? null;
  const clientAuthMethods = mutualTls
    ? [
        ...CLIENT_AUTH_METHODS,
        ...((services.ctx.settings.trustedCas?.length ?? 0) > 0 ? ['tls_client_auth'] : []),
        'self_signed_tls_client_auth',
      ]
    : CLIENT_AUTH_METHODS;

  app.post(
    '/oauth/token',
    {
      config: { oauth: true },
      schema: {
        tags: ['oauth'],
        summary: 'Client credentials grant (RFC 6749 §4.4)',
        description:
          'Form parameters: grant_type=client_credentials, optional scope; client authentication by HTTP Basic (client_secret_basic), client_id + client_secret in the body (client_secret_post), or client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer + client_assertion, a JWT signed with one of the account’s client keys (private_key_jwt, RFC 7523: iss and sub the user ID, aud the issuer or this URL, exp at most 10 minutes ahead, a jti used once), or client_id alone over a connection presenting a client certificate registered as one of the account’s keys (self_signed_tls_client_auth, RFC 8705; the token is then bound to it, claim cnf.x5t#S256) or issued by a CA of CLIENT_CA_FILE with one of the account’s certificate subjects (tls_client_auth, RFC 8705 §2.1; bound likewise, and claim tls_client_auth names the subject entry and the CA) — one of them only. With a DPoP proof (RFC 9449) in the `DPoP` header, the token is bound to the proof’s key (token_type DPoP, claim cnf.jkt) and works only with a fresh proof of that key on each call; an account that requires DPoP gets no token without one.',
        ...FORM,
        response: {
          200: Type.Object({
            access_token: Type.String(),
            token_type: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
            expires_in: Type.Integer(),
            scope: Type.String(),
          }),
          400: OAUTH_ERROR,
          401: OAUTH_ERROR,
        },
      },
    },
    // Not async: with the client and the rate limits in memory, the signature's is the only promise made.
    // Fastify answers a throw of the handler as it answers a rejection.
    (request, reply) => {
      const params = singleValued(request.body);
      return then(authenticateClient(request, params, services), (authenticated) => {
        if (params.grant_type === undefined)
          throw new OAuthError('invalid_request', 'grant_type is required');
        if (params.grant_type !== 'client_credentials') {
          throw new OAuthError('unsupported_grant_type', 'only client_credentials is supported');
        }
        const scopes = parseScopeParameter(params.scope);
        if (!scopes.ok)
          throw new OAuthError(
            'invalid_scope',
            `unknown scope ${JSON.stringify(scopes.unknown.slice(0, 64))}`,
          );
        return then(tokenBinding(request, reply, authenticated, services), (binding) =>
          issueToken(services, authenticated, scopes.scopes, binding).then((issued) => {
            reply.headers(NO_STORE);
            return {
              access_token: issued.token,
              token_type: binding.jkt === null ? ('Bearer' as const) : ('DPoP' as const),
              expires_in: issued.expiresIn,
              scope: issued.scopes.join(' '),
            };
          }),
        );
      });
    },
  );

  app.post(
    '/oauth/revoke',
    {
      config: { oauth: true },
      schema: {
        tags: ['oauth'],
        summary: 'Token revocation (RFC 7009)',
        description:
          'Form parameters: token, optional token_type_hint. Only the calling account’s tokens are revoked; anything else is ignored with 200.',
        ...FORM,
        response: { 200: Type.Object({}), 400: OAUTH_ERROR, 401: OAUTH_ERROR },
      },
    },
    async (request, reply) => {
      const params = singleValued(request.body);
      const { client } = await authenticateClient(request, params, services);
      if (params.token === undefined || params.token === '')
        throw new OAuthError('invalid_request', 'token is required');
      await services.tokens.revoke(params.token, client.accountId);
      return reply.headers(NO_STORE).send({});
    },
  );

  app.post(
    '/oauth/introspect',
    {
      config: { oauth: true },
      schema: {
        tags: ['oauth'],
        summary: 'Token introspection (RFC 7662)',
        description:
          'Form parameters: token, optional token_type_hint. A token of another account is reported inactive.',
        ...FORM,
        response: {
          200: Type.Object({
            active: Type.Boolean(),
            scope: Type.Optional(Type.String()),
            client_id: Type.Optional(Type.String()),
            token_type: Type.Optional(Type.String()),
            exp: Type.Optional(Type.Integer()),
            iat: Type.Optional(Type.Integer()),
            sub: Type.Optional(Type.String()),
            aud: Type.Optional(Type.String()),
            iss: Type.Optional(Type.String()),
            jti: Type.Optional(Type.String()),
            cnf: Type.Optional(
              Type.Object(
                { jkt: Type.Optional(Type.String()), 'x5t#S256': Type.Optional(Type.String()) },
                {
                  description:
                    'what the token is bound to: jkt, the thumbprint of its DPoP key (RFC 9449 §6.2); x5t#S256, the thumbprint of its client certificate (RFC 8705 §3.2)',
                },
              ),
            ),
          }),
          400: OAUTH_ERROR,
          401: OAUTH_ERROR,
        },
      },
    },
    async (request, reply) => {
      const params = singleValued(request.body);
      const { client } = await authenticateClient(request, params, services);
      if (params.token === undefined || params.token === '')
        throw new OAuthError('invalid_request', 'token is required');
      const checked = await services.tokens.verify(params.token);
      reply.headers(NO_STORE);
      if (!checked.ok || checked.token.accountId !== client.accountId) return { active: false };
      const token = checked.token;
      return {
        active: true,
        scope: [...token.scopes].join(' '),
        client_id: token.clientId,
        token_type: token.jkt === null ? 'Bearer' : 'DPoP',
        exp: Math.floor(token.expiresAt / 1000),
        iat: Math.floor(token.issuedAt / 1000),
        sub: token.accountId,
        aud: issuer,
        iss: issuer,
        jti: token.jti,
        ...((token.jkt !== null || token.x5t !== null) && {
          cnf: {
            ...(token.jkt !== null && { jkt: token.jkt }),
            ...(token.x5t !== null && { 'x5t#S256': token.x5t }),
          },
        }),
      };
    },
  );

  app.get(
    '/.well-known/oauth-authorization-server',
    { schema: { tags: ['oauth'], summary: 'Authorization server metadata (RFC 8414)' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return {
        issuer,
        token_endpoint: `${issuer}/oauth/token`,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        grant_types_supported: ['client_credentials'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: clientAuthMethods,
        token_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
        revocation_endpoint_auth_methods_supported: clientAuthMethods,
        revocation_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
        introspection_endpoint_auth_methods_supported: clientAuthMethods,
        introspection_endpoint_auth_signing_alg_values_supported: [...ASSERTION_ALGORITHMS],
        scopes_supported: [...SCOPES],
        dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
        // RFC 8705 §3.3: tokens of clients that authenticate with their certificate are bound to it.
        tls_client_certificate_bound_access_tokens: mutualTls,
        // RFC 8705 §5: where clients that present a certificate call these endpoints instead (MTLS_BASE_URL).
        ...(mtlsBase && {
          mtls_endpoint_aliases: {
            token_endpoint: `${mtlsBase}/oauth/token`,
            revocation_endpoint: `${mtlsBase}/oauth/revoke`,
            introspection_endpoint: `${mtlsBase}/oauth/introspect`,
          },
        }),
        service_documentation: `${issuer}/docs`,
      };
    },
  );

  /** RFC 9728 §2: the v2 APIs' metadata, as the resource `resource` (the issuer, or one API's URL). */
  const resourceMetadata = (resource: string) => ({
    resource,
    authorization_servers: [issuer],
    scopes_supported: [...SCOPES],
    bearer_methods_supported: ['header', 'query'],
    resource_name: 'Conversation Orchestrator v2 APIs',
    resource_documentation: `${issuer}/docs`,
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    // Each account may require it (dpop-required); the resource as a whole takes bearer tokens too.
    dpop_bound_access_tokens_required: false,
    tls_client_certificate_bound_access_tokens: mutualTls,
  });
  const { origin, pathname } = new URL(issuer);
  const basePath = pathname === '/' ? '' : pathname;
  app.get(
    PROTECTED_RESOURCE_METADATA,
    {
      schema: {
        tags: ['oauth'],
        summary: 'Protected resource metadata (RFC 9728): how to call the v2 APIs',
        description:
          'The v2 APIs as one resource, `ISSUER` (the `aud` of every access token), whose authorization server is this one. Each API URL has its own document too, at this path followed by the API’s path (RFC 9728 §3.1): that is what the 401 of a call without a token names (`resource_metadata`), and its `resource` is that URL (§3.3).',
      },
    },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return resourceMetadata(issuer);
    },
  );
  app.get(
    `${PROTECTED_RESOURCE_METADATA}/*`,
    {
      schema: {
        tags: ['oauth'],
        summary: 'Protected resource metadata (RFC 9728) of one v2 API URL',
        description:
          'The path after the well-known one is the API’s path (after the issuer’s own path, if it has one); its `resource` is that URL. 404 for a path that is no v2 API.',
      },
    },
    async (request, reply) => {
      const raw = request.url.slice(PROTECTED_RESOURCE_METADATA.length).split('?')[0] as string;
      // As a URL would say it (dot segments resolved): a path that leaves /v2/ that way is no API either.
      const path = raw.length > 2_048 ? '' : new URL(raw, origin).pathname;
      reply.header('cache-control', 'public, max-age=300');
      if (raw === basePath) return resourceMetadata(issuer);
      if (!path.startsWith(`${basePath}/v2/`))
        throw new AppError('not_found', 'no v2 API at this path: no protected resource metadata');
      return resourceMetadata(`${origin}${path}`);
    },
  );

  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['oauth'], summary: 'Public keys that verify access tokens (RFC 7517)' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=300');
      return services.keyring.jwks();
    },
  );
}
