import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postgresAdmin, postgresUrl, redisUrl, uniqueName } from '../contract/servers.js';
import { orchestratorArgs, ROOT } from '../helpers/build.js';
import { freePort } from '../helpers/net.js';

export const ADMIN_PASSWORD = 'multinode correct horse battery';
/** Every node of one deployment must share the public URL, or tokens from one fail the `iss` check on another. */
export const ISSUER = 'http://orchestrator.multinode.test';
const MASTER_KEY = randomBytes(32).toString('base64');

export interface HttpAnswer {
  status: number;
  body: unknown;
  headers: Headers;
}

/** One real server process. */
export class ServerNode {
  #output = '';
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    readonly url: string,
    readonly process: ChildProcess,
  ) {
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-8_000);
    };
    process.stdout?.on('data', keep);
    process.stderr?.on('data', keep);
    this.exited = new Promise((done) => process.once('exit', (code) => done(code)));
  }

  get alive(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last lines the process wrote, for failure messages. */
  get output(): string {
    return this.#output;
  }

  async request(
    method: string,
    path: string,
    options: {
      headers?: Record<string, string>;
      json?: unknown;
      /** A form body (application/x-www-form-urlencoded), as the OAuth endpoints take. */
      form?: string;
      timeoutMs?: number;
    } = {},
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.json !== undefined) headers['content-type'] = 'application/json';
    if (options.form !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(this.url + path, {
      method,
      headers,
      body: options.json === undefined ? options.form : JSON.stringify(options.json),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
    const text = await response.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {}
    return { status: response.status, body, headers: response.headers };
  }
}

async function waitReady(node: ServerNode, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!node.alive) throw new Error(`${node.name} exited during start:\n${node.output}`);
    try {
      const answer = await node.request('GET', '/readyz', { timeoutMs: 1_000 });
      if (answer.status === 200 && (answer.body as { bus?: boolean }).bus === true) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${node.name} not ready within ${timeoutMs} ms:\n${node.output}`);
}

export interface Cluster {
  nodes: ServerNode[];
  databaseUrl: string;
  close(): Promise<void>;
}

/**
 * Starts `count` server processes at once over a fresh PostgreSQL database (so they also race to migrate it),
 * with Redis or without; `close` stops them and drops the database.
 */
export async function startCluster(options: {
  redis: boolean;
  count?: number;
  /** More environment for every node. */
  env?: Record<string, string>;
}): Promise<Cluster> {
  const database = uniqueName('multinode_');
  await postgresAdmin(`CREATE DATABASE ${database}`);
  const url = new URL(postgresUrl);
  url.pathname = `/${database}`;
  const databaseUrl = url.toString();
  const dataDir = mkdtempSync(join(tmpdir(), 'orchestrator-multinode-'));
  const nodes: ServerNode[] = [];
  for (let i = 0; i < (options.count ?? 2); i++) {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATA_DIR: join(dataDir, `node-${i}`),
      DATABASE_URL: databaseUrl,
      ORCHESTRATOR_MASTER_KEY: MASTER_KEY,
      ORCHESTRATOR_ADMIN_PASSWORD: ADMIN_PASSWORD,
      ISSUER,
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    if (options.redis) env.REDIS_URL = redisUrl;
    else delete env.REDIS_URL;
    const child = spawn(process.execPath, orchestratorArgs('start'), {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    nodes.push(new ServerNode(String.fromCharCode(65 + i), `http://127.0.0.1:${port}`, child));
  }
  const stopAll = async () => {
    await Promise.all(
      nodes.map(async (node) => {
        if (!node.alive) return;
        node.process.kill('SIGTERM');
        const timer = setTimeout(() => node.process.kill('SIGKILL'), 10_000);
        await node.exited;
        clearTimeout(timer);
      }),
    );
    await postgresAdmin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((node) => waitReady(node)));
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { nodes, databaseUrl, close: stopAll };
}

/** An operator signed in once; the session lives in the shared store, so it works on every node. */
export class Operator {
  private constructor(
    private readonly cookie: string,
    private readonly csrfToken: string,
  ) {}

  static async signIn(node: ServerNode, username = 'admin', password = ADMIN_PASSWORD): Promise<Operator> {
    const response = await fetch(`${node.url}/api/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (response.status !== 200)
      throw new Error(`sign-in failed: ${response.status} ${await response.text()}`);
    const cookie = (response.headers.getSetCookie()[0] ?? '').split(';')[0] ?? '';
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    return new Operator(cookie, csrfToken);
  }

  async call(node: ServerNode, method: string, path: string, json?: unknown): Promise<HttpAnswer> {
    return node.request(method, path, {
      headers: { cookie: this.cookie, 'x-csrf-token': this.csrfToken },
      json,
    });
  }

  /** Creates an account and returns its v1 key and v2 credentials. */
  async createAccount(
    node: ServerNode,
    accountId: string,
  ): Promise<{ apiKey: string; userId: string; password: string }> {
    const created = await this.call(node, 'POST', '/api/admin/accounts', { accountId });
    if (created.status !== 201) throw new Error(`account creation failed: ${JSON.stringify(created)}`);
    const page = await this.call(node, 'GET', `/api/admin/accounts/${accountId}/api-authorization`);
    const body = page.body as { apiKey: { key: string }; credentials: { userId: string; password: string } };
    return { apiKey: body.apiKey.key, userId: body.credentials.userId, password: body.credentials.password };
  }
}

/** The value at quantile `q` (nearest rank) of `samples`. */
export function quantile(samples: number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}
