import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import {
  type AccountCredentials,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  ISSUER,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';
import { certificate, clientCert, der, CLIENT_CERT_HEADER as HEADER, viaProxyOf } from '../helpers/mtls.js';

const MTLS = 'https://mtls.orchestrator.example';
const EC = certificate('client-ec');
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('A host of its own for client certificates (MTLS_BASE_URL, RFC 8705 §5 endpoint aliases)', () => {
  let t: TestApp;
  let account: AccountCredentials;
  let signer: Awaited<ReturnType<typeof generateKeyPair>>;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const viaProxy = viaProxyOf(() => t.app);
  const seconds = () => Math.floor(t.clock.now() / 1000);
  const doc = () => `/v2/context/document/${account.accountId}/shop/conv1`;
  const assertion = (aud: string) =>
    new SignJWT({
      iss: account.userId,
      sub: account.userId,
      aud,
      iat: seconds(),
      exp: seconds() + 60,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'laptop' })
      .sign(signer.privateKey);
  const signed = async (path: string, aud: string, extra: Record<string, string> = {}) =>
    t.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        client_assertion_type: ASSERTION_TYPE,
        client_assertion: await assertion(aud),
        ...extra,
      }).toString(),
    });

  before(async () => {
    t = await createTestApp({
      store: 'sqlite',
      clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] },
      mtlsBaseUrl: MTLS,
    });
    admin = await signIn(t);
    account = await createAccount(t);
    await createDocument(t, account);
    signer = await generateKeyPair('ES256');
    for (const jwk of [
      { ...(await exportJWK(signer.publicKey)), kid: 'laptop' },
      { x5c: [der(EC)], kid: 'ec-cert' },
    ]) {
      const added = await call(
        'POST',
        `/api/admin/accounts/${account.accountId}/client-keys`,
        admin.headers,
        {
          jwk,
        },
      );
      assert.equal(added.statusCode, 201, added.body);
    }
  });
  after(async () => t.close());

  test('the metadata names the endpoints at that host for clients that present a certificate; the rest stays at ISSUER', async () => {
    const metadata = (await t.app.inject('/.well-known/oauth-authorization-server')).json();
    assert.deepEqual(metadata.mtls_endpoint_aliases, {
      token_endpoint: `${MTLS}/oauth/token`,
      revocation_endpoint: `${MTLS}/oauth/revoke`,
      introspection_endpoint: `${MTLS}/oauth/introspect`,
    });
    assert.equal(metadata.issuer, ISSUER);
    assert.equal(metadata.token_endpoint, `${ISSUER}/oauth/token`);
    assert.equal(metadata.jwks_uri, `${ISSUER}/.well-known/jwks.json`);
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
    // The API Authorization page says where such clients go.
    const page = await call(
      'GET',
      `/api/admin/accounts/${account.accountId}/api-authorization`,
      admin.headers,
    );
    assert.equal(page.json().mtlsBaseUrl, MTLS);
    assert.equal(page.json().tokenUrl, `${ISSUER}/oauth/token`);

    // A token got there is the same server's: its issuer and audience are ISSUER.
    const issued = await viaProxy('POST', '/oauth/token', {
      certificate: clientCert(EC),
      payload: `grant_type=client_credentials&client_id=${encodeURIComponent(account.userId)}`,
    });
    assert.equal(issued.statusCode, 200, issued.body);
    const claims = decodeJwt(issued.json().access_token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, ISSUER);
  });

  test("a signed assertion may name the endpoint's alias (or ISSUER's names), not another server", async () => {
    const byAlias = await signed('/oauth/token', `${MTLS}/oauth/token`, { grant_type: 'client_credentials' });
    assert.equal(byAlias.statusCode, 200, byAlias.body);
    const accessToken = byAlias.json().access_token as string;
    const introspected = await signed('/oauth/introspect', `${MTLS}/oauth/introspect`, {
      token: accessToken,
    });
    assert.equal(introspected.json().active, true, introspected.body);
    const byIssuer = await signed('/oauth/token', `${ISSUER}/oauth/token`, {
      grant_type: 'client_credentials',
    });
    assert.equal(byIssuer.statusCode, 200, byIssuer.body);
    for (const aud of [MTLS, `${MTLS}/oauth/revoke`, 'https://elsewhere.example/oauth/token']) {
      const refused = await signed('/oauth/token', aud, { grant_type: 'client_credentials' });
      assert.equal(refused.statusCode, 401, aud);
      assert.equal(refused.json().error, 'invalid_client');
      assert.match(refused.json().error_description, /aud/);
    }
  });

  test("a DPoP proof may name the URL called at either address, and no other host's", async () => {
    const key = await dpopKey('ES256');
    const token = async (url: string) =>
      viaProxy('POST', '/oauth/token', {
        certificate: clientCert(EC),
        headers: { dpop: await dpopProof(t, key, { method: 'POST', url }) },
        payload: `grant_type=client_credentials&client_id=${encodeURIComponent(account.userId)}`,
      });
    const issued = await token(`${MTLS}/oauth/token`);
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.json().token_type, 'DPoP');
    const bound = issued.json().access_token as string;
    const refused = await token('https://elsewhere.example/oauth/token');
    assert.equal(refused.statusCode, 400);
    assert.equal(refused.json().error, 'invalid_dpop_proof');

    const read = async (url: string) =>
      viaProxy('GET', doc(), {
        certificate: clientCert(EC),
        headers: {
          authorization: `DPoP ${bound}`,
          dpop: await dpopProof(t, key, { method: 'GET', url, token: bound }),
        },
      });
    for (const url of [`${MTLS}${doc()}`, `${ISSUER}${doc()}`]) {
      const answer = await read(url);
      assert.equal(answer.statusCode, 200, `${url}: ${answer.body}`);
    }
    const elsewhere = await read(`https://elsewhere.example${doc()}`);
    assert.equal(elsewhere.statusCode, 401);
    assert.match(String(elsewhere.headers['www-authenticate']), /^DPoP .*error="invalid_dpop_proof"/);
  });

  test('without MTLS_BASE_URL the metadata names no aliases', async () => {
    const plain = await createTestApp({ clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] } });
    try {
      const metadata = (await plain.app.inject('/.well-known/oauth-authorization-server')).json();
      assert.equal(metadata.mtls_endpoint_aliases, undefined);
      assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
      const who = await createAccount(plain);
      const page = await plain.app.inject({
        url: `/api/admin/accounts/${who.accountId}/api-authorization`,
        headers: (await signIn(plain)).headers,
      });
      assert.equal(page.json().mtlsBaseUrl, null);
    } finally {
      await plain.close();
    }
  });
});
