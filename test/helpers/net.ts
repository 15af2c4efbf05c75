import { createServer } from 'node:net';

/** A loopback port nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

/** `Authorization: Basic` for a user ID and password, as a client sends it without form-encoding. */
export function basic(userId: string, password: string): string {
  return `Basic ${Buffer.from(`${userId}:${password}`).toString('base64')}`;
}

/** Waits until the server at `url` answers `GET /readyz` with 2xx (30 s at most). */
export async function untilReady(url: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the server did not become ready');
}

/** The environment of a server process of the tests' own: the caller's, with a data folder, port and password. */
export function serverEnv(
  dataDir: string,
  port: number,
  adminPassword: string,
  extra: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DATA_DIR: dataDir,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    ORCHESTRATOR_ADMIN_PASSWORD: adminPassword,
    ...extra,
  };
}
