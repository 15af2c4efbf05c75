import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseQuery } from 'fast-querystring';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { Type } from 'typebox';
import { certificateThumbprint } from '../../src/core/auth/certificate.js';
import { answerEach, TurnBatch } from '../../src/core/turn-batch.js';
import type { RouteModule } from '../../src/http/server.js';
import { signJws } from '../../src/services/jws-signing.js';
import { issueBenchToken, type Scenario } from '../scenario.js';

const probes: RouteModule = async (app, { auth }) => {
  const params = Type.Object({ accountId: Type.String() });
  app.get('/bench/open/account/:accountId', { schema: { hide: true, params } }, async () => ({
    hello: 'world',
  }));
  app.get(
    '/bench/hooked/account/:accountId',
    { onRequest: (_request, _reply, done) => done(), schema: { hide: true, params } },
    async () => ({ hello: 'world' }),
  );
  app.get(
    '/bench/v1/account/:accountId',
    { onRequest: auth.v1(), schema: { hide: true, params } },
    async () => ({
      hello: 'world',
    }),
  );
  app.get(
    '/bench/v2/account/:accountId',
    { onRequest: auth.v2('context:read'), schema: { hide: true, params } },
    async () => ({
      hello: 'world',
    }),
  );
};

async function account(services: Parameters<Scenario['setup']>[0]) {
  const accountId = 'bench-auth';
  if (!(await services.ctx.store.accounts.getAccount(accountId))) await services.accounts.create(accountId);
  const key = await services.apiKeys.reveal(accountId);
  const client = await services.clients.reveal(accountId);
  if (!key || !client) throw new Error('bench account has no secrets');
  return { accountId, key: key.key, client };
}

/** A self-signed client certificate (EC P-256, valid 2025–2045), as a client of mutual TLS presents it. */
const CLIENT_CERTIFICATE = [
  '-----BEGIN CERTIFICATE-----',
  'MIIBDzCBtgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAljbGllbnQtZWMwHhcN',
  'MjUwMTAxMDAwMDAwWhcNNDUxMjMxMjM1OTU5WjAUMRIwEAYDVQQDDAljbGllbnQt',
  'ZWMwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQXQFSjQTMAnQI174Jy/dG88AH1',
  'HHatgxsf0t7uWtlGgeKeas1ly/JVo+bEQaAUFYzv32WAK0wkPE+MdBF+rMJQMAoG',
  'CCqGSM49BAMCA0gAMEUCIQC8a8ADdHnVl87PBOpo+Jr6QhHvJcywj+WAULqBrJ1t',
  'JAIgFRYYz4K4cXZccFwOdLCahlGSnhBdCrR9XAeYh7MG85Y=',
  '-----END CERTIFICATE-----',
].join('\n');

export const authScenarios: Scenario[] = [
  {
    name: 'app-open',
    description: 'a hello-world route with no credential on the full server (framework overhead)',
    routes: probes,
    async setup() {
      return { method: 'GET', path: '/bench/open/account/x' };
    },
  },
  {
    name: 'app-hooked',
    description: 'a hello-world route with a route-level onRequest hook that does nothing (hook overhead)',
    routes: probes,
    async setup() {
      return { method: 'GET', path: '/bench/hooked/account/x' };
    },
  },
  {
    name: 'v1-key-hook',
    description: 'a hello-world route behind the v1 API key hook',
    goal: { ratio: 0.85 },
    routes: probes,
    async setup(services) {
      const { accountId, key } = await account(services);
      return { method: 'GET', path: `/bench/v1/account/${accountId}`, headers: { 'maven-api-key': key } };
    },
  },
  {
    name: 'v2-bearer-hook',
    description: 'a hello-world route behind the v2 bearer-token hook',
    goal: { ratio: 0.85 },
    routes: probes,
    async setup(services) {
      const { accountId } = await account(services);
      const token = await issueBenchToken(services, accountId, ['context:read']);
      return {
        method: 'GET',
        path: `/bench/v2/account/${accountId}`,
        headers: { authorization: `Bearer ${token}` },
      };
    },
  },
  {
    name: 'v2-dpop-hook',
    description:
      'v2-bearer-hook with a token bound to a key (DPoP, RFC 9449): a new ES256 proof on every request, verified, its jti stored once',
    routes: probes,
    async setup(services) {
      const { accountId, client } = await account(services);
      const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const version = await services.clients.currentVersion(accountId);
      if (typeof version !== 'number') throw new Error('bench account has no active client');
      const jkt = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as JWK);
      const token = (
        await services.tokens.issue(accountId, client.userId, version, ['context:read'], 'client', {
          jkt,
          x5t: null,
        })
      ).token;
      const path = `/bench/v2/account/${accountId}`;
      return {
        method: 'GET',
        path,
        headers: { authorization: `DPoP ${token}` },
        dpop: {
          privateJwk: privateKey.export({ format: 'jwk' }) as Record<string, unknown>,
          htu: `${services.ctx.settings.issuer}${path}`,
          token,
        },
      };
    },
  },
  {
    name: 'v2-mtls-hook',
    description:
      'v2-bearer-hook with a token bound to a client certificate (mutual TLS, RFC 8705), forwarded by a TLS proxy in a header (URL-encoded PEM, as nginx writes it) and compared with the token’s on every request',
    routes: probes,
    env: { CLIENT_CERT_HEADER: 'x-ssl-client-cert', CLIENT_CERT_PROXIES: '127.0.0.1' },
    async setup(services) {
      const { accountId, client } = await account(services);
      const pem = CLIENT_CERTIFICATE;
      const version = await services.clients.currentVersion(accountId);
      if (typeof version !== 'number') throw new Error('bench account has no active client');
      const der = new X509Certificate(pem).raw;
      // Registered as one of the account's keys: a token bound to a certificate holds only while it is.
      await services.clients.keys.add(accountId, { x5c: [der.toString('base64')] });
      const x5t = certificateThumbprint(der);
      const token = (
        await services.tokens.issue(accountId, client.userId, version, ['context:read'], 'client', {
          jkt: null,
          x5t,
        })
      ).token;
      return {
        method: 'GET',
        path: `/bench/v2/account/${accountId}`,
        headers: { authorization: `Bearer ${token}`, 'x-ssl-client-cert': encodeURIComponent(pem) },
      };
    },
  },
  {
    name: 'v1-key-hook-rated',
    description:
      'v1-key-hook with a request rate of the account’s own (50,000/s, never reached): the rate’s cost (with --redis, shared by the nodes)',
    routes: probes,
    async setup(services) {
      const { accountId, key } = await account(services);
      await services.accountLimits.setRate(accountId, { perSecond: 50_000, burst: 50_000 });
      return { method: 'GET', path: `/bench/v1/account/${accountId}`, headers: { 'maven-api-key': key } };
    },
  },
  tokenScenario('oauth-token', 'EdDSA'),
  tokenScenario('oauth-token-es256', 'ES256'),
  {
    name: 'oauth-token-tls-client-auth',
    description:
      'token issuance at POST /oauth/token by client_id and a certificate a trusted CA issued to the account’s subject (tls_client_auth, RFC 8705 §2.1), forwarded by a TLS proxy, checked against the CA’s CRL; the token bound to it',
    env: {
      CLIENT_CERT_HEADER: 'x-ssl-client-cert',
      CLIENT_CERT_PROXIES: '127.0.0.1',
      CLIENT_CA_FILE: resolve('test/fixtures/pki/issuing.pem'),
      CLIENT_CRL_FILE: resolve('test/fixtures/pki/crl.pem'),
    },
    async setup(services) {
      const { accountId, client } = await account(services);
      await services.clients.keys.addSubject(accountId, { tls_client_auth_san_dns: 'billing.acme.example' });
      return {
        method: 'POST',
        path: '/oauth/token',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'x-ssl-client-cert': encodeURIComponent(
            readFileSync(resolve('test/fixtures/pki/billing.pem'), 'utf8'),
          ),
        },
        body: `grant_type=client_credentials&client_id=${encodeURIComponent(client.userId)}`,
      };
    },
  },
  signingFloor('floor-token', 'EdDSA'),
  signingFloor('floor-token-es256', 'ES256'),
];

/** Token issuance, signing with the given algorithm (the default key is Ed25519; ES256 after a rotation). */
function tokenScenario(name: string, alg: 'EdDSA' | 'ES256'): Scenario {
  return {
    name,
    description: `token issuance at POST /oauth/token (client_secret_basic), ${alg === 'EdDSA' ? 'Ed25519' : 'ES256'} signatures`,
    goal: { ratio: 0.35 },
    async setup(services) {
      const { client } = await account(services);
      if (alg === 'ES256') await services.keyring.rotate(0, 'ES256');
      const signing = await services.keyring.signingKey();
      if (signing.alg !== alg) throw new Error(`bench setup: signing with ${signing.alg}, not ${alg}`);
      return {
        method: 'POST',
        path: '/oauth/token',
        headers: {
          authorization: `Basic ${Buffer.from(`${client.userId}:${client.password}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      };
    },
  };
}

/**
 * The least a token endpoint must do, on a bare Fastify server: read a form body, build the claims, sign them
 * (one signature per token, with the node's own signing function, so Ed25519 through libsodium; the
 * signatures of one event-loop turn together, as the node does, which is cheaper than one at a time) and
 * answer JSON. No client check, no store, no logging: the ratio it reaches is the most that an implementation
 * signing each token with this algorithm and library can reach on this machine.
 */
function signingFloor(name: string, alg: 'EdDSA' | 'ES256'): Scenario {
  const label = alg === 'EdDSA' ? 'Ed25519' : 'ES256';
  return {
    name,
    description: `floor: a bare Fastify route that reads a form and signs one ${label} JWT (no node)`,
    setup: () => Promise.reject(new Error(`${name} runs on a bare server`)),
    bare(app) {
      const { privateKey } =
        alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
      const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid: 'k1' })).toString('base64url');
      app.addContentTypeParser(
        'application/x-www-form-urlencoded',
        { parseAs: 'string' },
        (_request, body, done) => done(null, parseQuery(body as string)),
      );
      const signer = new TurnBatch<string, string>((batch) =>
        answerEach(batch, (input) => signJws({ alg, privateKey }, input)),
      );
      app.post('/token', async (request) => {
        const form = request.body as Record<string, unknown>;
        const iat = Math.floor(Date.now() / 1000);
        const claims = {
          iss: 'http://127.0.0.1:8080',
          sub: 'bench-auth',
          aud: 'http://127.0.0.1:8080',
          client_id: 'client-1',
          scope: String(form.scope ?? 'context:read'),
          jti: randomBytes(16).toString('base64url'),
          iat,
          exp: iat + 3600,
        };
        const input = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
        const signature = await signer.add(input);
        return {
          access_token: `${input}.${signature}`,
          token_type: 'Bearer',
          expires_in: 3600,
        };
      });
      return {
        method: 'POST',
        path: '/token',
        headers: {
          authorization: `Basic ${Buffer.from('client-1:secret').toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials',
      };
    },
  };
}
