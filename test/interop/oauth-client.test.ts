import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createRemoteJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import { startTestServer } from '../helpers/server.js';

/**
 * An independently written OAuth 2.0 client library discovers the server from its RFC 8414 metadata,
 * gets tokens with each client authentication method (a secret in the header or the body, a JWT signed with the
 * account's own key: RFC 7523), introspects and revokes them; jose validates the token against the published JWKS as
 * an RFC 9068 access token.
 */
describe('interoperability with oauth4webapi and jose', () => {
  let node: Awaited<ReturnType<typeof startTestServer>>;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let secret: string;
  /** The private half of the key registered for the account's signed assertions. */
  let signingKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const insecure = { [oauth.allowInsecureRequests]: true };

  before(async () => {
    // RFC 7523bis's audience rule held to: the library's assertions name the issuer alone, as that rule asks.
    node = await startTestServer({ CLIENT_ASSERTION_AUDIENCE: 'issuer' });
    const { services } = node.server.runtime;
    await services.accounts.create('le12345678');
    const credentials = await services.clients.reveal('le12345678');
    assert.ok(credentials);
    client = { client_id: credentials.userId };
    secret = credentials.password;
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    await services.clients.keys.add('le12345678', { ...(await exportJWK(pair.publicKey)), kid: 'interop' });
    const issuer = new URL(node.url);
    as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
  });
  after(async () => node.stop());

  for (const [name, auth] of [
    ['client_secret_basic', () => oauth.ClientSecretBasic(secret)],
    ['client_secret_post', () => oauth.ClientSecretPost(secret)],
    ['private_key_jwt', () => oauth.PrivateKeyJwt({ key: signingKey, kid: 'interop' })],
  ] as const) {
    test(`client credentials grant with ${name}, introspection, revocation`, async () => {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        auth(),
        new URLSearchParams({ scope: 'context:read next-actions' }),
        insecure,
      );
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'context:read next-actions');

      const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string));
      const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
        issuer: as.issuer,
        audience: as.issuer,
        typ: 'at+jwt',
        requiredClaims: ['iss', 'exp', 'aud', 'sub', 'client_id', 'iat', 'jti'],
      });
      assert.equal(protectedHeader.alg, 'EdDSA');
      assert.equal(payload.sub, 'le12345678');
      assert.equal(payload.client_id, client.client_id);

      // The library's own RFC 9068 validation, as a resource server would run it.
      const request = new Request(`${node.url}/anything`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
      });
      const claims = await oauth.validateJwtAccessToken(as, request, as.issuer, insecure);
      assert.equal(claims.sub, 'le12345678');

      const introspected = await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, auth(), tokens.access_token, insecure),
      );
      assert.equal(introspected.active, true);
      assert.equal(introspected.sub, 'le12345678');

      await oauth.processRevocationResponse(
        await oauth.revocationRequest(as, client, auth(), tokens.access_token, insecure),
      );
      const after = await oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, auth(), tokens.access_token, insecure),
      );
      assert.equal(after.active, false);
    });
  }

  test('a DPoP-bound token (RFC 9449): the library proves its key at the token endpoint and at a v2 API', async () => {
    const keyPair = await generateKeyPair('ES256');
    const DPoP = oauth.DPoP(client, keyPair);
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic(secret),
      new URLSearchParams({ scope: 'context:write context:read' }),
      { DPoP, ...insecure },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(tokens.token_type, 'dpop');
    const url = new URL(`${node.url}/v2/context/document/create`);
    const created = await oauth.protectedResourceRequest(
      tokens.access_token,
      'POST',
      url,
      new Headers({ 'content-type': 'application/json' }),
      JSON.stringify({ accountId: 'le12345678', nameSpace: 'interop', payload: { bound: true } }),
      { DPoP, ...insecure },
    );
    assert.equal(created.status, 201, await created.clone().text());
    const read = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${node.url}/v2/context/document/le12345678/interop`),
      new Headers(),
      null,
      { DPoP, ...insecure },
    );
    assert.equal(read.status, 200);
    assert.deepEqual(((await read.json()) as { payload: unknown }).payload, { bound: true });
    // The same token without the key: what a thief holds.
    const stolen = await fetch(`${node.url}/v2/context/document/le12345678/interop`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    assert.equal(stolen.status, 401);
  });

  test('knowing only an API URL, the library finds its way (RFC 9728): the 401 names the resource metadata, which names this server', async () => {
    const api = new URL(`${node.url}/v2/context/document/le12345678/interop`);
    const refused = await fetch(api);
    assert.equal(refused.status, 401);
    // Both schemes are offered, each naming the metadata (the library reads challenges only from its own calls).
    const challenge = refused.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer realm="[^"]+", resource_metadata="[^"]+", DPoP /);
    const pointer = /resource_metadata="([^"]+)"/.exec(challenge)?.[1];
    // RFC 9728 §3.1 and §3.3: the document of the URL called, whose resource is that URL, checked by the library.
    assert.equal(pointer, `${node.url}/.well-known/oauth-protected-resource${api.pathname}`);
    const metadata = await oauth.processResourceDiscoveryResponse(
      api,
      await oauth.resourceDiscoveryRequest(api, insecure),
    );
    assert.equal(metadata.resource, api.href);
    // The APIs as one resource, the issuer, from the root document.
    const root = new URL(node.url);
    await oauth.processResourceDiscoveryResponse(root, await oauth.resourceDiscoveryRequest(root, insecure));
    assert.equal(metadata.resource_documentation, `${node.url}/docs`);
    assert.deepEqual(metadata.dpop_signing_alg_values_supported, [
      'ES256',
      'EdDSA',
      'Ed25519',
      'RS256',
      'PS256',
    ]);
    const server = new URL(metadata.authorization_servers?.[0] as string);
    const found = await oauth.processDiscoveryResponse(
      server,
      await oauth.discoveryRequest(server, { algorithm: 'oauth2', ...insecure }),
    );
    const tokens = await oauth.processClientCredentialsResponse(
      found,
      client,
      await oauth.clientCredentialsGrantRequest(
        found,
        client,
        oauth.ClientSecretBasic(secret),
        new URLSearchParams({ scope: 'context:read' }),
        insecure,
      ),
    );
    const answered = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      api,
      new Headers(),
      null,
      insecure,
    );
    assert.ok([200, 404].includes(answered.status), `answered ${answered.status}`);
  });

  test('Ed25519 keys as the library writes them (alg Ed25519, RFC 9864): a signed assertion, and a DPoP-bound token', async () => {
    const assertionKey = await generateKeyPair('Ed25519');
    await node.server.runtime.services.clients.keys.add('le12345678', {
      ...(await exportJWK(assertionKey.publicKey)),
      kid: 'interop-ed',
    });
    const DPoP = oauth.DPoP(client, await generateKeyPair('Ed25519'));
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.PrivateKeyJwt({ key: assertionKey.privateKey, kid: 'interop-ed' }),
      new URLSearchParams({ scope: 'context:read' }),
      { DPoP, ...insecure },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, client, response);
    assert.equal(tokens.token_type, 'dpop');
    const read = await oauth.protectedResourceRequest(
      tokens.access_token,
      'GET',
      new URL(`${node.url}/v2/context/document/le12345678/none`),
      new Headers(),
      null,
      { DPoP, ...insecure },
    );
    assert.equal(read.status, 404, await read.clone().text());
  });

  test('a wrong secret is reported as invalid_client by the library', async () => {
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      client,
      oauth.ClientSecretBasic('wrong'),
      new URLSearchParams(),
      insecure,
    );
    await assert.rejects(oauth.processClientCredentialsResponse(as, client, response), (error: unknown) => {
      // A 401 with a WWW-Authenticate challenge surfaces as the challenge; the body still says invalid_client.
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError, String(error));
      assert.equal(error.status, 401);
      assert.equal(error.cause[0]?.scheme, 'basic');
      return true;
    });
  });
});

describe('interoperability: DPoP with server nonces (DPOP_NONCE=true)', () => {
  test("oauth4webapi takes the server's nonce from use_dpop_nonce and retries, at the token endpoint and at an API", async () => {
    const node = await startTestServer({ DPOP_NONCE: 'true' });
    try {
      const { services } = node.server.runtime;
      await services.accounts.create('le87654321');
      const credentials = await services.clients.reveal('le87654321');
      assert.ok(credentials);
      const client: oauth.Client = { client_id: credentials.userId };
      const insecure = { [oauth.allowInsecureRequests]: true };
      const issuer = new URL(node.url);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
      );
      const DPoP = oauth.DPoP(client, await generateKeyPair('ES256'));
      /** What the library's documentation says a caller does: one retry once the nonce is known. */
      const once = async <T>(attempt: () => Promise<T>): Promise<T> => {
        try {
          return await attempt();
        } catch (error) {
          if (!oauth.isDPoPNonceError(error)) throw error;
          return attempt();
        }
      };
      const tokens = await once(async () =>
        oauth.processClientCredentialsResponse(
          as,
          client,
          await oauth.clientCredentialsGrantRequest(
            as,
            client,
            oauth.ClientSecretBasic(credentials.password),
            new URLSearchParams({ scope: 'context:read' }),
            { DPoP, ...insecure },
          ),
        ),
      );
      assert.equal(tokens.token_type, 'dpop');
      const read = await once(async () => {
        const response = await oauth.protectedResourceRequest(
          tokens.access_token,
          'GET',
          new URL(`${node.url}/v2/context/document/le87654321/none`),
          new Headers(),
          null,
          { DPoP, ...insecure },
        );
        return response;
      });
      assert.equal(read.status, 404, await read.clone().text());
    } finally {
      await node.stop();
    }
  });
});
