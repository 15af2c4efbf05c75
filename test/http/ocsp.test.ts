import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { parseTrustedCas } from '../../src/core/auth/trusted-cas.js';
import { FAILURE_KEPT_MS, GOOD_KEPT_MS } from '../../src/services/ocsp.js';
import {
  type AccountCredentials,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { tempFolders } from '../helpers/folders.js';
import { CLIENT_CERT_HEADER as HEADER, viaProxyOf } from '../helpers/mtls.js';
import { makeOcspPki, type OcspPki, startOcspResponder } from '../helpers/ocsp-responder.js';

const folder = tempFolders('ocsp');
/** RFC 9440 Client-Cert, as the TLS proxy forwards it. */
const forwarded = (pem: string) => `:${new X509Certificate(pem).raw.toString('base64')}:`;

describe('CLIENT_OCSP: the OCSP responder a trusted CA’s certificate names is asked (OpenSSL’s responder)', () => {
  let pki: OcspPki;
  let responder: ChildProcess | undefined;
  /** Stops the responder and waits for it to be gone, so that the next one can listen on its port. */
  const stopResponder = async () => {
    const stopping = responder;
    responder = undefined;
    if (!stopping || stopping.exitCode !== null || stopping.signalCode !== null) return;
    const gone = new Promise((resolve) => stopping.once('exit', resolve));
    stopping.kill();
    await gone;
  };
  before(async () => {
    pki = await makeOcspPki(folder());
    responder = await startOcspResponder(pki);
  });
  after(() => stopResponder());

  /** An app trusting the PKI's CA, in `mode`, with an account whose certificate subject the PKI's certificates have. */
  async function appIn(mode: 'prefer' | 'require') {
    const t = await createTestApp({
      store: 'sqlite',
      clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] },
      trustedCas: parseTrustedCas(pki.ca),
      clientOcsp: mode,
      // Tokens outlive the hour a good answer is kept: a revocation learnt then must stop them.
      tokenTtlSeconds: 86_400,
    });
    // The PKI and its responder's answers are of today: the test clock moves to now (from its fixed day, before).
    t.clock.advance(Math.max(0, Date.now() - t.clock.now()));
    const admin = await signIn(t);
    const account = await createAccount(t);
    await createDocument(t, account);
    const added = await caller(() => t)(
      'POST',
      `/api/admin/accounts/${account.accountId}/client-keys`,
      admin.headers,
      {
        tlsClientAuth: { tls_client_auth_san_dns: 'billing.acme.example' },
      },
    );
    assert.equal(added.statusCode, 201, added.body);
    const viaProxy = viaProxyOf(() => t.app);
    const tokenWith = (pem: string, who: AccountCredentials = account) =>
      viaProxy('POST', '/oauth/token', {
        certificate: forwarded(pem),
        payload: `grant_type=client_credentials&client_id=${encodeURIComponent(who.userId)}`,
      });
    // Signed in at each call: the test clock moves past the session's idle time.
    const explain = async (pem: string) => {
      const answer = await caller(() => t)(
        'POST',
        `/api/admin/accounts/${account.accountId}/client-keys/check`,
        (await signIn(t)).headers,
        { certificate: pem },
      );
      assert.equal(answer.statusCode, 200, answer.body);
      return answer.json() as { authenticates: boolean; reason: string | null };
    };
    return { t, admin, account, viaProxy, tokenWith, explain };
  }
  const refusalLogged = (t: TestApp, reason: RegExp) =>
    t.logs.some((line) => line.includes('a client certificate was refused') && reason.test(line));

  test('prefer: a good certificate gets a token, a revoked one is refused with the reason in the log and the check', async () => {
    const { t, tokenWith, explain } = await appIn('prefer');
    try {
      assert.equal((await tokenWith(pki.good)).statusCode, 200);
      const refused = await tokenWith(pki.revoked);
      assert.equal(refused.statusCode, 401, refused.body);
      assert.equal(refused.json().error, 'invalid_client');
      assert.ok(refusalLogged(t, /its CA's OCSP responder says it was revoked on 20\d\d-/), t.logs.join(''));
      const checked = await explain(pki.revoked);
      assert.equal(checked.authenticates, false);
      assert.match(checked.reason ?? '', /OCSP responder says it was revoked/);
      // A certificate that names no responder: checked by its CA (and CRL) alone.
      assert.equal((await tokenWith(pki.silent)).statusCode, 200);
      // The answers are kept: asked once per certificate, not per request.
      assert.equal((await tokenWith(pki.good)).statusCode, 200);
      assert.deepEqual(
        { ...t.services.clients.keys.ocsp?.counts },
        { good: 1, revoked: 1, unknown: 0, failed: 0, 'no responder': 1 },
      );
      const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(metrics, /^orchestrator_ocsp_answers_total\{outcome="revoked"\} 1$/m);
    } finally {
      await t.close();
    }
  });

  test('revoked after its token was issued: the next question refuses it, and its bound token stops working', async () => {
    const { t, tokenWith, viaProxy, account } = await appIn('prefer');
    try {
      const issued = await tokenWith(pki.good);
      assert.equal(issued.statusCode, 200, issued.body);
      const bearer = { authorization: `Bearer ${issued.json().access_token}` };
      const read = () =>
        viaProxy('GET', `/v2/context/document/${account.accountId}/shop/conv1`, {
          certificate: forwarded(pki.good),
          headers: bearer,
        });
      assert.equal((await read()).statusCode, 200);
      // The CA revokes it; its responder says so from now on.
      await stopResponder();
      execFileSync(
        'openssl',
        ['ca', '-config', 'ca.cnf', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-revoke', 'good.pem'],
        {
          cwd: pki.dir,
          stdio: 'pipe',
        },
      );
      responder = await startOcspResponder(pki);
      // Until its kept answer is due, nothing changes; then the responder is asked again.
      assert.equal((await tokenWith(pki.good)).statusCode, 200);
      t.clock.advance(GOOD_KEPT_MS + 1_000);
      assert.equal((await tokenWith(pki.good)).statusCode, 401);
      // The token issued before, bound to the certificate, is refused too once this node knows of the revocation.
      const stillBound = await read();
      assert.equal(stillBound.statusCode, 401, stillBound.body);
    } finally {
      await t.close();
      // The next tests want `good` good again: a PKI of their own.
      await stopResponder();
      pki = await makeOcspPki(folder());
      responder = await startOcspResponder(pki);
    }
  });

  test('no answer: prefer takes the certificate and says so in the log; require refuses it, and one naming no responder', async () => {
    const preferring = await appIn('prefer');
    const requiring = await appIn('require');
    try {
      // Both ask while the responder answers: taken.
      assert.equal((await requiring.tokenWith(pki.good)).statusCode, 200);
      assert.equal((await requiring.tokenWith(pki.silent)).statusCode, 401);
      assert.ok(refusalLogged(requiring.t, /it names no OCSP responder \(CLIENT_OCSP=require\)/));
      await stopResponder();
      for (const { t } of [preferring, requiring]) t.clock.advance(GOOD_KEPT_MS + 1_000);
      assert.equal((await preferring.tokenWith(pki.good)).statusCode, 200);
      assert.ok(
        preferring.t.logs.some((l) =>
          /a client certificate was taken without OCSP \(CLIENT_OCSP=prefer\): its CA's OCSP responder gave no usable answer/.test(
            l,
          ),
        ),
        preferring.t.logs.join(''),
      );
      assert.equal((await requiring.tokenWith(pki.good)).statusCode, 401);
      assert.match(
        (await requiring.explain(pki.good)).reason ?? '',
        /its CA's OCSP responder gave no usable answer/,
      );
      // Back: asked again once the failure's short keeping is over.
      responder = await startOcspResponder(pki);
      requiring.t.clock.advance(FAILURE_KEPT_MS + 1_000);
      assert.equal((await requiring.tokenWith(pki.good)).statusCode, 200);
    } finally {
      await preferring.t.close();
      await requiring.t.close();
    }
  });

  test('a revocation learnt is kept: a later failure to ask does not let the certificate back in', async () => {
    const { t, tokenWith } = await appIn('prefer');
    try {
      assert.equal((await tokenWith(pki.revoked)).statusCode, 401);
      await stopResponder();
      t.clock.advance(2 * 86_400_000);
      assert.equal((await tokenWith(pki.revoked)).statusCode, 401, 'still refused with the responder down');
      assert.equal(
        (await tokenWith(pki.good)).statusCode,
        200,
        'prefer: the good one taken without an answer',
      );
    } finally {
      await t.close();
      responder = await startOcspResponder(pki);
    }
  });

  test('an answer larger than 64 KB is not read to its end (a responder that does not say its length)', async () => {
    await stopResponder();
    const { createServer } = await import('node:http');
    const flood = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/ocsp-response' });
      const chunk = Buffer.alloc(16 * 1024, 0x30);
      let sent = 0;
      const more = () => {
        while (sent < 4096) {
          sent++;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
        response.end();
      };
      more();
    });
    await new Promise<void>((resolve) => flood.listen(pki.port, '127.0.0.1', resolve));
    const { t, tokenWith, explain } = await appIn('require');
    try {
      assert.equal((await tokenWith(pki.good)).statusCode, 401);
      assert.match((await explain(pki.good)).reason ?? '', /gave no usable answer: the answer is too large/);
    } finally {
      await t.close();
      flood.closeAllConnections();
      await new Promise((resolve) => flood.close(resolve));
      responder = await startOcspResponder(pki);
    }
  });

  test('answers signed by a responder certificate the CA did not issue are not believed', async () => {
    await stopResponder();
    responder = await startOcspResponder(pki, { signer: 'rogue' });
    const { t, tokenWith, explain } = await appIn('require');
    try {
      assert.equal((await tokenWith(pki.good)).statusCode, 401);
      assert.match(
        (await explain(pki.good)).reason ?? '',
        /gave no usable answer: the answer's signature is neither the CA's nor that of a current OCSP responder certificate the CA issued/,
      );
    } finally {
      await t.close();
      await stopResponder();
      responder = await startOcspResponder(pki);
    }
  });

  test('a responder certificate the CA issued for OCSP signing may sign the answers', async () => {
    await stopResponder();
    responder = await startOcspResponder(pki, { signer: 'responder' });
    const { t, tokenWith } = await appIn('require');
    try {
      assert.equal((await tokenWith(pki.good)).statusCode, 200);
      assert.equal((await tokenWith(pki.revoked)).statusCode, 401);
      assert.ok(refusalLogged(t, /revoked on/));
    } finally {
      await t.close();
    }
  });
});
