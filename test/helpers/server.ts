import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, startServer } from '../../src/main.js';
import { freePort } from './net.js';

export { freePort } from './net.js';

export const SERVER_ADMIN_PASSWORD = 'integration-admin-password';

/**
 * A real node listening on a free loopback port, over SQLite in a temporary DATA_DIR. With `localhostIssuer`, its
 * ISSUER is `http://localhost:<port>`: passkeys (WebAuthn) need a domain name, where the default names 127.0.0.1.
 * With `port` (from `freePort()`), it listens there: a test that must know ISSUER before the server starts (to
 * register its single sign-on callback at a provider) takes the port first.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { localhostIssuer?: boolean; port?: number } = {},
): Promise<{
  server: RunningServer;
  url: string;
  /** The server's ISSUER, the origin a browser must use for passkeys. */
  issuer: string;
  logs: string[];
  stop(): Promise<void>;
}> {
  const dataDir = mkdtempSync(join(tmpdir(), 'orchestrator-test-'));
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const port = options.port ?? (await freePort());
  const base = loadConfig({
    PORT: String(port),
    DATA_DIR: dataDir,
    ORCHESTRATOR_ADMIN_PASSWORD: SERVER_ADMIN_PASSWORD,
    ORCHESTRATOR_MASTER_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'info',
    ...(options.localhostIssuer ? { ISSUER: `http://localhost:${port}` } : {}),
    ...env,
  });
  const server = await startServer(base, stream);
  const url = server.url;
  return {
    server,
    url,
    issuer: base.issuer,
    logs,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
