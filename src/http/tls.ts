import type { Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';

/**
 * The suites the node's HTTPS offers: TLS 1.3's, and for TLS 1.2 those of Mozilla's "intermediate" profile — forward
 * secrecy and authenticated encryption only (Node's defaults also take CBC suites without forward secrecy).
 */
const CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** A certificate (chain) and its private key, PEM. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * The secure context of the node's HTTPS, the same at start and at each reload (SIGHUP). With `clientCaNames` (PEM
 * CA certificates), the certificate request names those CAs, for client stacks that offer only a certificate from a
 * CA the server names; whoever issued it, a certificate is taken all the same (`rejectUnauthorized: false`).
 */
export function tlsContextOptions(
  files: TlsFiles,
  clientCaNames: readonly string[] = [],
): SecureContextOptions {
  return {
    ...files,
    minVersion: 'TLSv1.2',
    ciphers: CIPHERS,
    honorCipherOrder: true,
    ...(clientCaNames.length > 0 && { ca: [...clientCaNames] }),
  };
}

/** Every TCP connection of an HTTPS server, handshakes under way included (which its HTTP layer does not know of). */
const connections = new WeakMap<HttpServer, Set<Socket>>();

/**
 * An HTTPS server for Fastify: TLS 1.2 at least, the suites above; a client's certificate, when asked for, taken whoever
 * issued it (it is compared with the accounts' registered ones); no renegotiation; a handshake has 10 seconds. Its
 * timeouts are those Fastify gives its own servers, so HTTP and HTTPS nodes behave alike.
 */
export function httpsServerFactory(
  tls: TlsFiles & { requestClientCertificates: boolean; clientCaNames?: readonly string[] },
) {
  return (handler: Parameters<typeof createHttpsServer>[1]): HttpServer => {
    const server = createHttpsServer(
      {
        ...tlsContextOptions(tls, tls.clientCaNames),
        requestCert: tls.requestClientCertificates,
        rejectUnauthorized: false,
        handshakeTimeout: 10_000,
      },
      handler,
    );
    server.keepAliveTimeout = 72_000;
    server.requestTimeout = 0;
    // A connection's certificate is read once: a client may not present another one later in it.
    server.on('secureConnection', (socket) => socket.disableRenegotiation());
    const open = new Set<Socket>();
    server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    // Fastify drives it as it drives an HTTP server (listen, close, connections).
    const asHttp = server as unknown as HttpServer;
    connections.set(asHttp, open);
    return asHttp;
  };
}

/** Ends every connection of an HTTPS server made here, handshakes under way too (the end of a shutdown's wait). */
export function destroyTlsConnections(server: HttpServer): void {
  for (const socket of connections.get(server) ?? []) socket.destroy();
}
