import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { withRevocationLists } from '../../src/core/auth/revocation-lists.js';
import { parseTrustedCas } from '../../src/core/auth/trusted-cas.js';
import {
  type AccountCredentials,
  basic,
  caller,
  createAccount,
  createTestApp,
  ISSUER,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { CLIENT_CERT_HEADER, certificate, clientCert, der, viaProxyOf } from '../helpers/mtls.js';

const pki = (name: string) => readFileSync(new URL(`../fixtures/pki/${name}.pem`, import.meta.url), 'utf8');
const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe("when an account's client and each of its keys last authenticated (to the minute)", () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  const call = caller(() => t);
  const viaProxy = viaProxyOf(() => t.app);
  const minute = () => new Date(t.clock.now() - (t.clock.now() % 60_000)).toISOString();
  const credentialsUsed = async () =>
    (await call('GET', `/api/admin/accounts/${account.accountId}/api-authorization`, admin.headers)).json()
      .credentials.lastUsedAt as string | null;
  const keysUsed = async () =>
    Object.fromEntries(
      (await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers))
        .json()
        .map((k: { kid: string; lastUsedAt: string | null }) => [k.kid, k.lastUsedAt]),
    ) as Record<string, string | null>;
  /** Uses are written off the request's path: asks until `read` answers `expected`. */
  const eventually = async <T>(read: () => Promise<T>, expected: T) => {
    for (let i = 0; i < 200; i++) {
      const got = await read();
      if (JSON.stringify(got) === JSON.stringify(expected)) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(await read(), expected);
  };
  const token = (form: string, headers: Record<string, string> = {}, certificate?: string) =>
    viaProxy('POST', '/oauth/token', {
      ...(certificate === undefined ? {} : { certificate }),
      headers,
      payload: `grant_type=client_credentials&${form}`,
    });

  before(async () => {
    t = await createTestApp({
      store: 'sqlite',
      clientCertificates: { header: CLIENT_CERT_HEADER, proxies: ['10.0.0.0/8'] },
      trustedCas: withRevocationLists(parseTrustedCas(pki('issuing')), pki('crl')),
    });
    admin = await signIn(t);
    account = await createAccount(t);
  });
  after(async () => t.close());

  test('the client: by its secret, then a later minute; new credentials start unused', async () => {
    assert.equal(await credentialsUsed(), null, 'not used yet');
    const basicAuth = { authorization: basic(account.userId, account.password) };
    assert.equal((await token('', basicAuth)).statusCode, 200);
    await eventually(credentialsUsed, minute());
    const refused = await token('', { authorization: basic(account.userId, 'wrong') });
    assert.equal(refused.statusCode, 401);
    t.clock.advance(5 * 60_000);
    assert.equal((await token('', basicAuth)).statusCode, 200);
    await eventually(credentialsUsed, minute());

    const regenerated = await call(
      'POST',
      `/api/admin/accounts/${account.accountId}/credentials/regenerate`,
      admin.headers,
      {},
    );
    assert.equal(regenerated.statusCode, 200, regenerated.body);
    account = { ...account, userId: regenerated.json().userId, password: regenerated.json().password };
    assert.equal(await credentialsUsed(), null, 'regenerated: not used yet');
  });

  test('each key: the one an assertion verified with, a registered certificate, a subject; an unused one stays null', async () => {
    const es = await generateKeyPair('ES256');
    const spare = await generateKeyPair('ES256');
    const add = (body: Record<string, unknown>) =>
      call('POST', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers, body);
    // No kid in either JWK: the keys are named by their thumbprints, and the assertion names none.
    const laptop = (await add({ jwk: await exportJWK(es.publicKey) })).json().kid as string;
    const unused = (await add({ jwk: await exportJWK(spare.publicKey) })).json().kid as string;
    assert.equal((await add({ jwk: { x5c: [der(certificate('client-ec'))], kid: 'cert' } })).statusCode, 201);
    const subject = await add({
      tlsClientAuth: { tls_client_auth_san_dns: 'billing.acme.example', kid: 'billing' },
    });
    assert.equal(subject.statusCode, 201, subject.body);
    assert.deepEqual(await keysUsed(), { [laptop]: null, [unused]: null, cert: null, billing: null });

    t.clock.advance(60_000);
    const now = Math.floor(t.clock.now() / 1000);
    const assertion = await new SignJWT({
      iss: account.userId,
      sub: account.userId,
      aud: `${ISSUER}/oauth/token`,
      iat: now,
      exp: now + 60,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(es.privateKey);
    const signed = await token(
      `client_assertion_type=${encodeURIComponent(ASSERTION_TYPE)}&client_assertion=${assertion}`,
    );
    assert.equal(signed.statusCode, 200, signed.body);
    await eventually(keysUsed, { [laptop]: minute(), [unused]: null, cert: null, billing: null });

    t.clock.advance(60_000);
    const byCertificate = await token(
      `client_id=${account.userId}`,
      {},
      clientCert(certificate('client-ec')),
    );
    assert.equal(byCertificate.statusCode, 200, byCertificate.body);
    const bySubject = await token(`client_id=${account.userId}`, {}, clientCert(pki('billing')));
    assert.equal(bySubject.statusCode, 200, bySubject.body);
    await eventually(keysUsed, {
      [laptop]: new Date(t.clock.now() - 60_000 - (t.clock.now() % 60_000)).toISOString(),
      [unused]: null,
      cert: minute(),
      billing: minute(),
    });
    await eventually(credentialsUsed, minute());
    const revoked = await token(`client_id=${account.userId}`, {}, clientCert(pki('revoked')));
    assert.equal(revoked.statusCode, 401, 'a refused certificate is no use');
  });
});
