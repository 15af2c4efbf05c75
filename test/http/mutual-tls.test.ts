import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { decodeJwt } from 'jose';
import {
  type AccountCredentials,
  caller,
  createAccount,
  createDocument,
  createTestApp,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';
import {
  certificate,
  clientCert,
  der,
  CLIENT_CERT_HEADER as HEADER,
  thumbprint,
  viaProxyOf,
} from '../helpers/mtls.js';
import { startTestServer } from '../helpers/server.js';

const EC = certificate('client-ec');
const ED25519 = certificate('client-ed25519');
const OTHER = certificate('other-ec');
const PROXY = '10.1.2.3';
const FORM = 'application/x-www-form-urlencoded';

describe('Mutual TLS (RFC 8705): clients authenticate with a certificate, and their tokens are bound to it', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  let account: AccountCredentials;
  const call = caller(() => t);

  /** A request through the TLS proxy (from its address), which forwards `certificate` (none: no header). */
  const viaProxy = viaProxyOf(() => t.app);
  const tokenWith = (certificate: string | undefined, who = account, extra = '', headers = {}) =>
    viaProxy('POST', '/oauth/token', {
      ...(certificate === undefined ? {} : { certificate }),
      headers,
      payload: `grant_type=client_credentials&client_id=${encodeURIComponent(who.userId)}${extra}`,
    });
  const doc = (who = account) => `/v2/context/document/${who.accountId}/shop/conv1`;
  /** Runs `fn` on 1 January 2046, after the fixtures' certificates expired. */
  const in2046 = async <T>(fn: () => Promise<T>): Promise<T> => {
    const saved = t.clock.current;
    t.clock.current = Date.UTC(2046, 0, 1);
    try {
      return await fn();
    } finally {
      t.clock.current = saved;
    }
  };
  const addKey = (jwk: Record<string, unknown>, who = account) =>
    call('POST', `/api/admin/accounts/${who.accountId}/client-keys`, admin.headers, { jwk });

  before(async () => {
    t = await createTestApp({
      store: 'sqlite',
      clientCertificates: { header: HEADER, proxies: ['10.0.0.0/8'] },
    });
    admin = await signIn(t);
    account = await createAccount(t);
    await createDocument(t, account);
  });
  after(async () => t.close());

  test('a key registered with its certificate (x5c alone) shows the certificate; the metadata offers mutual TLS', async () => {
    const added = await addKey({ x5c: [der(EC)], kid: 'ec-cert' });
    assert.equal(added.statusCode, 201, added.body);
    const view = added.json();
    assert.equal(view.alg, 'ES256');
    assert.equal(view.jwk.kty, 'EC');
    assert.equal(view.jwk['x5t#S256'], thumbprint(EC));
    assert.deepEqual(view.certificate, {
      thumbprint: thumbprint(EC),
      subject: 'CN=client-ec',
      notBefore: '2025-01-01T00:00:00.000Z',
      notAfter: '2045-12-31T23:59:59.000Z',
    });
    const metadata = (await t.app.inject('/.well-known/oauth-authorization-server')).json();
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
    const resource = (await t.app.inject('/.well-known/oauth-protected-resource')).json();
    assert.equal(resource.tls_client_certificate_bound_access_tokens, true);
  });

  test('a key and its certificate must agree, and the key must be one this server takes', async () => {
    const ed = await addKey({ x5c: [der(ED25519)] });
    assert.equal(ed.statusCode, 201, ed.body);
    assert.equal(ed.json().alg, 'EdDSA');
    const ecJwk = new X509Certificate(OTHER).publicKey.export({ format: 'jwk' });
    const mismatch = await addKey({ ...ecJwk, x5c: [der(EC)] });
    assert.equal(mismatch.statusCode, 400);
    assert.match(mismatch.json().detail, /the certificate \(x5c\) is not this key's/);
    const p384 = await addKey({ x5c: [der(certificate('client-p384'))] });
    assert.equal(p384.statusCode, 400);
    assert.match(p384.json().detail, /P-256/);
    for (const x5c of [['bm90IGEgY2VydA=='], [], 'MIIB', [123]]) {
      const bad = await addKey({ x5c });
      assert.equal(bad.statusCode, 400, JSON.stringify(x5c));
    }
    const privateToo = await addKey({ x5c: [der(OTHER)], d: 'AAAA' });
    assert.equal(privateToo.statusCode, 400);
    // Expired by the time it is added: it could never authenticate.
    const expired = await in2046(async () => {
      admin = await signIn(t);
      return addKey({ x5c: [der(OTHER)] });
    });
    admin = await signIn(t);
    assert.equal(expired.statusCode, 400);
    assert.match(expired.json().detail, /the certificate expired at 2045-12-31T23:59:59.000Z/);
    const removed = await call(
      'DELETE',
      `/api/admin/accounts/${account.accountId}/client-keys/${ed.json().kid}`,
      admin.headers,
    );
    assert.equal(removed.statusCode, 204);
  });

  test('client_id with the certificate gets a token bound to it; it is used with that certificate alone', async () => {
    const issued = await tokenWith(clientCert(EC));
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.json().token_type, 'Bearer');
    const token = issued.json().access_token as string;
    assert.deepEqual(decodeJwt(token).cnf, { 'x5t#S256': thumbprint(EC) });
    const bearer = { authorization: `Bearer ${token}` };

    const taken = await viaProxy('GET', doc(), { certificate: clientCert(EC), headers: bearer });
    assert.equal(taken.statusCode, 200, taken.body);
    const cases: [string, Parameters<typeof viaProxy>[2], RegExp][] = [
      ['no certificate', { headers: bearer }, /no client certificate/],
      [
        'another certificate',
        { certificate: clientCert(OTHER), headers: bearer },
        /another client certificate/,
      ],
      // The header is believed from the proxies alone: a client that writes it itself presents nothing.
      [
        'not from a proxy',
        { certificate: clientCert(EC), headers: bearer, from: '192.0.2.9' },
        /no client certificate/,
      ],
      [
        'twice',
        { headers: { ...bearer, [HEADER]: [clientCert(EC), clientCert(EC)] as unknown as string } },
        /no client certificate/,
      ],
      ['not a certificate', { certificate: ':bm90IGEgY2VydA==:', headers: bearer }, /no client certificate/],
    ];
    for (const [name, options, message] of cases) {
      const refused = await viaProxy('GET', doc(), options);
      assert.equal(refused.statusCode, 401, name);
      assert.match(refused.json().detail, /bound to (a|another) client certificate/, name);
      assert.match(String(refused.headers['www-authenticate']), /^Bearer .*error="invalid_token"/, name);
      assert.match(String(refused.headers['www-authenticate']), message, name);
    }
    assert.ok(
      t.logs.some((line) => line.includes('not in CLIENT_CERT_PROXIES: ignored')),
      'a header from elsewhere is logged',
    );
    assert.ok(!t.logs.some((line) => line.includes(der(EC).slice(0, 40))), 'the certificate is not logged');
  });

  test('introspection and revocation take the certificate too, and say what the token is bound to', async () => {
    const token = (await tokenWith(clientCert(EC))).json().access_token as string;
    const introspected = await viaProxy('POST', '/oauth/introspect', {
      certificate: clientCert(EC),
      payload: `client_id=${account.userId}&token=${token}`,
    });
    assert.equal(introspected.statusCode, 200, introspected.body);
    assert.equal(introspected.json().active, true);
    assert.equal(introspected.json().token_type, 'Bearer');
    assert.deepEqual(introspected.json().cnf, { 'x5t#S256': thumbprint(EC) });
    const revoked = await viaProxy('POST', '/oauth/revoke', {
      certificate: clientCert(EC),
      payload: `client_id=${account.userId}&token=${token}`,
    });
    assert.equal(revoked.statusCode, 200);
    const after = await viaProxy('GET', doc(), {
      certificate: clientCert(EC),
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(after.statusCode, 401);
  });

  test('refusals: no certificate, another one, another client, an expired one, a suspended account', async () => {
    const refusedWith = async (
      response: Awaited<ReturnType<typeof tokenWith>>,
      message: RegExp,
      status = 401,
    ) => {
      assert.equal(response.statusCode, status, response.body);
      assert.match(response.json().error_description, message);
    };
    await refusedWith(await tokenWith(undefined), /no client_secret, client_assertion or client certificate/);
    await refusedWith(
      await tokenWith(clientCert(EC), account, '', {}).then(() =>
        viaProxy('POST', '/oauth/token', {
          certificate: clientCert(EC),
          from: '192.0.2.9',
          payload: `grant_type=client_credentials&client_id=${account.userId}`,
        }),
      ),
      /no client_secret, client_assertion or client certificate/,
    );
    await refusedWith(await tokenWith(clientCert(OTHER)), /not one of this client's/);
    const other = await createAccount(t);
    await refusedWith(await tokenWith(clientCert(EC), other), /not one of this client's/);
    await refusedWith(
      await tokenWith(clientCert(EC), { ...account, userId: 'no-such-client' }),
      /not one of this client's/,
    );
    // Within 30 days of its end, each use is still taken, and the log says so once a day.
    const saved = t.clock.current;
    t.clock.current = Date.UTC(2045, 11, 20);
    try {
      for (let i = 0; i < 3; i++) assert.equal((await tokenWith(clientCert(EC))).statusCode, 200);
    } finally {
      t.clock.current = saved;
    }
    const warnings = t.logs.filter((line) => line.includes('expires soon: register its successor'));
    assert.equal(warnings.length, 1, 'once a day');
    assert.match(warnings[0] ?? '', /"days":12/);
    assert.match(warnings[0] ?? '', new RegExp(`"certificate":"${thumbprint(EC)}"`));
    const expired = await in2046(() => tokenWith(clientCert(EC)));
    await refusedWith(expired, /the certificate expired at 2045-12-31/);
    // With the secret, the token is not bound to an expired certificate: the log says why, once a day.
    const withSecret = `&client_secret=${encodeURIComponent(account.password)}`;
    const unbound = await in2046(async () => [
      await tokenWith(clientCert(EC), account, withSecret),
      await tokenWith(clientCert(EC), account, withSecret),
    ]);
    for (const issued of unbound) {
      assert.equal(issued.statusCode, 200, issued.body);
      assert.equal(decodeJwt(issued.json().access_token).cnf, undefined);
    }
    const said = t.logs.filter((line) =>
      line.includes('a registered client certificate was presented: the certificate expired at 2045-12-31'),
    );
    assert.equal(said.length, 1, 'once a day');

    const suspend = await call('POST', `/api/admin/accounts/${account.accountId}/suspend`, admin.headers);
    assert.equal(suspend.statusCode, 200, suspend.body);
    await refusedWith(await tokenWith(clientCert(EC)), /suspended/, 400);
    assert.equal(
      (await call('POST', `/api/admin/accounts/${account.accountId}/resume`, admin.headers)).statusCode,
      200,
    );
    assert.equal((await tokenWith(clientCert(EC))).statusCode, 200);
  });

  test("a secret over mutual TLS: bound to the certificate when it is one of the account's, else not", async () => {
    const withSecret = `&client_secret=${encodeURIComponent(account.password)}`;
    const registered = await tokenWith(clientCert(EC), account, withSecret);
    assert.equal(registered.statusCode, 200, registered.body);
    assert.deepEqual(decodeJwt(registered.json().access_token).cnf, { 'x5t#S256': thumbprint(EC) });
    const another = await tokenWith(clientCert(OTHER), account, withSecret);
    assert.equal(another.statusCode, 200, another.body);
    assert.equal(decodeJwt(another.json().access_token).cnf, undefined);
  });

  test('a certificate with an empty subject, or two headers, never breaks a request', async () => {
    const empty = certificate('empty-subject');
    const refused = await tokenWith(clientCert(empty));
    assert.equal(refused.statusCode, 401, refused.body);
    // A bound token this node has not seen yet is checked on a promise's path: a throw there would end the process.
    const token = (await tokenWith(clientCert(EC))).json().access_token as string;
    const read = await viaProxy('GET', doc(), {
      certificate: clientCert(empty),
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(read.statusCode, 401, read.body);
    const added = await addKey({ x5c: [der(empty)], kid: 'no-subject' });
    assert.equal(added.statusCode, 201, added.body);
    assert.equal(added.json().certificate.subject, '');
    assert.equal((await tokenWith(clientCert(empty))).statusCode, 200);
    await call('DELETE', `/api/admin/accounts/${account.accountId}/client-keys/no-subject`, admin.headers);

    // Over a real connection: the proxy appended its header to the client's own (a client writing the victim's
    // certificate first). Node joins them; the server counts them, and takes neither.
    const node = await startTestServer({ CLIENT_CERT_HEADER: HEADER, CLIENT_CERT_PROXIES: '127.0.0.1' });
    try {
      const { services } = node.server.runtime;
      await services.accounts.create('le12345678');
      const credentials = await services.clients.reveal('le12345678');
      await services.clients.keys.add('le12345678', { x5c: [der(EC)] });
      const form = `grant_type=client_credentials&client_id=${credentials?.userId}`;
      const post = (rawHeaders: string[]) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const url = new URL(`${node.url}/oauth/token`);
          const outgoing = httpRequest(
            { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: rawHeaders },
            (incoming) => {
              let body = '';
              incoming.on('data', (chunk: Buffer) => {
                body += chunk;
              });
              incoming.on('end', () => resolve({ status: incoming.statusCode ?? 0, body }));
            },
          );
          outgoing.on('error', reject);
          outgoing.end(form);
        });
      // Raw headers: Node adds nothing itself then (no Host, no framing), so they are all here.
      const formType = [
        'host',
        new URL(node.url).host,
        'content-type',
        'application/x-www-form-urlencoded',
        'content-length',
        String(Buffer.byteLength(form)),
      ];
      const one = await post([...formType, HEADER, encodeURIComponent(EC)]);
      assert.equal(one.status, 200, `one header: taken (${one.body})`);
      for (const second of [encodeURIComponent(OTHER), encodeURIComponent(EC), clientCert(EC)])
        assert.equal(
          (await post([...formType, HEADER, encodeURIComponent(EC), HEADER, second])).status,
          401,
          'two headers: neither',
        );
    } finally {
      await node.stop();
    }
  });

  test('with a DPoP proof as well, the token is bound to both, and needs both', async () => {
    const key = await dpopKey('ES256');
    const issued = await tokenWith(clientCert(EC), account, '', {
      dpop: await dpopProof(t, key, { method: 'POST', url: '/oauth/token' }),
    });
    assert.equal(issued.statusCode, 200, issued.body);
    assert.equal(issued.json().token_type, 'DPoP');
    const token = issued.json().access_token as string;
    const cnf = decodeJwt(token).cnf as Record<string, string>;
    assert.equal(cnf['x5t#S256'], thumbprint(EC));
    assert.equal(typeof cnf.jkt, 'string');
    const proof = () => dpopProof(t, key, { method: 'GET', url: doc(), token });
    const both = await viaProxy('GET', doc(), {
      certificate: clientCert(EC),
      headers: { authorization: `DPoP ${token}`, dpop: await proof() },
    });
    assert.equal(both.statusCode, 200, both.body);
    const proofAlone = await viaProxy('GET', doc(), {
      headers: { authorization: `DPoP ${token}`, dpop: await proof() },
    });
    assert.equal(proofAlone.statusCode, 401);
    // Refused in the scheme the token came in.
    assert.match(String(proofAlone.headers['www-authenticate']), /^DPoP .*no client certificate/);
    const certificateAlone = await viaProxy('GET', doc(), {
      certificate: clientCert(EC),
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(certificateAlone.statusCode, 401);
  });

  test('an account that takes signed assertions alone takes its certificate too (no secret either)', async () => {
    const on = await call(
      'PUT',
      `/api/admin/accounts/${account.accountId}/signed-assertions-only`,
      admin.headers,
      {},
    );
    assert.ok(on.statusCode < 300, on.body);
    assert.equal((await tokenWith(clientCert(EC))).statusCode, 200);
    const off = await call(
      'DELETE',
      `/api/admin/accounts/${account.accountId}/signed-assertions-only`,
      admin.headers,
    );
    assert.ok(off.statusCode < 300, off.body);
  });

  test("removing a certificate from the account's keys ends the tokens bound to it at once", async () => {
    const added = await addKey({ x5c: [der(ED25519)], kid: 'ed-cert' });
    assert.equal(added.statusCode, 201, added.body);
    const token = (await tokenWith(clientCert(ED25519))).json().access_token as string;
    const use = () =>
      viaProxy('GET', doc(), {
        certificate: clientCert(ED25519),
        headers: { authorization: `Bearer ${token}` },
      });
    const introspect = async () =>
      (
        await viaProxy('POST', '/oauth/introspect', {
          certificate: clientCert(EC),
          payload: `client_id=${account.userId}&token=${token}`,
        })
      ).json().active;
    // Used twice first: the second answer comes from what the node remembers of the token.
    assert.equal((await use()).statusCode, 200);
    assert.equal((await use()).statusCode, 200);
    assert.equal(await introspect(), true);
    const removed = await call(
      'DELETE',
      `/api/admin/accounts/${account.accountId}/client-keys/ed-cert`,
      admin.headers,
    );
    assert.equal(removed.statusCode, 204);
    const refused = await use();
    assert.equal(refused.statusCode, 401);
    assert.match(refused.json().detail, /no longer one of the account's keys/);
    assert.match(String(refused.headers['www-authenticate']), /error_description="certificate removed"/);
    assert.equal(await introspect(), false);
    // The other certificate's tokens are untouched.
    const other = (await tokenWith(clientCert(EC))).json().access_token as string;
    const taken = await viaProxy('GET', doc(), {
      certificate: clientCert(EC),
      headers: { authorization: `Bearer ${other}` },
    });
    assert.equal(taken.statusCode, 200);
  });

  test('an account that requires certificates: tokens only over mutual TLS, every other token refused; off again', async () => {
    const put = (who: AccountCredentials, method: 'PUT' | 'DELETE') =>
      call(
        method,
        `/api/admin/accounts/${who.accountId}/certificate-required`,
        admin.headers,
        method === 'PUT' ? {} : undefined,
      );
    const keyless = await createAccount(t);
    const refusedOn = await put(keyless, 'PUT');
    assert.equal(refusedOn.statusCode, 409, refusedOn.body);
    assert.match(refusedOn.json().detail, /no client certificate among its keys/);

    const withSecret = `&client_secret=${encodeURIComponent(account.password)}`;
    const earlier = (await tokenWith(undefined, account, withSecret)).json().access_token as string;
    const on = await put(account, 'PUT');
    assert.equal(on.statusCode, 200, on.body);
    assert.equal(on.json().certificateRequired, true);
    try {
      // No certificate, or one that is not the account's: no token, whatever the client authenticates with.
      for (const certificate of [undefined, clientCert(OTHER)]) {
        const refused = await tokenWith(certificate, account, withSecret);
        assert.equal(refused.statusCode, 400, refused.body);
        assert.equal(refused.json().error, 'invalid_request');
        assert.match(refused.json().error_description, /bound to a client certificate/);
      }
      // The compatible login endpoint too: with the certificate, a bound token; without, none.
      const basicAuth = `Basic ${Buffer.from(`${account.userId}:${account.password}`).toString('base64')}`;
      const loginWithout = await viaProxy('POST', '/v2/authenticate/login', {
        headers: { authorization: basicAuth },
      });
      assert.equal(loginWithout.statusCode, 400, loginWithout.body);
      const loginWith = await viaProxy('POST', '/v2/authenticate/login', {
        certificate: clientCert(EC),
        headers: { authorization: basicAuth },
      });
      assert.equal(loginWith.statusCode, 200, loginWith.body);
      assert.deepEqual(decodeJwt(loginWith.json().access_token).cnf, { 'x5t#S256': thumbprint(EC) });
      const bySecret = await tokenWith(clientCert(EC), account, withSecret);
      assert.equal(bySecret.statusCode, 200, bySecret.body);
      assert.deepEqual(decodeJwt(bySecret.json().access_token).cnf, { 'x5t#S256': thumbprint(EC) });
      const byCertificate = await tokenWith(clientCert(EC));
      assert.equal(byCertificate.statusCode, 200, byCertificate.body);
      const taken = await viaProxy('GET', doc(), {
        certificate: clientCert(EC),
        headers: { authorization: `Bearer ${byCertificate.json().access_token}` },
      });
      assert.equal(taken.statusCode, 200, taken.body);
      // A token issued before, not bound: refused at the APIs and inactive at introspection.
      const old = await viaProxy('GET', doc(), {
        certificate: clientCert(EC),
        headers: { authorization: `Bearer ${earlier}` },
      });
      assert.equal(old.statusCode, 401);
      assert.match(String(old.headers['www-authenticate']), /token not bound to a certificate/);
      const introspected = await viaProxy('POST', '/oauth/introspect', {
        certificate: clientCert(EC),
        payload: `client_id=${account.userId}&token=${earlier}`,
      });
      assert.equal(introspected.json().active, false);
      // The account's last certificate stays while it is required.
      const last = await call(
        'DELETE',
        `/api/admin/accounts/${account.accountId}/client-keys/ec-cert`,
        admin.headers,
      );
      assert.equal(last.statusCode, 409, last.body);
      assert.match(last.json().detail, /last client certificate/);
      const audit = await call('GET', `/api/admin/audit?accountId=${account.accountId}`, admin.headers);
      assert.ok(
        audit
          .json()
          .some(
            (e: { action: string; detail: Record<string, unknown> }) =>
              e.action === 'account.certificate-required-changed' && e.detail.certificateRequired === true,
          ),
        audit.body,
      );
    } finally {
      const off = await put(account, 'DELETE');
      assert.equal(off.statusCode, 200, off.body);
      assert.equal(off.json().certificateRequired, false);
    }
    const again = await viaProxy('GET', doc(), { headers: { authorization: `Bearer ${earlier}` } });
    assert.equal(again.statusCode, 200, 'an unbound token works again');
  });

  test('the metrics count the tokens issued by how their client authenticated and what they are bound to', async () => {
    const metrics = (await t.app.inject('/metrics')).body;
    const count = (labels: string) =>
      Number(
        / (\d+)$/.exec(
          metrics.split('\n').find((l) => l.startsWith(`orchestrator_tokens_issued_total${labels} `)) ?? '',
        )?.[1] ?? 0,
      );
    assert.ok(count('{method="self_signed_tls_client_auth",binding="certificate"}') >= 5);
    assert.ok(count('{method="self_signed_tls_client_auth",binding="dpop+certificate"}') >= 1);
    assert.ok(count('{method="client_secret_post",binding="certificate"}') >= 1, 'a secret over mutual TLS');
    assert.ok(count('{method="client_secret_post",binding="none"}') >= 1, 'a certificate not registered');
    assert.ok(count('{method="client_secret_basic",binding="none"}') >= 1, 'the token of the set-up');
  });

  test('without CLIENT_CERT_HEADER no certificate is taken, and the metadata does not offer it', async () => {
    const plain = await createTestApp();
    try {
      const metadata = (await plain.app.inject('/.well-known/oauth-authorization-server')).json();
      assert.ok(!metadata.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));
      assert.equal(metadata.tls_client_certificate_bound_access_tokens, false);
      const who = await createAccount(plain);
      const refused = await plain.app.inject({
        method: 'POST',
        url: '/oauth/token',
        remoteAddress: PROXY,
        headers: { 'content-type': FORM, [HEADER]: clientCert(EC) },
        payload: `grant_type=client_credentials&client_id=${who.userId}`,
      });
      assert.equal(refused.statusCode, 401);
      assert.equal(refused.json().error, 'invalid_client');
    } finally {
      await plain.close();
    }
  });
});
