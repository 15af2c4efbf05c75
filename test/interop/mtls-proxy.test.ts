import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { type ClientTls, certificate, clientTls, der, thumbprint, tlsFetch } from '../helpers/mtls.js';
import { freePort, startTestServer } from '../helpers/server.js';

const fixtures = fileURLToPath(new URL('../fixtures/mtls/', import.meta.url));
const pki = fileURLToPath(new URL('../fixtures/pki/', import.meta.url));
/** A certificate its CA (test/fixtures/pki, `issuing`) issued, with its key, as the client's TLS presents it. */
const issued = (name: string): ClientTls => ({
  cert: readFileSync(join(pki, `${name}.pem`)),
  key: readFileSync(join(pki, `${name}.key`)),
});
/** nginx, from Debian's package (CI installs it); without it, and without REQUIRE_SERVICES, the test is skipped. */
const NGINX = spawnSync('nginx', ['-v']).error ? null : 'nginx';
const skip = NGINX === null && process.env.REQUIRE_SERVICES !== '1' ? 'nginx is not installed' : false;

async function listening(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A server block of nginx: its port, and whether it asks clients for their certificate (and forwards it). */
interface ProxyPort {
  port: number;
  certificates: boolean;
}

/**
 * nginx in front of the node at `upstream`, terminating TLS on each port as docs/operations.md configures it: where
 * it asks for certificates, `ssl_verify_client optional_no_ca` and the certificate forwarded
 * (`$ssl_client_escaped_cert`); elsewhere none asked for, and the header cleared.
 */
async function startNginx(upstream: string, ports: ProxyPort[]): Promise<{ stop(): void }> {
  const folder = mkdtempSync(join(tmpdir(), 'orchestrator-nginx-'));
  const server = ({ port, certificates }: ProxyPort) => `
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${fixtures}server.pem;
    ssl_certificate_key ${fixtures}server.key;
    ${certificates ? 'ssl_verify_client optional_no_ca;' : ''}
    location / {
      proxy_pass ${upstream};
      proxy_set_header Host $host:$server_port;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-SSL-Client-Cert ${certificates ? '$ssl_client_escaped_cert' : '""'};
    }
  }`;
  writeFileSync(
    join(folder, 'nginx.conf'),
    `
pid ${folder}/nginx.pid;
error_log ${folder}/error.log;
events {}
http {
  access_log off;
  client_body_temp_path ${folder}/body;
  proxy_temp_path ${folder}/proxy;
  fastcgi_temp_path ${folder}/fastcgi;
  uwsgi_temp_path ${folder}/uwsgi;
  scgi_temp_path ${folder}/scgi;
${ports.map(server).join('\n')}
}
`,
  );
  const nginx = spawn(
    NGINX ?? 'nginx',
    ['-p', folder, '-c', join(folder, 'nginx.conf'), '-g', 'daemon off; master_process off;'],
    { stdio: 'ignore' },
  );
  for (const { port } of ports) await listening(port);
  return {
    stop() {
      nginx.kill();
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** The server's metadata as the library reads it, over TLS through nginx. */
async function discover(issuer: URL): Promise<oauth.AuthorizationServer> {
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.customFetch]: tlsFetch() }),
  );
}

/**
 * The whole path a production deployment takes: a client library with its certificate in TLS, nginx terminating TLS
 * with `ssl_verify_client optional_no_ca` and forwarding the certificate (`$ssl_client_escaped_cert`, the
 * configuration docs/operations.md gives), this server believing it from nginx alone.
 */
describe('interoperability: mutual TLS through nginx, with oauth4webapi (RFC 8705)', { skip }, () => {
  let node: Awaited<ReturnType<typeof startTestServer>>;
  let proxy: { stop(): void } | undefined;
  let issuer: URL;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  /** An account's client known by the subject of certificates a trusted CA issues (CLIENT_CA_FILE). */
  let byCa: oauth.Client;

  before(async () => {
    const proxyPort = await freePort();
    issuer = new URL(`https://localhost:${proxyPort}`);
    node = await startTestServer({
      ISSUER: issuer.origin,
      CLIENT_CERT_HEADER: 'X-SSL-Client-Cert',
      CLIENT_CERT_PROXIES: '127.0.0.1',
      CLIENT_CA_FILE: join(pki, 'issuing.pem'),
    });
    const { services } = node.server.runtime;
    await services.accounts.create('le12345678');
    const credentials = await services.clients.reveal('le12345678');
    assert.ok(credentials);
    client = { client_id: credentials.userId };
    await services.clients.keys.add('le12345678', { x5c: [der(certificate('client-ec'))] });
    await services.accounts.create('le87654321');
    const second = await services.clients.reveal('le87654321');
    assert.ok(second);
    byCa = { client_id: second.userId };
    await services.clients.keys.addSubject('le87654321', {
      tls_client_auth_san_uri: 'spiffe://acme.example/billing',
    });

    proxy = await startNginx(node.url, [{ port: proxyPort, certificates: true }]);
    as = await discover(issuer);
  });
  after(async () => {
    proxy?.stop();
    await node?.stop();
  });

  const tokenWith = (tls?: ClientTls, who = client) =>
    oauth.clientCredentialsGrantRequest(
      as,
      who,
      oauth.TlsClientAuth(),
      new URLSearchParams({ scope: 'context:read context:write' }),
      { [oauth.customFetch]: tlsFetch(tls) },
    );
  const create = (token: string, tls?: ClientTls, headers = new Headers(), accountId = 'le12345678') => {
    headers.set('content-type', 'application/json');
    return oauth.protectedResourceRequest(
      token,
      'POST',
      new URL('/v2/context/document/create', issuer),
      headers,
      JSON.stringify({ accountId, nameSpace: 'shop', sessionId: 'c1', payload: { a: 1 } }),
      { [oauth.customFetch]: tlsFetch(tls) },
    );
  };

  test('the library authenticates with its certificate (tls_client_auth as it names it) and uses the bound token', async () => {
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('self_signed_tls_client_auth'));
    assert.equal(as.tls_client_certificate_bound_access_tokens, true);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await tokenWith(clientTls('client-ec')),
    );
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, {
      'x5t#S256': thumbprint(certificate('client-ec')),
    });
    const made = await create(tokens.access_token, clientTls('client-ec'));
    assert.equal(made.status, 201, await made.clone().text());

    // The library reads a 401's challenge and throws it.
    const refusal = async (call: Promise<Response>) => {
      const error = await call.then(
        () => assert.fail('taken'),
        (thrown: unknown) => thrown,
      );
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError);
      assert.equal(error.status, 401);
      return error.cause[0]?.parameters.error_description;
    };
    assert.equal(await refusal(create(tokens.access_token)), 'no client certificate');
    assert.equal(
      await refusal(create(tokens.access_token, clientTls('other-ec'))),
      'another client certificate',
    );
    // The client writes the header itself, with its public certificate: nginx replaces it with what TLS presented.
    const forged = new Headers({ 'x-ssl-client-cert': encodeURIComponent(certificate('client-ec')) });
    assert.equal(await refusal(create(tokens.access_token, undefined, forged)), 'no client certificate');
  });

  test('another certificate, or none, gets no token', async () => {
    for (const tls of [clientTls('other-ec'), undefined]) {
      const response = await tokenWith(tls);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    }
  });

  test('a certificate from a trusted CA with the subject the account names (tls_client_auth, RFC 8705 §2.1)', async () => {
    assert.ok(as.token_endpoint_auth_methods_supported?.includes('tls_client_auth'));
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      byCa,
      await tokenWith(issued('billing'), byCa),
    );
    assert.deepEqual(decodeJwt(tokens.access_token).cnf, {
      'x5t#S256': thumbprint(readFileSync(join(pki, 'billing.pem'), 'utf8')),
    });
    const made = await create(tokens.access_token, issued('billing'), new Headers(), 'le87654321');
    assert.equal(made.status, 201, await made.clone().text());
    // The same names from a CA the server does not trust, and a certificate of another subject: no token.
    for (const tls of [issued('impostor'), issued('router')]) {
      const response = await tokenWith(tls, byCa);
      assert.equal(response.status, 401);
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    }
  });
});

/**
 * RFC 8705 §5 as deployed: the web app and every other client at ISSUER, where nginx asks nobody for a certificate
 * (a browser would show a prompt), and a host of its own (MTLS_BASE_URL) where it asks for one; the library finds
 * that host in the metadata's `mtls_endpoint_aliases` when the client says it uses them.
 */
describe('interoperability: the endpoints at their mutual TLS host (MTLS_BASE_URL), with oauth4webapi', {
  skip,
}, () => {
  let node: Awaited<ReturnType<typeof startTestServer>>;
  let proxy: { stop(): void } | undefined;
  let issuer: URL;
  let mtls: URL;
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;

  before(async () => {
    const [plainPort, mtlsPort] = [await freePort(), await freePort()];
    issuer = new URL(`https://localhost:${plainPort}`);
    mtls = new URL(`https://localhost:${mtlsPort}`);
    node = await startTestServer({
      ISSUER: issuer.origin,
      MTLS_BASE_URL: mtls.origin,
      CLIENT_CERT_HEADER: 'X-SSL-Client-Cert',
      CLIENT_CERT_PROXIES: '127.0.0.1',
    });
    const { services } = node.server.runtime;
    await services.accounts.create('le12345678');
    const credentials = await services.clients.reveal('le12345678');
    assert.ok(credentials);
    client = { client_id: credentials.userId, use_mtls_endpoint_aliases: true };
    await services.clients.keys.add('le12345678', { x5c: [der(certificate('client-ec'))] });
    proxy = await startNginx(node.url, [
      { port: plainPort, certificates: false },
      { port: mtlsPort, certificates: true },
    ]);
    as = await discover(issuer);
  });
  after(async () => {
    proxy?.stop();
    await node?.stop();
  });

  const tls = { [oauth.customFetch]: tlsFetch(clientTls('client-ec')) };

  test('token, introspection and revocation at the aliases; the bound token used at that host', async () => {
    assert.equal(as.issuer, issuer.origin);
    assert.equal(as.mtls_endpoint_aliases?.token_endpoint, `${mtls.origin}/oauth/token`);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.TlsClientAuth(),
        new URLSearchParams({ scope: 'context:write' }),
        tls,
      ),
    );
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.iss, issuer.origin);
    assert.deepEqual(claims.cnf, { 'x5t#S256': thumbprint(certificate('client-ec')) });

    const create = (base: URL) =>
      oauth.protectedResourceRequest(
        tokens.access_token,
        'POST',
        new URL('/v2/context/document/create', base),
        new Headers({ 'content-type': 'application/json' }),
        JSON.stringify({ accountId: 'le12345678', nameSpace: 'shop', payload: { a: 1 } }),
        tls,
      );
    const made = await create(mtls);
    assert.equal(made.status, 201, await made.clone().text());
    // At ISSUER nginx asks for no certificate: the bound token has none to go with.
    await assert.rejects(create(issuer), (error: unknown) => {
      assert.ok(error instanceof oauth.WWWAuthenticateChallengeError);
      assert.equal(error.cause[0]?.parameters.error_description, 'no client certificate');
      return true;
    });

    const introspect = async () =>
      oauth.processIntrospectionResponse(
        as,
        client,
        await oauth.introspectionRequest(as, client, oauth.TlsClientAuth(), tokens.access_token, tls),
      );
    assert.equal((await introspect()).active, true);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, oauth.TlsClientAuth(), tokens.access_token, tls),
    );
    assert.equal((await introspect()).active, false);
  });

  test("a client that does not use the aliases calls ISSUER's token endpoint, where no certificate is asked for", async () => {
    const plain = { client_id: client.client_id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      plain,
      oauth.TlsClientAuth(),
      new URLSearchParams(),
      tls,
    );
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client');
    // Nor does a client that writes the header itself there: that server block clears it.
    const forged = await tlsFetch()(`${issuer.origin}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-ssl-client-cert': encodeURIComponent(certificate('client-ec')),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.client_id }).toString(),
    });
    assert.equal(forged.status, 401);
  });
});
