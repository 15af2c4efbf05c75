import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { decodeJwt } from 'jose';
import { loadConfig } from '../../src/config/config.js';
import { StartupError, startServer } from '../../src/main.js';
import { certificate, clientTls, der, thumbprint, tlsFetch } from '../helpers/mtls.js';
import { startTestServer } from '../helpers/server.js';

const run = promisify(execFile);
const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/mtls/${name}`, import.meta.url));

/** The subject of the certificate a new TLS connection to `url` is served with. */
function servedCertificate(url: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port), rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().subject.CN as string);
      socket.end();
    });
    socket.on('error', reject);
  });
}

describe('HTTPS served by the node itself (TLS_CERT_FILE), with client certificates asked for', () => {
  let node: Awaited<ReturnType<typeof startTestServer>>;
  let folder: string;
  let userId: string;

  before(async () => {
    // Copies: the reload test puts another certificate in their place.
    folder = mkdtempSync(join(tmpdir(), 'orchestrator-tls-'));
    copyFileSync(fixture('server.pem'), join(folder, 'server.pem'));
    copyFileSync(fixture('server.key'), join(folder, 'server.key'));
    // Readable by all, as a clone leaves it: the node warns.
    chmodSync(join(folder, 'server.key'), 0o644);
    node = await startTestServer({
      TLS_CERT_FILE: join(folder, 'server.pem'),
      TLS_KEY_FILE: join(folder, 'server.key'),
      TLS_CLIENT_CERTIFICATES: 'request',
    });
    const { services } = node.server.runtime;
    await services.accounts.create('le12345678');
    userId = (await services.clients.reveal('le12345678'))?.userId as string;
    await services.clients.keys.add('le12345678', { x5c: [der(certificate('client-ec'))] });
  });
  after(async () => {
    await node?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  const tokenWith = (tls?: ReturnType<typeof clientTls>) =>
    tlsFetch(tls)(`${node.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `grant_type=client_credentials&client_id=${userId}`,
    });

  test('it answers over HTTPS, names an https issuer and offers mutual TLS', async () => {
    assert.match(node.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const metadata = (await (
      await tlsFetch()(`${node.url}/.well-known/oauth-authorization-server`, {})
    ).json()) as {
      issuer: string;
      token_endpoint_auth_methods_supported: string[];
      tls_client_certificate_bound_access_tokens: boolean;
    };
    assert.equal(metadata.issuer, node.url);
    assert.ok(metadata.token_endpoint_auth_methods_supported.includes('self_signed_tls_client_auth'));
    assert.equal(metadata.tls_client_certificate_bound_access_tokens, true);
  });

  test("the client's own TLS certificate authenticates it, and binds its token", async () => {
    const issued = await tokenWith(clientTls('client-ec'));
    assert.equal(issued.status, 200, await issued.clone().text());
    const token = ((await issued.json()) as { access_token: string }).access_token;
    assert.deepEqual(decodeJwt(token).cnf, { 'x5t#S256': thumbprint(certificate('client-ec')) });
    const create = (tls?: ReturnType<typeof clientTls>, headers: Record<string, string> = {}) =>
      tlsFetch(tls)(`${node.url}/v2/context/document/create`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
        body: JSON.stringify({
          accountId: 'le12345678',
          nameSpace: 'ns',
          sessionId: 's1',
          payload: { a: 1 },
        }),
      });
    const made = await create(clientTls('client-ec'));
    assert.equal(made.status, 201, await made.clone().text());
    for (const [name, answer] of [
      ['no certificate', await create()],
      ['another certificate', await create(clientTls('other-ec'))],
      // No proxy is configured: a header naming the certificate is nobody's word.
      ['a header', await create(undefined, { 'client-cert': `:${der(certificate('client-ec'))}:` })],
    ] as const) {
      assert.equal(answer.status, 401, name);
      assert.match(answer.headers.get('www-authenticate') ?? '', /client certificate/, name);
    }
    for (const tls of [clientTls('other-ec'), undefined]) assert.equal((await tokenWith(tls)).status, 401);
  });

  test('SIGHUP (reloadTls) serves new connections with the renewed certificate; unreadable files keep the old', async () => {
    const endsAt = async () =>
      /^orchestrator_tls_certificate_not_after_timestamp_seconds (\d+)$/m.exec(
        await (
          await tlsFetch(undefined, [
            readFileSync(fixture('server.pem')),
            readFileSync(fixture('server-renewed.pem')),
          ])(`${node.url}/metrics`, {})
        ).text(),
      )?.[1];
    const endOf = (name: string) =>
      String(Date.parse(new X509Certificate(readFileSync(fixture(name))).validTo) / 1000);
    assert.equal(await servedCertificate(node.url), 'localhost');
    assert.equal(await endsAt(), endOf('server.pem'));
    copyFileSync(fixture('server-renewed.pem'), join(folder, 'server.pem'));
    copyFileSync(fixture('server-renewed.key'), join(folder, 'server.key'));
    assert.equal(await node.server.reloadTls(), true);
    assert.equal(await servedCertificate(node.url), 'localhost-renewed');
    assert.equal(await endsAt(), endOf('server-renewed.pem'));
    // A certificate without its key (a renewal caught half-written): refused, the one in use kept.
    copyFileSync(fixture('server.pem'), join(folder, 'server.pem'));
    assert.equal(await node.server.reloadTls(), false);
    assert.equal(await servedCertificate(node.url), 'localhost-renewed');
    assert.ok(node.logs.some((line) => line.includes('the ones in use are kept')));
    assert.ok(
      !node.logs.some((line) => line.includes(readFileSync(fixture('server.key'), 'utf8').slice(40, 80))),
    );
  });

  test('TLS 1.2 at least, with forward secrecy and authenticated encryption only, after a reload too; HSTS', async () => {
    const handshake = (options: {
      ciphers?: string;
      minVersion?: 'TLSv1' | 'TLSv1.2';
      maxVersion?: 'TLSv1.1' | 'TLSv1.2';
    }) =>
      new Promise<string>((resolve) => {
        const { hostname, port } = new URL(node.url);
        const socket = connect(
          { host: hostname, port: Number(port), rejectUnauthorized: false, ...options },
          () => {
            resolve(`${socket.getProtocol()} ${socket.getCipher().name}`);
            socket.end();
          },
        );
        socket.on('error', () => resolve('refused'));
      });
    for (let pass = 0; pass < 2; pass++) {
      for (const ciphers of ['ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA384', 'AES128-SHA'])
        assert.equal(await handshake({ maxVersion: 'TLSv1.2', ciphers }), 'refused', `${ciphers}: CBC`);
      assert.equal(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }), 'refused', 'TLS 1.1');
      assert.equal(
        await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' }),
        'TLSv1.2 ECDHE-ECDSA-AES128-GCM-SHA256',
      );
      // A reload keeps the same settings.
      copyFileSync(fixture('server.pem'), join(folder, 'server.pem'));
      copyFileSync(fixture('server.key'), join(folder, 'server.key'));
      assert.equal(await node.server.reloadTls(), true);
    }
    const answer = await tlsFetch()(`${node.url}/healthz`, {});
    assert.equal(answer.headers.get('strict-transport-security'), 'max-age=31536000');
    assert.ok(
      node.logs.some((line) => line.includes('TLS_KEY_FILE can be read by other users')),
      'a key file others may read is warned of',
    );
  });

  test('a stop ends connections still in their handshake at SHUTDOWN_TIMEOUT_SECONDS', async () => {
    const other = await startTestServer({
      TLS_CERT_FILE: fixture('server.pem'),
      TLS_KEY_FILE: fixture('server.key'),
      SHUTDOWN_TIMEOUT_SECONDS: '1',
    });
    const { hostname, port } = new URL(other.url);
    // A bare TCP connection that never starts its handshake (a scanner, a slow client).
    const idle = netConnect(Number(port), hostname);
    await new Promise((resolve) => idle.once('connect', resolve));
    idle.on('error', () => {});
    const started = Date.now();
    await other.stop();
    assert.ok(Date.now() - started < 5_000, `stopped after ${Date.now() - started} ms`);
  });

  test('a certificate and key that do not go together stop the start, saying so', async () => {
    const config = loadConfig({
      PORT: '0',
      DATA_DIR: join(folder, 'data'),
      TLS_CERT_FILE: fixture('server.pem'),
      TLS_KEY_FILE: fixture('server-renewed.key'),
    });
    await assert.rejects(
      startServer(config),
      (error: unknown) =>
        error instanceof StartupError && /not a PEM certificate and its private key/.test(error.message),
    );
    await assert.rejects(
      startServer({
        ...config,
        tls: {
          certFile: join(folder, 'missing.pem'),
          keyFile: fixture('server.key'),
          clientCertificates: false,
          clientCaNames: false,
        },
      }),
      /TLS_CERT_FILE \/ TLS_KEY_FILE cannot be read/,
    );
  });
});

describe('a TLS certificate that ends soon', () => {
  test('is warned of in the log at start, with its days left', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orchestrator-tls-ending-'));
    const [cert, key] = [join(folder, 'server.pem'), join(folder, 'server.key')];
    const making = run('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '3',
      '-subj',
      '/CN=localhost',
    ]);
    making.child.stdin?.end();
    await making;
    const node = await startTestServer({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key });
    try {
      const warned = node.logs.find((line) => line.includes('the TLS certificate ends soon: renew it'));
      assert.ok(warned, 'warned');
      assert.equal(JSON.parse(warned).days, 3);
    } finally {
      await node.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

describe('FILE_RELOAD_SECONDS: changed TLS files are read again without a signal', () => {
  test('a renewed certificate is served within a few seconds; a half-written one is refused once and kept out', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orchestrator-tls-watch-'));
    copyFileSync(fixture('server.pem'), join(folder, 'server.pem'));
    copyFileSync(fixture('server.key'), join(folder, 'server.key'));
    const node = await startTestServer({
      TLS_CERT_FILE: join(folder, 'server.pem'),
      TLS_KEY_FILE: join(folder, 'server.key'),
      FILE_RELOAD_SECONDS: '1',
    });
    const served = async (expected: string) => {
      for (let i = 0; i < 100 && (await servedCertificate(node.url)) !== expected; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(await servedCertificate(node.url), expected);
    };
    try {
      await served('localhost');
      // The certificate alone first (its key not yet there): refused, the pair in use kept; then the key arrives.
      copyFileSync(fixture('server-renewed.pem'), join(folder, 'server.pem'));
      const refused = () => node.logs.filter((line) => line.includes('could not be read again')).length;
      for (let i = 0; i < 50 && refused() === 0; i++)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(refused(), 1);
      await served('localhost');
      copyFileSync(fixture('server-renewed.key'), join(folder, 'server.key'));
      await served('localhost-renewed');
      assert.equal(refused(), 1, 'a refused file is not read again until it changes');
    } finally {
      await node.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });
});

/** The CA names a node's certificate request gives (RFC 8446 §4.2.4), as `openssl s_client` prints them. */
async function requestedCaNames(url: string): Promise<string[]> {
  const { hostname, port } = new URL(url);
  const running = run('openssl', ['s_client', '-connect', `${hostname}:${port}`, '-tls1_3']);
  running.child.stdin?.end();
  const { stdout } = await running;
  if (/No client certificate CA names sent/.test(stdout)) return [];
  const block =
    /Acceptable client certificate CA names\n([\s\S]*?)\n(?:Requested|Client Certificate Types)/.exec(stdout);
  assert.ok(block, stdout);
  return (block[1] ?? '').split('\n');
}

describe('TLS_CLIENT_CA_NAMES: the certificate request names the CAs of CLIENT_CA_FILE', () => {
  test('named as the CAs are read, again after SIGHUP; a registered self-signed certificate is taken all the same', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'orchestrator-tls-cas-'));
    const caFile = join(folder, 'client-cas.pem');
    copyFileSync(fileURLToPath(new URL('../fixtures/pki/issuing.pem', import.meta.url)), caFile);
    const node = await startTestServer({
      TLS_CERT_FILE: fixture('server.pem'),
      TLS_KEY_FILE: fixture('server.key'),
      TLS_CLIENT_CERTIFICATES: 'request',
      CLIENT_CA_FILE: caFile,
      TLS_CLIENT_CA_NAMES: 'true',
    });
    try {
      assert.deepEqual(await requestedCaNames(node.url), ['C = US, O = Acme, CN = Acme Client CA']);
      const { services } = node.server.runtime;
      await services.accounts.create('le12345678');
      const userId = (await services.clients.reveal('le12345678'))?.userId as string;
      await services.clients.keys.add('le12345678', { x5c: [der(certificate('client-ec'))] });
      const issued = await tlsFetch(clientTls('client-ec'))(`${node.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `grant_type=client_credentials&client_id=${userId}`,
      });
      assert.equal(issued.status, 200, await issued.clone().text());

      copyFileSync(fileURLToPath(new URL('../fixtures/pki/other-ca.pem', import.meta.url)), caFile);
      assert.equal(await node.server.reloadClientCas(), true);
      assert.deepEqual(await requestedCaNames(node.url), ['C = US, O = Elsewhere, CN = Elsewhere CA']);
      assert.equal(await node.server.reloadTls(), true);
      assert.deepEqual(
        await requestedCaNames(node.url),
        ['C = US, O = Elsewhere, CN = Elsewhere CA'],
        'a renewed server certificate keeps the names',
      );
    } finally {
      await node.stop();
      rmSync(folder, { recursive: true, force: true });
    }
  });

  test('without it, no CA is named (any certificate is asked for)', async () => {
    const node = await startTestServer({
      TLS_CERT_FILE: fixture('server.pem'),
      TLS_KEY_FILE: fixture('server.key'),
      TLS_CLIENT_CERTIFICATES: 'request',
      CLIENT_CA_FILE: fileURLToPath(new URL('../fixtures/pki/issuing.pem', import.meta.url)),
    });
    try {
      assert.deepEqual(await requestedCaNames(node.url), []);
    } finally {
      await node.stop();
    }
  });
});
