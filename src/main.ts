import { randomBytes, randomUUID, X509Certificate } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import { type Logger as PinoLogger, pino } from 'pino';
import { MemoryRateLimitStore } from './adapters/memory/rate-limit.js';
import { withContextCache } from './adapters/shared/context-cache.js';
import { SqlitePollingBus } from './adapters/sqlite/bus.js';
import { type DataDirLock, DataDirLockedError, lockDataDir } from './adapters/sqlite/data-dir-lock.js';
import { createSqliteStore, pendingSqliteMigrations, SQLITE_FILE } from './adapters/sqlite/store.js';
import type { Config } from './config/config.js';
import { UnsealError } from './core/auth/sealing.js';
import { parseTrustedCas, type TrustedCa, viewOfTrustedCa } from './core/auth/trusted-cas.js';
import { type WatchedFiles, watchFiles } from './file-watch.js';
import { loggerOptions } from './http/logging.js';
import { tlsContextOptions } from './http/tls.js';
import type { App } from './http/types.js';
import type { InvalidationBus } from './ports/bus.js';
import type { RateLimitStore } from './ports/rate-limit.js';
import type { SharedBuckets } from './ports/shared-buckets.js';
import type { Store } from './ports/store.js';
import type { ServiceContext, SigningPlace } from './services/context.js';
import { startMaintenance } from './services/maintenance.js';
import { type AppServices, createAppServices } from './services/services.js';

/**
 * Randomness from the operating system's CSPRNG, drawn 4 KiB at a time: a token's id and a sealing IV
 * then cost a copy instead of a system call each.
 */
function pooledRandom(): ServiceContext['random'] {
  let pool = randomBytes(4096);
  let offset = 0;
  return {
    bytes(size) {
      if (size > 256) return randomBytes(size);
      if (offset + size > pool.length) {
        pool = randomBytes(4096);
        offset = 0;
      }
      const out = Buffer.from(pool.subarray(offset, offset + size));
      // Never hand out the same bytes twice.
      pool.fill(0, offset, offset + size);
      offset += size;
      return out;
    },
    uuid: () => randomUUID(),
  };
}

/** Everything a node runs on: built by the server and by every CLI command alike. */
export interface Runtime {
  config: Config;
  services: AppServices;
  logger: PinoLogger;
  close(): Promise<void>;
}

export class StartupError extends Error {
  override name = 'StartupError';
}

/** Reads DATA_DIR/master.key, creating it (mode 0600) on first start, unless the key comes from the environment. */
/** Where a node without ORCHESTRATOR_MASTER_KEY keeps its master key. */
export const masterKeyFile = (dataDir: string): string => join(dataDir, 'master.key');

/** The key a `master.key` file holds (32 bytes, base64); refuses anything else. */
export function readMasterKeyFile(file: string): Buffer {
  const key = Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== 32) throw new StartupError(`${file} does not hold a 32-byte base64 key`);
  return key;
}

export function loadMasterKey(config: Config): Buffer {
  if (config.masterKey) return config.masterKey;
  if (config.databaseUrl) {
    throw new StartupError(
      'ORCHESTRATOR_MASTER_KEY is required with DATABASE_URL: every node must seal and unseal with the same key',
    );
  }
  const file = masterKeyFile(config.dataDir);
  if (existsSync(file)) return readMasterKeyFile(file);
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return key;
}

interface Infrastructure {
  store: Store;
  bus: InvalidationBus;
  rateLimits: RateLimitStore;
  /** With Redis: the accounts' request rates, counted once for every node. */
  sharedBuckets?: SharedBuckets;
}

/**
 * Chooses the adapters: the only place that knows which ones run. DATABASE_URL puts durable state in
 * PostgreSQL; REDIS_URL shares rate limits (sign-in guards and the accounts' request rates) and invalidations
 * through Redis, else PostgreSQL LISTEN/NOTIFY carries the invalidations (rate limits then stay per node).
 */
async function openInfrastructure(config: Config, role: Role): Promise<Infrastructure> {
  mkdirSync(config.dataDir, { recursive: true });
  const sqliteFile = join(config.dataDir, SQLITE_FILE);
  // PostgreSQL's and Redis's clients are loaded only when configured (a tenth of a second each at start).
  const store = config.databaseUrl
    ? await (await import('./adapters/postgres/store.js')).createPostgresStore(config.databaseUrl, {
        statementTimeoutMs: config.databaseStatementTimeoutMs,
      })
    : role === 'server'
      ? serverSqliteStore(config, sqliteFile)
      : cliSqliteStore(config, sqliteFile);
  if (config.redisUrl) {
    const { RedisBus } = await import('./adapters/redis/bus.js');
    const { RedisRateLimitStore } = await import('./adapters/redis/rate-limit.js');
    const rateLimits = new RedisRateLimitStore(config.redisUrl, { keyPrefix: `${config.redisPrefix}rl:` });
    // The rate-limit port has no close: its connection goes with the store's.
    const close = async () => {
      await rateLimits.close();
      await store.close();
    };
    return {
      store: { ...store, close },
      bus: new RedisBus(config.redisUrl, { channel: `${config.redisPrefix}invalidate` }),
      rateLimits,
      sharedBuckets: rateLimits,
    };
  }
  // On SQLite the CLI is a second process on the same file: the table-polling bus reaches the server too.
  const bus = config.databaseUrl
    ? new (await import('./adapters/postgres/bus.js')).PostgresBus(config.databaseUrl)
    : new SqlitePollingBus(sqliteFile);
  return { store, bus, rateLimits: new MemoryRateLimitStore() };
}

/**
 * A server's SQLite store: the server locks the data folder, which makes it the only writer of the context
 * documents, so that they can be cached in front of the file (CONTEXT_CACHE_MB).
 */
function serverSqliteStore(config: Config, file: string): Store {
  let lock: DataDirLock;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError) throw new StartupError(error.message);
    throw error;
  }
  let store: Store;
  try {
    store = createSqliteStore(file, { policyLogThread: onThreads(config.policyLogThread) });
  } catch (error) {
    lock.release();
    throw error;
  }
  const close = async () => {
    await store.close();
    lock.release();
  };
  const served =
    config.contextCacheMb === 0 ? store : withContextCache(store, config.contextCacheMb * 1_000_000);
  return { ...served, close };
}

/**
 * A CLI command's SQLite store. The command runs beside the folder's server, if one runs; but it must not
 * upgrade the folder's schema under a running server of an older version (the only kind of running server
 * that leaves migrations to apply, since a server applies its own at start), so then it refuses. Otherwise it
 * migrates while holding the folder's lock, so that no server starts half-way.
 */
function cliSqliteStore(config: Config, file: string): Store {
  const pending = pendingSqliteMigrations(file);
  if (pending.length === 0) return createSqliteStore(file, { moveOldPolicyLogs: false });
  let lock: DataDirLock;
  try {
    lock = lockDataDir(config.dataDir);
  } catch (error) {
    if (error instanceof DataDirLockedError)
      throw new StartupError(
        `the server running on ${config.dataDir} is of an older version than this command, which would ` +
          `upgrade the folder under it (${pending.join(', ')}). Stop the server and start this version (it ` +
          "upgrades the folder), or use the server's own version of the command",
      );
    throw error;
  }
  try {
    return createSqliteStore(file, { moveOldPolicyLogs: false });
  } finally {
    lock.release();
  }
}

/** `SIGNING_THREADS`: tokens are signed on a thread of their own (`auto`: when there is a core for it). */
function signingPlace(setting: 'auto' | boolean): SigningPlace {
  return onThreads(setting) ? 'thread' : 'event-loop';
}

/**
 * CLIENT_CA_FILE's CAs, with their CRLs from CLIENT_CRL_FILE when it is set, read at start and on SIGHUP; null
 * without it. A CA out of its dates, or a CRL out of date, is said in the log: it vouches for no certificate then.
 */
async function loadTrustedCas(config: Config, logger: PinoLogger): Promise<TrustedCa[] | null> {
  if (config.clientCaFile === null) return null;
  const { clientCaFile, clientCrlFile } = config;
  try {
    return await readTrustedCas({ clientCaFile, clientCrlFile }, logger, 'start');
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}

async function readTrustedCas(
  files: { clientCaFile: string; clientCrlFile: string | null },
  logger: PinoLogger,
  when: 'start' | 'again',
): Promise<TrustedCa[]> {
  const cas = await readClientCas(files);
  const withCrls = files.clientCrlFile !== null;
  logger.info(
    { file: files.clientCaFile, cas: cas.map((ca) => ca.subject), crlFile: files.clientCrlFile ?? undefined },
    when === 'start'
      ? `client certificates these CAs issue authenticate accounts by their subject (CLIENT_CA_FILE)${withCrls ? ', unless their CRL revokes them (CLIENT_CRL_FILE)' : ''}`
      : `${withCrls ? 'CLIENT_CA_FILE and CLIENT_CRL_FILE' : 'CLIENT_CA_FILE'} read again: client certificates are checked against these CAs${withCrls ? ' and their CRLs' : ''}`,
  );
  const now = Date.now();
  for (const ca of cas) {
    const view = viewOfTrustedCa(ca, now);
    if (!view.current)
      logger.warn(
        { subject: ca.subject, notBefore: new Date(ca.notBefore), notAfter: new Date(ca.notAfter) },
        'a CA of CLIENT_CA_FILE is out of its dates: no client certificate it issued is taken',
      );
    if (view.crl)
      logger[view.crl.current ? 'info' : 'warn'](
        {
          subject: ca.subject,
          thisUpdate: new Date(view.crl.thisUpdate),
          nextUpdate: new Date(view.crl.nextUpdate),
          revoked: view.crl.revoked,
        },
        view.crl.current
          ? "a CA's CRL (CLIENT_CRL_FILE)"
          : "a CA's CRL in CLIENT_CRL_FILE is out of date: no client certificate that CA issued is taken until a later one is read",
      );
  }
  return cas;
}

/**
 * The CAs of a CLIENT_CA_FILE, with their CRLs from a CLIENT_CRL_FILE, as a node reads them (the server, and
 * `client-ca check` before a SIGHUP); an Error that names the file and says what is wrong with it.
 */
export async function readClientCas({
  clientCaFile,
  clientCrlFile,
}: {
  clientCaFile: string;
  clientCrlFile: string | null;
}): Promise<TrustedCa[]> {
  let cas: TrustedCa[];
  try {
    cas = parseTrustedCas(readFileSync(clientCaFile, 'utf8'));
  } catch (error) {
    throw new Error(`CLIENT_CA_FILE (${clientCaFile}): ${(error as Error).message}`);
  }
  if (clientCrlFile === null) return cas;
  // The ASN.1 reader is loaded only by a node that reads CRLs.
  const { withRevocationLists } = await import('./core/auth/revocation-lists.js');
  try {
    return withRevocationLists(cas, readFileSync(clientCrlFile, 'utf8'));
  } catch (error) {
    throw new Error(`CLIENT_CRL_FILE (${clientCrlFile}): ${(error as Error).message}`);
  }
}

/** A TLS certificate is warned of this long before it ends, at start and at each reading. */
const TLS_EXPIRY_WARNING_MS = 14 * 86_400_000;

/**
 * The subject and end of the certificate a node serves (the first of its PEM chain), as GET /metrics shows them;
 * one that ends within 14 days, or has ended, is said in the log.
 */
function servedCertificateOf(cert: Buffer, logger: PinoLogger): { subject: string; notAfter: number } {
  const certificate = new X509Certificate(cert);
  const served = {
    subject: (certificate.subject ?? '').replaceAll('\n', ', '),
    notAfter: Date.parse(certificate.validTo),
  };
  const left = served.notAfter - Date.now();
  if (left < TLS_EXPIRY_WARNING_MS)
    logger.warn(
      { subject: served.subject, notAfter: new Date(served.notAfter), days: Math.ceil(left / 86_400_000) },
      left < 0 ? 'the TLS certificate has ended: renew it' : 'the TLS certificate ends soon: renew it',
    );
  return served;
}

/** `auto`: work goes to another thread when the process may run on more than one core. */
function onThreads(setting: 'auto' | boolean): boolean {
  return setting === 'auto' ? availableParallelism() > 1 : setting;
}

/**
 * What the process is: a `server` (one per SQLite data folder, which it locks) or a `cli` command, which may
 * run beside a server on the same folder.
 */
export type Role = 'server' | 'cli';

/** Opens the store and builds the services; checks that the master key opens what the store holds. */
export async function openRuntime(
  config: Config,
  logStream?: NodeJS.WritableStream,
  role: Role = 'cli',
): Promise<Runtime> {
  const logger = pino(
    loggerOptions(config.logLevel, logStream) as pino.LoggerOptions,
    logStream ?? process.stdout,
  );
  const masterKey = loadMasterKey(config);
  const trustedCas = await loadTrustedCas(config, logger);
  const infra = await openInfrastructure(config, role);
  const ctx: ServiceContext = {
    ...infra,
    clock: { now: () => Date.now() },
    random: pooledRandom(),
    log: logger,
    masterKey,
    previousMasterKey: config.previousMasterKey,
    settings: {
      issuer: config.issuer,
      tokenTtlSeconds: config.tokenTtlSeconds,
      contextMaxRetentionSeconds: config.contextMaxRetentionSeconds,
      signingPlace: signingPlace(config.signingThreads),
      auditRetentionMs: config.auditRetentionDays * 86_400_000,
      signingKeyRotationMs: config.signingKeyRotationDays * 86_400_000,
      dpopNonce: config.dpopNonce,
      operatorSessions: {
        lifetimeMs: config.operatorSessions.hours * 3_600_000,
        idleMs: config.operatorSessions.idleMinutes * 60_000,
      },
      operatorTotp: config.operatorTotp,
      operatorSso: config.operatorSso,
      operatorPasswordSignIn: config.operatorPasswordSignIn,
      accountRate: config.accountRate,
      adminNetworks: config.adminNetworks,
      clientCertificates: config.clientCertificates,
      mtlsBaseUrl: config.mtlsBaseUrl,
      clientAssertionAudience: config.clientAssertionAudience,
      clientOcsp: config.clientOcsp,
      tlsClientCertificates: config.tls?.clientCertificates ?? false,
      trustedCas,
      ...(config.backups && {
        backups: {
          folder: config.backups.folder,
          intervalMs: config.backups.intervalSeconds * 1000,
          keep: config.backups.keep,
          policyLogs: config.backups.policyLogs,
          command: config.backups.command,
        },
      }),
    },
  };
  const services = createAppServices(ctx);
  try {
    await services.keyring.signingKey();
  } catch (error) {
    await infra.store.close();
    if (error instanceof UnsealError) {
      throw new StartupError(
        'the master key does not open the secrets in this store; restore the key it was created with ' +
          '(in the middle of a rotation: set ORCHESTRATOR_MASTER_KEY_PREVIOUS too, see docs/operations.md)',
      );
    }
    throw error;
  }
  return {
    config,
    services,
    logger,
    close: async () => {
      await services.policies.flushLogs();
      await services.tokens.close();
      await infra.bus.close();
      await infra.store.close();
    },
  };
}

export interface RunningServer {
  app: App;
  runtime: Runtime;
  url: string;
  /**
   * With TLS_CERT_FILE: reads the certificate and key files again and serves new connections with them (SIGHUP);
   * false, and the ones in use kept, when they do not read or do not go together (logged).
   */
  reloadTls(): Promise<boolean>;
  /**
   * With CLIENT_CA_FILE: reads the CAs again (SIGHUP), and their CRLs (CLIENT_CRL_FILE). Tokens issued under a CA no
   * longer in the file, or to a certificate now revoked, are refused from then on; false, and the CAs and CRLs in use
   * kept, when a file does not read or is refused (logged).
   */
  reloadClientCas(): Promise<boolean>;
  stop(): Promise<void>;
}

/** The TLS certificate (chain) and key files, read and checked as a pair; a StartupError says why they cannot be. */
function readTlsFiles(tls: NonNullable<Config['tls']>): { cert: Buffer; key: Buffer } {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(tls.certFile);
    key = readFileSync(tls.keyFile);
  } catch (error) {
    throw new StartupError(`TLS_CERT_FILE / TLS_KEY_FILE cannot be read: ${(error as Error).message}`);
  }
  try {
    createSecureContext(tlsContextOptions({ cert, key }));
  } catch (error) {
    throw new StartupError(
      `TLS_CERT_FILE and TLS_KEY_FILE are not a PEM certificate and its private key: ${(error as Error).message}`,
    );
  }
  return { cert, key };
}

/** Starts a node: bootstrap, HTTP server, background maintenance; stops gracefully. */
export async function startServer(config: Config, logStream?: NodeJS.WritableStream): Promise<RunningServer> {
  // Read first: a certificate that cannot serve stops the start before the store is opened.
  const tls = config.tls ? readTlsFiles(config.tls) : null;
  const runtime = await openRuntime(config, logStream, 'server');
  const { services, logger } = runtime;
  const bootstrap = await services.operators.bootstrap(config.adminPassword);
  if (bootstrap.generatedPassword) {
    const file = join(config.dataDir, 'initial-admin-password');
    writeFileSync(file, `${bootstrap.generatedPassword}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    // Printed once, on purpose, to the console (not the JSON log): the operator needs it to sign in.
    process.stderr.write(
      `\nCreated the operator "admin". Its password: ${bootstrap.generatedPassword}\n(also in ${file}, mode 0600)\n\n`,
    );
  }
  if (config.tls && config.trustProxy !== false)
    // Serving HTTPS itself, the node is usually reached directly: the X-Forwarded-For it believes is the client's own.
    logger.warn(
      { trustProxy: config.trustProxy },
      'TLS_CERT_FILE with TRUST_PROXY: clients that reach this node directly choose the address it sees; set TRUST_PROXY=false unless a proxy that writes X-Forwarded-For stands in front',
    );
  if (config.tls && (statSync(config.tls.keyFile).mode & 0o077) !== 0)
    logger.warn(
      { keyFile: config.tls.keyFile },
      "TLS_KEY_FILE can be read by other users of this machine: make it readable by the service's user alone (chmod 600)",
    );
  if (config.trustProxy === true)
    // Kept for compatibility; it believes the left-most X-Forwarded-For address, which a client writes itself
    // whenever the proxy appends to the header.
    logger.warn(
      { trustProxy: true },
      'TRUST_PROXY=true believes any X-Forwarded-For address a client writes; set the number of proxies (1) or their networks',
    );
  // The HTTP server (Fastify and every route) is loaded by the server alone, not by each CLI command.
  const { buildServer, closeServer } = await import('./http/server.js');
  /** With TLS_CLIENT_CA_NAMES, the CAs the certificate request names: those trusted now. */
  const clientCaNames = () =>
    config.tls?.clientCaNames ? services.clients.keys.trustedCas.map((ca) => ca.certificate.toString()) : [];
  let tlsFiles = tls;
  let served = tls ? servedCertificateOf(tls.cert, logger) : null;
  /** New connections get these files, naming the CAs trusted now. */
  const serveTls = (files: { cert: Buffer; key: Buffer }) => {
    (app.server as unknown as TlsServer).setSecureContext(tlsContextOptions(files, clientCaNames()));
    if (files !== tlsFiles) served = servedCertificateOf(files.cert, logger);
    tlsFiles = files;
  };
  const app = await buildServer(services, {
    logger,
    trustProxy: config.trustProxy,
    servedCertificate: () => served,
    ...(tls &&
      config.tls && {
        tls: {
          ...tls,
          requestClientCertificates: config.tls.clientCertificates,
          clientCaNames: clientCaNames(),
        },
      }),
  });
  const maintenance = startMaintenance(services.ctx, services.purged, services.accounts, services.keyring);
  try {
    await services.backups?.start();
  } catch (error) {
    await maintenance.stop();
    await app.close();
    await runtime.close();
    throw new StartupError(
      `BACKUP_DIR ${config.backups?.folder} cannot be used: ${error instanceof Error ? error.message : error}`,
    );
  }
  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `${tls ? 'https' : 'http'}://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const reloadTls = async () => {
    if (!config.tls) return false;
    try {
      serveTls(readTlsFiles(config.tls));
      logger.info(
        { certFile: config.tls.certFile },
        'TLS certificate and key read again: new connections use them',
      );
      return true;
    } catch (error) {
      logger.error(
        { err: error },
        'the TLS certificate and key could not be read again: the ones in use are kept',
      );
      return false;
    }
  };
  const reloadClientCas = async () => {
    const { clientCaFile, clientCrlFile } = config;
    if (clientCaFile === null) return false;
    try {
      runtime.services.clients.keys.trustCas(
        await readTrustedCas({ clientCaFile, clientCrlFile }, logger, 'again'),
      );
      if (config.tls?.clientCaNames && tlsFiles) serveTls(tlsFiles);
      return true;
    } catch (error) {
      logger.error(
        { err: error },
        config.clientCrlFile === null
          ? 'CLIENT_CA_FILE could not be read again: the CAs in use are kept'
          : 'CLIENT_CA_FILE or CLIENT_CRL_FILE could not be read again: the CAs and CRLs in use are kept',
      );
      return false;
    }
  };
  // Changed files are read again without a signal too (FILE_RELOAD_SECONDS).
  const watched: WatchedFiles[] = [
    ...(config.tls ? [{ files: [config.tls.certFile, config.tls.keyFile], reload: reloadTls }] : []),
    ...(config.clientCaFile === null
      ? []
      : [
          {
            files: [config.clientCaFile, ...(config.clientCrlFile === null ? [] : [config.clientCrlFile])],
            reload: reloadClientCas,
          },
        ]),
  ];
  const stopWatching =
    config.fileReloadSeconds > 0 && watched.length > 0
      ? watchFiles(watched, config.fileReloadSeconds)
      : () => {};
  let stopping: Promise<void> | null = null;
  return {
    app,
    runtime,
    url,
    reloadTls,
    reloadClientCas,
    stop: () => {
      stopping ??= (async () => {
        stopWatching();
        await maintenance.stop();
        await services.backups?.stop();
        await closeServer(app, config.shutdownTimeoutSeconds * 1000);
        await runtime.close();
      })();
      return stopping;
    },
  };
}
