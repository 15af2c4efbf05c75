import { Type } from 'typebox';
import { DEFAULT_SCOPES } from '../../core/auth/scopes.js';
import { then } from '../../core/maybe-promise.js';
import { authenticateClient, issueToken, NO_STORE, OAUTH_ERROR, tokenBinding } from '../client-auth.js';
import type { App, RouteDeps } from '../types.js';

const LOGIN_RESPONSE = Type.Object({
  token: Type.String({ description: 'The access token (the field compatible clients read)' }),
  access_token: Type.String({ description: 'The same token, under its RFC 6749 name' }),
  token_type: Type.Union([Type.Literal('Bearer'), Type.Literal('DPoP')]),
  expires_in: Type.Integer(),
});

/** The compatible login endpoint: HTTP Basic user ID and password in, an access token out. */
export async function loginRoutes(app: App, { services }: RouteDeps): Promise<void> {
  for (const method of ['GET', 'POST'] as const) {
    app.route({
      method,
      url: '/v2/authenticate/login',
      config: { oauth: true },
      schema: {
        tags: ['oauth'],
        summary: `Log in with the v2 user ID and password (${method})`,
        description:
          'Authorization: Basic base64(userId:password). Grants the default scopes. With a DPoP proof (RFC 9449) in the `DPoP` header, as at /oauth/token, the token is bound to its key.',
        security: [{ clientBasic: [] }],
        response: { 200: LOGIN_RESPONSE, 400: OAUTH_ERROR, 401: OAUTH_ERROR, 429: OAUTH_ERROR },
      },
      // Not async, as /oauth/token: the signature's is the one promise made when the client is in memory.
      handler: (request, reply) =>
        // Only the header counts here; a body, if any, is ignored.
        then(authenticateClient(request, {}, services, false), (authenticated) =>
          then(tokenBinding(request, reply, authenticated, services), (binding) =>
            issueToken(services, authenticated, [...DEFAULT_SCOPES], binding).then((issued) => {
              reply.headers(NO_STORE);
              return {
                token: issued.token,
                access_token: issued.token,
                token_type: binding.jkt === null ? ('Bearer' as const) : ('DPoP' as const),
                expires_in: issued.expiresIn,
              };
            }),
          ),
        ),
    });
  }
}
