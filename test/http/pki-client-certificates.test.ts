import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import { withRevocationLists } from '../../src/core/auth/revocation-lists.js';
import { parseTrustedCas } from '../../src/core/auth/trusted-cas.js';
import {
  type AccountCredentials,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { CLIENT_CERT_HEADER as HEADER, thumbprint, viaProxyOf } from '../helpers/mtls.js';
import { startTestServer } from '../helpers/server.js';

const pem = (name: string) => readFileSync(new URL(`../fixtures/pki/${name}.pem`, import.meta.url), 'utf8');
/** RFC 9440 Client-Cert, as the TLS proxy forwards it. */
const forwarded = (name: string) => `:${new X509Certificate(pem(name)).raw.toString('base64')}:`;
/** The CA the server trusts, with its CRL (which revokes `revoked`). */
const CA = withRevocationLists(parseTrustedCas(pem('issuing')), pem('crl'));

describe('PKI client certificates (RFC 8705 §2.1 tls_client_auth): a trusted CA issues them, the account names their subject', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  const call = caller(() => t);

  /** A request through the TLS proxy (from its address), which forwards `certificate` (none: no header). */
  const viaProxy = viaProxyOf(() => t.app);
  const tokenWith = (certificate: string | undefined, who = account, extra = '') =>
    viaProxy('POST', '/oauth/token', {
      ...(certificate === undefined ? {} : { certificate }),
      payload: `grant_type=client_credentials&client_id=${encodeURIComponent(who.userId)}${extra}`,
    });
  const doc = (who = account) => `/v2/context/document/${who.accountId}/shop/conv1`;
  const addSubject = (tlsClientAuth: Record<string, unknown>, who = account) =>
    call('POST', `/api/admin/accounts/${who.accountId}/client-keys`, admin.headers, { tlsClientAuth });
  const removeKey = (kid: string, who = account) =>
    call(
      'DELETE',
      `/api/admin/accounts/${who.accountId}/client-keys/${encodeURIComponent(kid)}`,
      admin.headers,
    );
  /** Whether the account's audit log holds an event that `wanted` picks. */
  const audited = async (
    who: AccountCredentials,
    wanted: (event: { action: string; detail: Record<string, string> }) => boolean,
  ) => (await call('GET', `/api/admin/audit?accountId=${who.accountId}`, admin.headers)).json().some(wanted);
  const refusedWith = (response: Awaited<ReturnType<typeof tokenWith>>, message: RegExp, status = 401) => {
    assert.equal(response.statusCode, status, response.body);
    assert.match(response.json().error_description, message);
  };

  before(async () => {
    t = await createTestApp({
      store: 'sqlite',
      clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] },
      trustedCas: CA,
    });
    admin = await signIn(t);
    account = await createAccount(t);
    await createDocument(t, account);
  });
  after(async () => t.close());

  test("a subject is added as one of the account's keys, shown and audited; the metadata offers tls_client_auth", async () => {
    const metadata = (await call('GET', '/.well-known/oauth-authorization-server', {})).json();
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('tls_client_auth'));
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));

    const added = await addSubject({ tls_client_auth_san_dns: 'billing.acme.example' });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().alg, 'tls_client_auth');
    assert.equal(added.json().type, 'certificate subject');
    assert.deepEqual(added.json().tlsClientAuth, {
      member: 'tls_client_auth_san_dns',
      value: 'billing.acme.example',
    });
    assert.equal(added.json().jwk, undefined);
    const listed = await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers);
    assert.deepEqual(
      listed.json().map((k: { kid: string }) => k.kid),
      [added.json().kid],
    );
    const again = await addSubject({ tls_client_auth_san_dns: 'billing.acme.example' });
    assert.equal(again.statusCode, 409, 'the same subject twice');
    assert.match(again.json().detail, /has this certificate subject already/);
    assert.ok(
      await audited(
        account,
        (e) => e.action === 'client-key.added' && e.detail.tls_client_auth_san_dns === 'billing.acme.example',
      ),
    );
  });

  test('what is not a subject is refused with why (400), and nothing is kept', async () => {
    const other = await createAccount(t);
    for (const [body, said] of [
      [{ tls_client_auth_san_ip: '10.1.2' }, /IPv4 or IPv6/],
      [{ tls_client_auth_subject_dn: 'CN=a,XX=b' }, /unknown attribute type/],
      [{ tls_client_auth_san_dns: 'a.example', tls_client_auth_san_uri: 'https://a.example' }, /one member/],
      [{ kid: 'only-a-kid' }, /one member/],
      [{ tls_client_auth_san_dns: 'a.example', kid: 'has space' }, /kid must be/],
      [{ tls_client_auth_subject: 'x' }, /must NOT have additional properties|tls_client_auth_subject/],
    ] as const) {
      const refused = await addSubject(body, other);
      assert.equal(refused.statusCode, 400, JSON.stringify(body));
      assert.match(refused.json().detail, said, JSON.stringify(body));
    }
    const both = await call('POST', `/api/admin/accounts/${other.accountId}/client-keys`, admin.headers, {
      jwk: { kty: 'OKP' },
      tlsClientAuth: { tls_client_auth_san_dns: 'a.example' },
    });
    assert.equal(both.statusCode, 400);
    assert.match(both.json().detail, /one of jwk .* and tlsClientAuth/);
    const none = await call('GET', `/api/admin/accounts/${other.accountId}/client-keys`, admin.headers);
    assert.deepEqual(none.json(), []);
  });

  test('client_id with a certificate the CA issued to the subject gets a token bound to it, used with it alone', async () => {
    const issued = await tokenWith(forwarded('billing'));
    assert.equal(issued.statusCode, 200, issued.body);
    const token = issued.json().access_token as string;
    const claims = decodeJwt(token);
    assert.deepEqual(claims.cnf, { 'x5t#S256': thumbprint(pem('billing')) });
    const [subject] = (
      await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers)
    ).json();
    assert.deepEqual(claims.tls_client_auth, {
      kid: subject.kid,
      ca: CA[0]?.thumbprint,
      serial: new X509Certificate(pem('billing')).serialNumber.replace(/^0+/, ''),
    });
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal(
      (await viaProxy('GET', doc(), { certificate: forwarded('billing'), headers: bearer })).statusCode,
      200,
    );
    const elsewhere = await viaProxy('GET', doc(), { certificate: forwarded('router'), headers: bearer });
    assert.equal(elsewhere.statusCode, 401);
    assert.match(elsewhere.json().detail, /bound to (a|another) client certificate/);
    const introspected = await viaProxy('POST', '/oauth/introspect', {
      certificate: forwarded('billing'),
      payload: `client_id=${account.userId}&token=${token}`,
    });
    assert.equal(introspected.json().active, true, introspected.body);
    const metrics = await call('GET', '/metrics', {});
    assert.match(metrics.body, /method="tls_client_auth",binding="certificate"/);
  });

  test('refused: the same names from another CA, a server certificate, an expired one, another subject, no subject', async () => {
    refusedWith(await tokenWith(forwarded('impostor')), /not one of this client's/);
    refusedWith(await tokenWith(forwarded('server-only')), /not one of this client's/);
    refusedWith(await tokenWith(forwarded('router')), /not one of this client's/);
    // Its CA issued it to the subject: said why, to the certificate's holder.
    refusedWith(await tokenWith(forwarded('expired')), /the certificate expired at 2021-01-01/);
    assert.ok(t.logs.some((line) => line.includes('a client certificate of a subject was presented')));
    // Why each was refused is the operator's to read, not the client's.
    for (const why of [
      'a client certificate was refused: the certificate was not issued by a CA of CLIENT_CA_FILE',
      'a client certificate was refused: the certificate is not for client authentication',
      "a client certificate was refused: it has none of the account's certificate subjects",
    ])
      assert.ok(
        t.logs.some((line) => line.includes(why)),
        why,
      );
    const other = await createAccount(t);
    refusedWith(await tokenWith(forwarded('billing'), other), /not one of this client's/);
  });

  test('an operator asks what a certificate would do for the account, and why (viewers too); nothing changes', async () => {
    const check = (certificate: string, who = account) =>
      call('POST', `/api/admin/accounts/${who.accountId}/client-keys/check`, admin.headers, { certificate });
    const [subject] = (
      await call('GET', `/api/admin/accounts/${account.accountId}/client-keys`, admin.headers)
    ).json();
    const good = await check(pem('billing'));
    assert.equal(good.statusCode, 200, good.body);
    assert.deepEqual(
      { ...(good.json() as object), subjectAltName: undefined },
      {
        thumbprint: thumbprint(pem('billing')),
        subject: 'C=US, O=Acme, OU=Contact Centre, CN=billing-bot',
        subjectAltName: undefined,
        notBefore: '2025-01-01T00:00:00.000Z',
        notAfter: '2045-12-31T23:59:59.000Z',
        authenticates: true,
        method: 'tls_client_auth',
        kid: subject.kid,
        ca: 'C=US, O=Acme, CN=Acme Client CA',
        reason: null,
      },
    );
    assert.match(good.json().subjectAltName, /DNS:billing\.acme\.example/);
    for (const [name, reason] of [
      ['revoked', /its CA revoked it \(2025-03-01T00:00:00\.000Z, in the CRL of CLIENT_CRL_FILE\)/],
      ['impostor', /not issued by a CA of CLIENT_CA_FILE/],
      ['server-only', /not for client authentication/],
      ['router', /none of the account's certificate subjects/],
      ['expired', /expired at 2021-01-01/],
    ] as const) {
      const answer = (await check(pem(name))).json();
      assert.equal(answer.authenticates, false, name);
      assert.match(answer.reason, reason, name);
    }
    const other = await createAccount(t);
    assert.match((await check(pem('billing'), other)).json().reason, /names no certificate subject/);
    const notOne = await check('hello');
    assert.equal(notOne.statusCode, 400);
    assert.match(notOne.json().detail, /not a PEM or base64 DER X\.509 certificate/);
  });

  test('operators (viewers too) see the trusted CAs and their CRLs as the node read them', async () => {
    const listed = await call('GET', '/api/admin/client-cas', admin.headers);
    assert.equal(listed.statusCode, 200, listed.body);
    assert.deepEqual(listed.json(), {
      crlFile: true,
      cas: [
        {
          subject: 'C=US, O=Acme, CN=Acme Client CA',
          thumbprint: CA[0]?.thumbprint,
          notBefore: '2025-01-01T00:00:00.000Z',
          notAfter: '2045-12-31T23:59:59.000Z',
          current: true,
          crl: {
            thisUpdate: '2025-06-01T00:00:00.000Z',
            nextUpdate: '2045-12-31T23:59:59.000Z',
            revoked: 1,
            current: true,
          },
        },
      ],
    });
    assert.equal((await call('GET', '/api/admin/client-cas', {})).statusCode, 401);
  });

  test('a distinguished name, with its escapes and multi-valued names, matches as RFC 4514 says', async () => {
    const other = await createAccount(t);
    const added = await addSubject(
      { tls_client_auth_subject_dn: 'cn=Router+ou=bots, o=Acme\\, Inc., c=US' },
      other,
    );
    assert.equal(added.statusCode, 201, added.body);
    assert.equal((await tokenWith(forwarded('router'), other)).statusCode, 200);
    refusedWith(await tokenWith(forwarded('billing'), other), /not one of this client's/);
  });

  test('with its secret over mutual TLS, a client gets a token bound to its subject certificate too', async () => {
    const withSecret = `&client_secret=${encodeURIComponent(account.password)}`;
    const bound = await tokenWith(forwarded('billing'), account, withSecret);
    assert.equal(bound.statusCode, 200, bound.body);
    assert.deepEqual(decodeJwt(bound.json().access_token).cnf, { 'x5t#S256': thumbprint(pem('billing')) });
    assert.ok(decodeJwt(bound.json().access_token).tls_client_auth);
    const unbound = await tokenWith(forwarded('impostor'), account, withSecret);
    assert.equal(decodeJwt(unbound.json().access_token).cnf, undefined);
  });

  test('a subject meets "certificate required"; removing it ends the tokens its certificates got, at once', async () => {
    const other = await createAccount(t);
    await createDocument(t, other);
    const required = () =>
      call('PUT', `/api/admin/accounts/${other.accountId}/certificate-required`, admin.headers, {});
    assert.equal((await required()).statusCode, 409, 'no certificate and no subject yet');
    const subject = (
      await addSubject({ tls_client_auth_san_uri: 'spiffe://acme.example/billing' }, other)
    ).json();
    assert.equal((await required()).statusCode, 200);
    const token = (await tokenWith(forwarded('billing'), other)).json().access_token as string;
    const bearer = { authorization: `Bearer ${token}` };
    assert.equal(
      (await viaProxy('GET', doc(other), { certificate: forwarded('billing'), headers: bearer })).statusCode,
      200,
    );
    const kept = await removeKey(subject.kid, other);
    assert.equal(
      kept.statusCode,
      409,
      'the last way to a bound token is kept while certificates are required',
    );
    await call('DELETE', `/api/admin/accounts/${other.accountId}/certificate-required`, admin.headers);
    assert.equal((await removeKey(subject.kid, other)).statusCode, 204);
    assert.ok(
      await audited(
        other,
        (e) =>
          e.action === 'client-key.removed' &&
          e.detail.kid === subject.kid &&
          e.detail.tls_client_auth_san_uri === 'spiffe://acme.example/billing',
      ),
      'the removal names the subject',
    );
    const refused = await viaProxy('GET', doc(other), { certificate: forwarded('billing'), headers: bearer });
    assert.equal(refused.statusCode, 401);
    assert.match(String(refused.headers['www-authenticate']), /error_description="certificate removed"/);
    const introspected = await viaProxy('POST', '/oauth/introspect', {
      payload: `client_id=${other.userId}&client_secret=${encodeURIComponent(other.password)}&token=${token}`,
    });
    assert.equal(introspected.json().active, false);
  });
});

/**
 * A real node that takes certificates forwarded from 127.0.0.1 (more settings in `env`), with account le12345678 whose
 * subject is the DNS name of `billing`.
 */
async function nodeWithSubject(env: Record<string, string>) {
  const node = await startTestServer({
    CLIENT_CERT_HEADER: HEADER,
    CLIENT_CERT_PROXIES: '127.0.0.1',
    ...env,
  });
  const { services } = node.server.runtime;
  await services.accounts.create('le12345678');
  const credentials = await services.clients.reveal('le12345678');
  assert.ok(credentials);
  await services.clients.keys.addSubject('le12345678', { tls_client_auth_san_dns: 'billing.acme.example' });
  return { node, credentials };
}

describe('CLIENT_CA_FILE read again (SIGHUP)', () => {
  test("a CA taken out of the file ends its tokens at once; another one's certificates are taken; a bad file keeps the CAs", async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orchestrator-cas-'));
    const file = join(folder, 'client-cas.pem');
    writeFileSync(file, pem('issuing'));
    const { node, credentials } = await nodeWithSubject({ CLIENT_CA_FILE: file });
    try {
      const post = (certificate: string, body: string) =>
        fetch(`${node.url}/oauth/${body.startsWith('token=') ? 'introspect' : 'token'}`, {
          method: 'POST',
          headers: { [HEADER]: forwarded(certificate), 'content-type': 'application/x-www-form-urlencoded' },
          body: body.startsWith('token=')
            ? `${body}&client_id=${credentials.userId}&client_secret=${encodeURIComponent(credentials.password)}`
            : `grant_type=client_credentials&client_id=${credentials.userId}`,
        });
      const issued = await post('billing', 'grant');
      assert.equal(issued.status, 200, await issued.clone().text());
      const token = ((await issued.json()) as { access_token: string }).access_token;
      const active = async () =>
        ((await (await post('billing', `token=${token}`)).json()) as { active: boolean }).active;
      assert.equal(await active(), true);
      assert.equal((await post('impostor', 'grant')).status, 401);

      writeFileSync(file, pem('other-ca'));
      assert.equal(await node.server.reloadClientCas(), true);
      assert.equal(await active(), false, 'issued under a CA no longer trusted');
      assert.equal((await post('billing', 'grant')).status, 401);
      assert.equal(
        (await post('impostor', 'grant')).status,
        200,
        'the same subject, from the CA now trusted',
      );

      writeFileSync(file, pem('billing'));
      assert.equal(await node.server.reloadClientCas(), false);
      assert.ok(node.logs.some((line) => line.includes('the CAs in use are kept')));
      assert.equal((await post('impostor', 'grant')).status, 200, 'the CAs in use kept');
    } finally {
      await node.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/**
 * A real node trusting `issuing` with its CRLs in a file of their own (`crl` at first), and account le12345678's
 * subject; `grant` asks for a token with a certificate, `close` stops it all.
 */
async function nodeWithCrls(env: Record<string, string> = {}) {
  const folder = mkdtempSync(join(tmpdir(), 'orchestrator-crls-'));
  const file = join(folder, 'client-crls.pem');
  writeFileSync(file, pem('crl'));
  const { node, credentials } = await nodeWithSubject({
    CLIENT_CA_FILE: fileURLToPath(new URL('../fixtures/pki/issuing.pem', import.meta.url)),
    CLIENT_CRL_FILE: file,
    ...env,
  });
  const grant = (certificate: string) =>
    fetch(`${node.url}/oauth/token`, {
      method: 'POST',
      headers: { [HEADER]: forwarded(certificate), 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${credentials.userId}`,
    });
  const close = async () => {
    await node.stop();
    rmSync(folder, { recursive: true, force: true });
  };
  return { node, credentials, file, grant, close };
}

describe('CRLs of the client CAs (CLIENT_CRL_FILE), read at start and again (SIGHUP)', () => {
  test('a revoked certificate gets no token; a later CRL that revokes one, or a CRL out of date, ends its tokens at once; a bad file keeps the CRLs', async () => {
    const { node, credentials, file, grant, close } = await nodeWithCrls();
    try {
      const reload = async (crls: string) => {
        writeFileSync(file, crls);
        return node.server.reloadClientCas();
      };
      assert.ok(
        node.logs.some(
          (line) => line.includes("a CA's CRL (CLIENT_CRL_FILE)") && line.includes('"revoked":1'),
        ),
      );

      const revoked = await grant('revoked');
      assert.equal(revoked.status, 401, 'the same subject, revoked by its CA');
      assert.ok(
        node.logs.some((line) =>
          line.includes('a client certificate was refused: its CA revoked it (2025-03-01'),
        ),
      );
      const issued = await grant('billing');
      assert.equal(issued.status, 200, await issued.clone().text());
      const token = ((await issued.json()) as { access_token: string }).access_token;
      const active = async () =>
        (
          (await (
            await fetch(`${node.url}/oauth/introspect`, {
              method: 'POST',
              headers: { 'content-type': 'application/x-www-form-urlencoded' },
              body: `token=${token}&client_id=${credentials.userId}&client_secret=${encodeURIComponent(credentials.password)}`,
            })
          ).json()) as { active: boolean }
        ).active;
      assert.equal(await active(), true);

      assert.equal(await reload(pem('crl-stale')), true);
      assert.ok(node.logs.some((line) => line.includes("a CA's CRL in CLIENT_CRL_FILE is out of date")));
      assert.equal(await active(), false, 'a CRL out of date vouches for nothing');
      assert.equal((await grant('billing')).status, 401);
      assert.equal(await reload(pem('crl')), true);
      assert.equal(await active(), true, 'a CRL in date again');

      const metrics = await (await fetch(`${node.url}/metrics`)).text();
      assert.match(
        metrics,
        /^orchestrator_client_crl_next_update_timestamp_seconds\{ca="C=US, O=Acme, CN=Acme Client CA"\} 2398377599$/m,
      );
      assert.match(
        metrics,
        /^orchestrator_client_ca_not_after_timestamp_seconds\{ca="C=US, O=Acme, CN=Acme Client CA"\} 2398377599$/m,
      );

      assert.equal(await reload(pem('crl') + pem('crl-later')), true);
      assert.equal(await active(), false, 'revoked since it was issued');
      assert.equal((await grant('billing')).status, 401);

      assert.equal(await reload(pem('crl-forged')), false);
      assert.ok(
        node.logs.some(
          (line) =>
            line.includes("is not signed by that CA's key") &&
            line.includes('the CAs and CRLs in use are kept'),
        ),
      );
      assert.equal((await grant('billing')).status, 401, 'the CRLs in use kept');
    } finally {
      await close();
    }
  });

  test('FILE_RELOAD_SECONDS: a CRL file replaced in place is read again without a signal', async () => {
    const { node, file, grant: grantWith, close } = await nodeWithCrls({ FILE_RELOAD_SECONDS: '1' });
    const grant = () => grantWith('billing');
    try {
      assert.equal((await grant()).status, 200);
      // Written elsewhere and renamed into place, as a fetch script should.
      writeFileSync(`${file}.new`, pem('crl') + pem('crl-later'));
      renameSync(`${file}.new`, file);
      let status = 200;
      for (let i = 0; i < 100 && status === 200; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await grant()).status;
      }
      assert.equal(status, 401, 'the later CRL revokes billing');
      assert.ok(node.logs.some((line) => line.includes('CLIENT_CA_FILE and CLIENT_CRL_FILE read again')));
    } finally {
      await close();
    }
  });

  test('a CRL file that cannot be relied on stops the start, and says why', async () => {
    await assert.rejects(
      startTestServer({
        CLIENT_CERT_HEADER: HEADER,
        CLIENT_CERT_PROXIES: '127.0.0.1',
        CLIENT_CA_FILE: fileURLToPath(new URL('../fixtures/pki/issuing.pem', import.meta.url)),
        CLIENT_CRL_FILE: fileURLToPath(new URL('../fixtures/pki/crl-other-ca.pem', import.meta.url)),
      }),
      /CLIENT_CRL_FILE \(.*crl-other-ca\.pem\): its CRL 1 was not issued by a CA of CLIENT_CA_FILE/,
    );
  });
});

describe('without CLIENT_CA_FILE', () => {
  test('a subject cannot be added (400, said), and the metadata offers no tls_client_auth', async () => {
    const t = await createTestApp({
      store: 'memory',
      clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] },
    });
    try {
      const admin = await signIn(t);
      const account = await createAccount(t);
      const refused = await caller(() => t)(
        'POST',
        `/api/admin/accounts/${account.accountId}/client-keys`,
        admin.headers,
        { tlsClientAuth: { tls_client_auth_san_dns: 'billing.acme.example' } },
      );
      assert.equal(refused.statusCode, 400);
      assert.match(refused.json().detail, /set CLIENT_CA_FILE/);
      const metadata = (await caller(() => t)('GET', '/.well-known/oauth-authorization-server', {})).json();
      assert.ok(!metadata.token_endpoint_auth_methods_supported.includes('tls_client_auth'));
    } finally {
      await t.close();
    }
  });
});
