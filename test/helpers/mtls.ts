import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import type { App } from '../../src/http/types.js';

/** The header the test apps' TLS proxy forwards clients' certificates in (CLIENT_CERT_HEADER). */
export const CLIENT_CERT_HEADER = 'client-cert';

/**
 * A certificate of test/fixtures/mtls (PEM), made for these tests with `openssl ca -selfsign`: valid from 2025 to
 * the end of 2045. `client-ec`, `other-ec` (P-256), `client-ed25519`, `client-rsa` (2,048 bits), `client-p384`.
 */
export const certificate = (name: string): string =>
  readFileSync(new URL(`../fixtures/mtls/${name}.pem`, import.meta.url), 'utf8');

/** A certificate's base64 DER, as a JWK's x5c holds it. */
export const der = (pem: string): string => new X509Certificate(pem).raw.toString('base64');

/** RFC 8705 §3.1 x5t#S256. */
export const thumbprint = (pem: string): string =>
  createHash('sha256').update(new X509Certificate(pem).raw).digest('base64url');

/** RFC 9440 Client-Cert: the DER certificate as a structured-field byte sequence. */
export const clientCert = (pem: string): string => `:${der(pem)}:`;

/** A form body's content type, as token requests send it. */
const FORM = 'application/x-www-form-urlencoded';

/**
 * Requests through the test apps' TLS proxy: from its address (or `from`), forwarding `certificate` in
 * CLIENT_CERT_HEADER (none: no header), with a form body when there is a payload.
 */
export function viaProxyOf(app: () => App, proxy = '10.1.2.3') {
  return (
    method: 'GET' | 'POST',
    url: string,
    options: { certificate?: string; headers?: Record<string, string>; payload?: string; from?: string } = {},
  ) =>
    app().inject({
      method,
      url,
      remoteAddress: options.from ?? proxy,
      headers: {
        ...(options.certificate === undefined ? {} : { [CLIENT_CERT_HEADER]: options.certificate }),
        ...(options.payload === undefined ? {} : { 'content-type': FORM }),
        ...options.headers,
      },
      ...(options.payload === undefined ? {} : { payload: options.payload }),
    });
}

/** A client's certificate and key, as its TLS connections present them. */
export interface ClientTls {
  cert: Buffer;
  key: Buffer;
}
export const clientTls = (name: string): ClientTls => ({
  cert: readFileSync(new URL(`../fixtures/mtls/${name}.pem`, import.meta.url)),
  key: readFileSync(new URL(`../fixtures/mtls/${name}.key`, import.meta.url)),
});

/** The certificate of the test TLS servers (nginx's, the server's own): `CN=localhost`, for 127.0.0.1 too. */
const SERVER_CA = readFileSync(new URL('../fixtures/mtls/server.pem', import.meta.url));

/**
 * A `fetch` for oauth4webapi over a TLS connection of its own (no connection reuse), presenting `client`'s certificate
 * when given, trusting `ca` (the test servers' certificate by default).
 */
export function tlsFetch(client?: ClientTls, ca: Buffer | Buffer[] = SERVER_CA) {
  return (
    url: string,
    options: { method?: string; headers?: ConstructorParameters<typeof Headers>[0]; body?: unknown },
  ) =>
    new Promise<Response>((resolve, reject) => {
      const headers = Object.fromEntries(new Headers(options.headers).entries());
      const outgoing = httpsRequest(
        url,
        { method: options.method ?? 'GET', headers, ca, agent: false, ...client },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const answer = new Headers();
            for (const [name, value] of Object.entries(incoming.headers))
              for (const one of [value ?? []].flat()) answer.append(name, one);
            const status = incoming.statusCode ?? 500;
            resolve(new Response(status === 204 ? null : Buffer.concat(chunks), { status, headers: answer }));
          });
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      if (options.body !== undefined && options.body !== null) outgoing.write(String(options.body));
      outgoing.end();
    });
}
