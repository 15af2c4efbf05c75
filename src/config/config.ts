import { isAbsolute, relative, resolve, sep } from 'node:path';
import { parseNetwork } from '../core/networks.js';
import { type GroupGrant, parseGroupGrants } from '../core/sso-groups.js';

/** The whole server configuration, parsed and checked once at start. */
export interface Config {
  /** TCP port to listen on (`PORT`, default 8080). */
  port: number;
  /**
   * `TLS_CERT_FILE` and `TLS_KEY_FILE`: serve HTTPS with this certificate (chain) and key, PEM files read at start and
   * again on SIGHUP; `TLS_CLIENT_CERTIFICATES=request`: ask clients for their certificate (mutual TLS, RFC 8705).
   * null: plain HTTP, behind a proxy that terminates TLS.
   */
  tls: {
    certFile: string;
    keyFile: string;
    clientCertificates: boolean;
    /** `TLS_CLIENT_CA_NAMES=true`: the certificate request names the CAs of CLIENT_CA_FILE (RFC 8446 §4.2.4). */
    clientCaNames: boolean;
  } | null;
  /** Address to bind (`HOST`, default 127.0.0.1). */
  host: string;
  /** Folder for the SQLite file, the master key and the initial admin password (`DATA_DIR`, default ./data). */
  dataDir: string;
  /** `DATABASE_URL`: a postgres:// URL puts all durable state in PostgreSQL; unset means embedded SQLite. */
  databaseUrl: string | undefined;
  /**
   * `DATABASE_STATEMENT_TIMEOUT_MS`: PostgreSQL cancels a statement of this node's that runs (or waits for a
   * lock) longer than this, and the request is answered 503 (default 15000; 0 = no limit).
   */
  databaseStatementTimeoutMs: number;
  /** `REDIS_URL`: shared rate-limit counters and cross-node cache invalidation. */
  redisUrl: string | undefined;
  /** `REDIS_PREFIX`: names this deployment's keys and channel, so deployments can share one Redis (default `orchestrator:`). */
  redisPrefix: string;
  /** `ORCHESTRATOR_MASTER_KEY`: 32 bytes, base64; unset means DATA_DIR/master.key (created on first start). */
  masterKey: Buffer | undefined;
  /**
   * `ORCHESTRATOR_MASTER_KEY_PREVIOUS`: during a master key rotation, the key being replaced (32 bytes,
   * base64). Values sealed under it still open; new values are sealed under the current key only.
   */
  previousMasterKey: Buffer | undefined;
  /** `ORCHESTRATOR_ADMIN_PASSWORD`: the first operator's password on an empty store. */
  adminPassword: string | undefined;
  /** `ISSUER`: public base URL, used as the token issuer and in metadata (default http://HOST:PORT). */
  issuer: string;
  /** `TOKEN_TTL_SECONDS`: lifetime of tokens issued to code (default 3600, at most 86400). */
  tokenTtlSeconds: number;
  /**
   * `SHUTDOWN_TIMEOUT_SECONDS`: how long a stopping node (SIGTERM) waits for the requests in flight before it
   * closes their connections (default 25).
   */
  shutdownTimeoutSeconds: number;
  /**
   * `FILE_RELOAD_SECONDS`: how often the node looks for changed TLS and client CA/CRL files and reads the changed
   * ones again, as on SIGHUP (default 60; 0: on SIGHUP only).
   */
  fileReloadSeconds: number;
  /** `LOG_LEVEL`: fatal, error, warn, info, debug, trace or silent (default info). */
  logLevel: string;
  /** `CONTEXT_MAX_RETENTION_SECONDS`: the longest TTL any context document may have (default 13 months; 0 = no cap). */
  contextMaxRetentionSeconds: number;
  /**
   * `CONTEXT_CACHE_MB`: the read cache of context documents on a SQLite node, in millions of JSON characters
   * (default 32; 0 turns it off). Not used over PostgreSQL, where other nodes write too.
   */
  contextCacheMb: number;
  /**
   * `AUDIT_RETENTION_DAYS`: audit events older than this many days are deleted in the background (default 0:
   * kept until deleted by hand).
   */
  auditRetentionDays: number;
  /**
   * `SIGNING_KEY_ROTATION_DAYS`: a new token-signing key when the newest is this many days old (default 90; 0: only
   * by hand, `orchestrator signing-key rotate`).
   */
  signingKeyRotationDays: number;
  /** `DPOP_NONCE=true`: every DPoP proof must carry a nonce this server gave out (RFC 9449 §8–9); default false. */
  dpopNonce: boolean;
  /**
   * Operators' sessions in the web app: `OPERATOR_SESSION_HOURS` from the sign-in at most (default 8), and
   * `OPERATOR_SESSION_IDLE_MINUTES` without a request (default 30; 0: no such limit).
   */
  operatorSessions: { hours: number; idleMinutes: number };
  /**
   * `OPERATOR_TOTP`: `optional` (default: each operator chooses) or `required` (an operator without one-time
   * codes may only set them up after signing in).
   */
  operatorTotp: 'optional' | 'required';
  /**
   * Operators' single sign-on with an OpenID Connect provider (`OPERATOR_SSO_ISSUER`, `OPERATOR_SSO_CLIENT_ID`,
   * `OPERATOR_SSO_CLIENT_SECRET`, and optionally `OPERATOR_SSO_NAME`, `OPERATOR_SSO_USERNAME_CLAIM`,
   * `OPERATOR_SSO_SCOPE`); null: none.
   */
  operatorSso: OperatorSsoSettings | null;
  /**
   * `OPERATOR_PASSWORD_SIGN_IN`: `true` (default) or `false`, with single sign-on only: operators then sign in
   * through the provider alone (the command line and operator API tokens still work).
   */
  operatorPasswordSignIn: boolean;
  /**
   * `ACCOUNT_RATE_LIMIT` (requests a second per account, in all with REDIS_URL, else on each node; 0: off, the default) and
   * `ACCOUNT_RATE_BURST` (how many at once; default: the rate, at least 1).
   */
  accountRate: { perSecond: number; burst: number } | null;
  /**
   * `TRUST_PROXY`: which X-Forwarded-For hops to believe: none (false, the default), all (true), the nearest N
   * (a number), or those from these addresses or networks (a list).
   */
  trustProxy: boolean | number | string[];
  /** `ADMIN_NETWORKS`: the addresses and networks the admin API and its sign-in answer (null: any). */
  adminNetworks: string[] | null;
  /**
   * `CLIENT_CERT_HEADER` and `CLIENT_CERT_PROXIES`: the request header in which the TLS-terminating proxies at these
   * addresses forward the client's certificate (mutual TLS, RFC 8705); null: no client certificate is taken.
   */
  clientCertificates: { header: string; proxies: string[] } | null;
  /**
   * `MTLS_BASE_URL`: the public base URL of a host of its own at which clients present their certificates (RFC 8705
   * §5: the metadata's `mtls_endpoint_aliases`), so that nobody else is asked for one; null: clients present them at
   * ISSUER. Needs a source of client certificates.
   */
  mtlsBaseUrl: string | null;
  /**
   * `CLIENT_ASSERTION_AUDIENCE`: what a signed client assertion's `aud` may name. `any` (the default, RFC 7523): the
   * issuer, the token endpoint or the endpoint called, among other audiences. `issuer` (RFC 7523bis): the issuer
   * alone. An assertion typed `client-authentication+jwt` is held to `issuer` either way.
   */
  clientAssertionAudience: 'any' | 'issuer';
  /**
   * `CLIENT_OCSP`: ask the OCSP responder a trusted CA's client certificate names (RFC 6960) — `prefer`: a revoked
   * answer refuses, no answer takes; `require`: only a good answer takes; null (`off`, the default): not asked.
   * Needs CLIENT_CA_FILE.
   */
  clientOcsp: 'prefer' | 'require' | null;
  /**
   * `CLIENT_CA_FILE`: the CAs (PEM) whose client certificates authenticate an account's client by their subject
   * (`tls_client_auth`, RFC 8705 §2.1), read at start; null: none. Needs a source of client certificates.
   */
  clientCaFile: string | null;
  /**
   * `CLIENT_CRL_FILE`: the CRLs (PEM) of those CAs, one for each, against which the certificates they issue are
   * checked; null: none. Needs CLIENT_CA_FILE.
   */
  clientCrlFile: string | null;
  /**
   * `SIGNING_THREADS`: sign access tokens on a thread of their own (`true`) or on the event loop (`false`);
   * `auto` (the default) takes the thread when the process may run on more than one core.
   */
  signingThreads: 'auto' | boolean;
  /**
   * `POLICY_LOG_THREAD`: on a SQLite server, write and read the policy log on a thread of its own (`true`)
   * or on the event loop (`false`); `auto` (the default) takes the thread when the process may run on more
   * than one core.
   */
  policyLogThread: 'auto' | boolean;
  /**
   * Scheduled backups of a SQLite server (`BACKUP_DIR`, the folder to write them into; unset: none), with
   * `BACKUP_INTERVAL_SECONDS` (default one day), `BACKUP_KEEP` (how many to keep, default 7) and
   * `BACKUP_POLICY_LOGS` (copy the policy log too, default true); `BACKUP_COMMAND` runs after each backup (an
   * off-site copy), within `BACKUP_COMMAND_TIMEOUT_SECONDS`.
   */
  backups: BackupConfig | undefined;
}

export interface BackupConfig {
  folder: string;
  intervalSeconds: number;
  keep: number;
  policyLogs: boolean;
  /** BACKUP_COMMAND: run by `/bin/sh -c` after each backup, to copy it elsewhere; null: none. */
  command: BackupCommandConfig | null;
}

export interface BackupCommandConfig {
  /** The shell command (never logged nor shown: it may hold a credential). */
  text: string;
  timeoutSeconds: number;
  /** The command's environment: the server's, without the server's own secrets (SECRET_VARIABLES). */
  environment: Record<string, string>;
}

/**
 * The variables that hold the server's own secrets: a command the server runs for the operator (BACKUP_COMMAND)
 * does not get them. Whatever else the server was given (a cloud tool's credentials, say) it passes on.
 */
export const SECRET_VARIABLES: readonly string[] = [
  'ORCHESTRATOR_MASTER_KEY',
  'ORCHESTRATOR_MASTER_KEY_PREVIOUS',
  'ORCHESTRATOR_ADMIN_PASSWORD',
  'OPERATOR_SSO_CLIENT_SECRET',
  'DATABASE_URL',
  'REDIS_URL',
  'BACKUP_COMMAND',
];

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
/** 13 months of 31 days: the documented default maximum retention. */
export const DEFAULT_MAX_RETENTION_SECONDS = 13 * 31 * 86_400;

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max)
    throw new ConfigError(`${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

function url(env: NodeJS.ProcessEnv, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(`${name} is not a valid URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(`${name} must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

/** Decodes a master key (32 bytes, base64); `name` says where it came from in the error. */
export function parseMasterKey(raw: string, name: string): Buffer {
  const key = Buffer.from(raw.trim(), 'base64');
  if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== raw.trim().replace(/=+$/, '')) {
    throw new ConfigError(`${name} must be 32 bytes encoded in base64 (openssl rand -base64 32)`);
  }
  return key;
}

function masterKey(env: NodeJS.ProcessEnv, name: string): Buffer | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : parseMasterKey(raw, name);
}

/** Operators' single sign-on: the provider, this server's client at it, and how its answer names an operator. */
export interface OperatorSsoSettings {
  /** The provider's issuer identifier; its metadata is at `/.well-known/openid-configuration` under it. */
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** What the sign-in page's button says: "Sign in with …" (default: single sign-on). */
  name: string;
  /** The ID token claim whose value is the operator's username (default `preferred_username`). */
  usernameClaim: string;
  /** The scopes asked for (default `openid profile email`; `openid` always among them). */
  scope: string;
  /**
   * What a person the provider names, who is no operator here, becomes: `refuse` (default: nobody; an admin adds
   * operators first) or `viewer` (an operator made at once, a viewer of no account, until an admin gives more).
   */
  newOperators: 'refuse' | 'viewer';
  /**
   * `OPERATOR_SSO_GROUPS`: what the members of each group at the provider are here; then every sign-in through the
   * provider sets the operator's role and accounts from their groups (and makes them an operator if need be), and
   * a person in none of the groups is refused. Null: roles are managed here alone.
   */
  groups: GroupGrant[] | null;
  /** The claim that lists the person's groups, in the ID token or else UserInfo (default `groups`). */
  groupsClaim: string;
  /**
   * `OPERATOR_SSO_SIGN_OUT`: `here` (default: signing out ends the session here only) or `provider` (signing out of
   * a single sign-on session ends the provider's session too: OpenID Connect RP-Initiated Logout).
   */
  signOut: 'here' | 'provider';
}

/** A JWT claim's name as these settings accept it. */
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function operatorSso(env: NodeJS.ProcessEnv): OperatorSsoSettings | null {
  const names = ['OPERATOR_SSO_ISSUER', 'OPERATOR_SSO_CLIENT_ID', 'OPERATOR_SSO_CLIENT_SECRET'] as const;
  const given = names.filter((name) => env[name]);
  const optional = [
    'OPERATOR_SSO_NAME',
    'OPERATOR_SSO_USERNAME_CLAIM',
    'OPERATOR_SSO_SCOPE',
    'OPERATOR_SSO_NEW_OPERATORS',
    'OPERATOR_SSO_GROUPS',
    'OPERATOR_SSO_GROUPS_CLAIM',
    'OPERATOR_SSO_SIGN_OUT',
  ].filter((n) => env[n]);
  if (given.length === 0) {
    if (optional.length > 0) throw new ConfigError(`${optional.join(', ')} needs OPERATOR_SSO_ISSUER`);
    return null;
  }
  if (given.length < names.length)
    throw new ConfigError(
      `single sign-on needs ${names.join(', ')}; missing: ${names.filter((n) => !env[n]).join(', ')}`,
    );
  const issuer = (env.OPERATOR_SSO_ISSUER as string).replace(/\/+$/, '');
  if (!URL.canParse(issuer)) throw new ConfigError('OPERATOR_SSO_ISSUER is not a valid URL');
  const parsed = new URL(issuer);
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname)))
    throw new ConfigError(
      'OPERATOR_SSO_ISSUER must be an https:// URL (http:// only on this machine: localhost)',
    );
  const name = env.OPERATOR_SSO_NAME || 'single sign-on';
  if (name.length > 40 || !/^[\p{L}\p{N}\p{P}\p{Zs}]+$/u.test(name))
    throw new ConfigError('OPERATOR_SSO_NAME must be 1 to 40 letters, digits, spaces or punctuation');
  const usernameClaim = env.OPERATOR_SSO_USERNAME_CLAIM || 'preferred_username';
  if (!CLAIM_NAME.test(usernameClaim))
    throw new ConfigError(
      'OPERATOR_SSO_USERNAME_CLAIM must be a claim name, such as preferred_username or email',
    );
  const groupsClaim = env.OPERATOR_SSO_GROUPS_CLAIM || 'groups';
  if (!CLAIM_NAME.test(groupsClaim))
    throw new ConfigError('OPERATOR_SSO_GROUPS_CLAIM must be a claim name, such as groups or roles');
  let groups: GroupGrant[] | null = null;
  if (env.OPERATOR_SSO_GROUPS) {
    try {
      groups = parseGroupGrants(env.OPERATOR_SSO_GROUPS);
    } catch (error) {
      throw new ConfigError(
        `OPERATOR_SSO_GROUPS must be group=role or group=role:account,account entries separated by ";": ${(error as Error).message}`,
      );
    }
    if (env.OPERATOR_SSO_NEW_OPERATORS)
      throw new ConfigError(
        'OPERATOR_SSO_NEW_OPERATORS has no use with OPERATOR_SSO_GROUPS: the members of its groups are made operators, and nobody else',
      );
  } else if (env.OPERATOR_SSO_GROUPS_CLAIM)
    throw new ConfigError('OPERATOR_SSO_GROUPS_CLAIM needs OPERATOR_SSO_GROUPS');
  const signOut = env.OPERATOR_SSO_SIGN_OUT || 'here';
  if (signOut !== 'here' && signOut !== 'provider')
    throw new ConfigError('OPERATOR_SSO_SIGN_OUT must be here or provider');
  const scopes = (env.OPERATOR_SSO_SCOPE || 'openid profile email').split(/\s+/).filter((s) => s !== '');
  if (scopes.some((s) => !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s)))
    throw new ConfigError('OPERATOR_SSO_SCOPE must be scope names separated by spaces (RFC 6749 §3.3)');
  const newOperators = env.OPERATOR_SSO_NEW_OPERATORS || 'refuse';
  if (newOperators !== 'refuse' && newOperators !== 'viewer')
    throw new ConfigError('OPERATOR_SSO_NEW_OPERATORS must be refuse or viewer');
  return {
    issuer,
    clientId: env.OPERATOR_SSO_CLIENT_ID as string,
    clientSecret: env.OPERATOR_SSO_CLIENT_SECRET as string,
    name,
    usernameClaim,
    scope: [...new Set(['openid', ...scopes])].join(' '),
    newOperators,
    groups,
    groupsClaim,
    signOut,
  };
}

/** Reads and checks the configuration; throws ConfigError with a message fit for the operator. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, cwd: string = process.cwd()): Config {
  const port = integer(env, 'PORT', 8080, 0, 65_535);
  const host = env.HOST || '127.0.0.1';
  const dataDirRaw = env.DATA_DIR || './data';
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel))
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const tls = tlsFiles(env, cwd);
  const issuerRaw = url(env, 'ISSUER', ['http:', 'https:']);
  const scheme = tls ? 'https' : 'http';
  const issuer = (issuerRaw ?? `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(
    /\/+$/,
    '',
  );
  const adminPassword = env.ORCHESTRATOR_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 12) {
    throw new ConfigError('ORCHESTRATOR_ADMIN_PASSWORD must be at least 12 characters');
  }
  const redisPrefix = env.REDIS_PREFIX || 'orchestrator:';
  if (!/^[A-Za-z0-9:_.-]{1,64}$/.test(redisPrefix)) {
    throw new ConfigError('REDIS_PREFIX must be 1 to 64 letters, digits, ":", "_", "." or "-"');
  }
  const signingThreads = env.SIGNING_THREADS || 'auto';
  if (!['auto', 'true', 'false'].includes(signingThreads))
    throw new ConfigError('SIGNING_THREADS must be auto, true or false');
  const policyLogThread = env.POLICY_LOG_THREAD || 'auto';
  if (!['auto', 'true', 'false'].includes(policyLogThread))
    throw new ConfigError('POLICY_LOG_THREAD must be auto, true or false');
  const dpopNonce = env.DPOP_NONCE || 'false';
  if (dpopNonce !== 'true' && dpopNonce !== 'false')
    throw new ConfigError('DPOP_NONCE must be true or false');
  const clientOcsp = env.CLIENT_OCSP || 'off';
  if (clientOcsp !== 'off' && clientOcsp !== 'prefer' && clientOcsp !== 'require')
    throw new ConfigError('CLIENT_OCSP must be off, prefer or require');
  const clientAssertionAudience = env.CLIENT_ASSERTION_AUDIENCE || 'any';
  if (clientAssertionAudience !== 'any' && clientAssertionAudience !== 'issuer')
    throw new ConfigError('CLIENT_ASSERTION_AUDIENCE must be any or issuer');
  const operatorTotp = env.OPERATOR_TOTP || 'optional';
  if (operatorTotp !== 'optional' && operatorTotp !== 'required')
    throw new ConfigError('OPERATOR_TOTP must be optional or required');
  const sso = operatorSso(env);
  const passwordSignIn = env.OPERATOR_PASSWORD_SIGN_IN || 'true';
  if (passwordSignIn !== 'true' && passwordSignIn !== 'false')
    throw new ConfigError('OPERATOR_PASSWORD_SIGN_IN must be true or false');
  const operatorPasswordSignIn = passwordSignIn === 'true';
  if (!operatorPasswordSignIn && sso === null)
    throw new ConfigError(
      'OPERATOR_PASSWORD_SIGN_IN=false needs single sign-on (OPERATOR_SSO_ISSUER…): no operator could sign in',
    );
  const operatorSessions = {
    hours: integer(env, 'OPERATOR_SESSION_HOURS', 8, 1, 720),
    idleMinutes: integer(env, 'OPERATOR_SESSION_IDLE_MINUTES', 30, 0, 43_200),
  };
  if (operatorSessions.idleMinutes >= operatorSessions.hours * 60)
    throw new ConfigError(
      `OPERATOR_SESSION_IDLE_MINUTES (${operatorSessions.idleMinutes}) must be shorter than OPERATOR_SESSION_HOURS (${operatorSessions.hours} hours), or 0`,
    );
  const trustProxy = trustedProxies(env.TRUST_PROXY ?? 'false');
  const adminNetworks = networks(env.ADMIN_NETWORKS, 'ADMIN_NETWORKS');
  const clientCertificates = clientCertificateHeader(env);
  const filePath = (raw: string | undefined) => {
    const path = raw?.trim() || '';
    return path === '' ? null : isAbsolute(path) ? path : resolve(cwd, path);
  };
  const clientCaFile = filePath(env.CLIENT_CA_FILE);
  const clientCrlFile = filePath(env.CLIENT_CRL_FILE);
  if (clientCrlFile !== null && clientCaFile === null)
    throw new ConfigError(
      'CLIENT_CRL_FILE holds the CRLs of the CAs of CLIENT_CA_FILE: set CLIENT_CA_FILE too, or leave CLIENT_CRL_FILE unset',
    );
  if (clientOcsp !== 'off' && clientCaFile === null)
    throw new ConfigError(
      'CLIENT_OCSP asks the OCSP responders of the CAs of CLIENT_CA_FILE: set CLIENT_CA_FILE too, or leave CLIENT_OCSP off',
    );
  const clientCaNames = env.TLS_CLIENT_CA_NAMES || 'false';
  if (clientCaNames !== 'true' && clientCaNames !== 'false')
    throw new ConfigError('TLS_CLIENT_CA_NAMES must be true or false');
  if (clientCaNames === 'true') {
    if (!tls?.clientCertificates || clientCaFile === null)
      throw new ConfigError(
        'TLS_CLIENT_CA_NAMES=true names the CAs of CLIENT_CA_FILE when the node asks for client certificates: it needs TLS_CLIENT_CERTIFICATES=request and CLIENT_CA_FILE',
      );
    tls.clientCaNames = true;
  }
  if (clientCaFile !== null && !clientCertificates && !tls?.clientCertificates)
    throw new ConfigError(
      'CLIENT_CA_FILE needs client certificates to check: CLIENT_CERT_HEADER and CLIENT_CERT_PROXIES (a TLS proxy forwards them) or TLS_CLIENT_CERTIFICATES=request',
    );
  const mtlsBaseUrl = mtlsBase(env, issuer, clientCertificates !== null || tls?.clientCertificates === true);
  const databaseUrl = url(env, 'DATABASE_URL', ['postgres:', 'postgresql:']);
  if (databaseUrl && !issuerRaw) {
    // Each node's default would be its own address, and a token from one node would fail on the next.
    throw new ConfigError(
      'ISSUER is required with DATABASE_URL: every node must issue and accept the same issuer',
    );
  }
  const dataDir = isAbsolute(dataDirRaw) ? dataDirRaw : resolve(cwd, dataDirRaw);
  return {
    port,
    tls,
    host,
    dataDir,
    databaseUrl,
    databaseStatementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 15_000, 0, 3_600_000),
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:']),
    redisPrefix,
    masterKey: masterKey(env, 'ORCHESTRATOR_MASTER_KEY'),
    previousMasterKey: masterKey(env, 'ORCHESTRATOR_MASTER_KEY_PREVIOUS'),
    adminPassword,
    issuer,
    tokenTtlSeconds: integer(env, 'TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    shutdownTimeoutSeconds: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 25, 1, 3600),
    fileReloadSeconds: integer(env, 'FILE_RELOAD_SECONDS', 60, 0, 86_400),
    logLevel,
    contextMaxRetentionSeconds: integer(
      env,
      'CONTEXT_MAX_RETENTION_SECONDS',
      DEFAULT_MAX_RETENTION_SECONDS,
      0,
      10 * 366 * 86_400,
    ),
    contextCacheMb: integer(env, 'CONTEXT_CACHE_MB', 32, 0, 65_536),
    auditRetentionDays: integer(env, 'AUDIT_RETENTION_DAYS', 0, 0, 36_500),
    signingKeyRotationDays: integer(env, 'SIGNING_KEY_ROTATION_DAYS', 90, 0, 3_650),
    dpopNonce: dpopNonce === 'true',
    operatorSessions,
    operatorTotp,
    operatorSso: sso,
    operatorPasswordSignIn,
    accountRate: accountRate(env),
    trustProxy,
    adminNetworks,
    clientCertificates,
    mtlsBaseUrl,
    clientAssertionAudience,
    clientOcsp: clientOcsp === 'off' ? null : clientOcsp,
    clientCaFile,
    clientCrlFile,
    signingThreads: signingThreads === 'auto' ? 'auto' : signingThreads === 'true',
    policyLogThread: policyLogThread === 'auto' ? 'auto' : policyLogThread === 'true',
    backups: backups(env, cwd, dataDir, databaseUrl),
  };
}

/**
 * MTLS_BASE_URL: an https URL without query or fragment (a trailing / dropped), not ISSUER itself, and only where
 * client certificates reach the node (else nothing at that address could ever authenticate with one).
 */
function mtlsBase(env: NodeJS.ProcessEnv, issuer: string, certificates: boolean): string | null {
  const raw = url(env, 'MTLS_BASE_URL', ['https:']);
  if (raw === undefined) return null;
  const parsed = new URL(raw);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '')
    throw new ConfigError('MTLS_BASE_URL must be a base URL: no query, fragment or user name');
  const base = raw.replace(/\/+$/, '');
  if (base === issuer)
    throw new ConfigError(
      'MTLS_BASE_URL is ISSUER: name the host of its own where clients present certificates, or leave it unset',
    );
  if (!certificates)
    throw new ConfigError(
      'MTLS_BASE_URL is where clients present certificates: it needs CLIENT_CERT_HEADER and CLIENT_CERT_PROXIES (a TLS proxy forwards them) or TLS_CLIENT_CERTIFICATES=request',
    );
  return base;
}

/** A comma-separated list of addresses and networks (unset or empty: null). */
function networks(raw: string | undefined, name: string): string[] | null {
  if (raw === undefined || raw.trim() === '') return null;
  const entries = raw.split(',').map((e) => e.trim());
  const bad = entries.find((e) => parseNetwork(e) === null);
  if (bad !== undefined)
    throw new ConfigError(
      `${name}: ${JSON.stringify(bad)} is not an IPv4 or IPv6 address or network (10.0.0.0/8, 2001:db8::/32, 192.0.2.7)`,
    );
  return entries;
}

function tlsFiles(env: NodeJS.ProcessEnv, cwd: string): Config['tls'] {
  const certFile = env.TLS_CERT_FILE?.trim() || '';
  const keyFile = env.TLS_KEY_FILE?.trim() || '';
  const clientCertificates = env.TLS_CLIENT_CERTIFICATES || 'off';
  if (clientCertificates !== 'off' && clientCertificates !== 'request')
    throw new ConfigError('TLS_CLIENT_CERTIFICATES must be off or request');
  if (certFile === '' && keyFile === '') {
    if (clientCertificates === 'request')
      throw new ConfigError('TLS_CLIENT_CERTIFICATES=request needs TLS_CERT_FILE and TLS_KEY_FILE');
    return null;
  }
  if (certFile === '' || keyFile === '')
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE go together: the certificate and its private key');
  return {
    certFile: isAbsolute(certFile) ? certFile : resolve(cwd, certFile),
    keyFile: isAbsolute(keyFile) ? keyFile : resolve(cwd, keyFile),
    clientCertificates: clientCertificates === 'request',
    clientCaNames: false,
  };
}

/** Headers with a meaning of their own, which no proxy should be asked to put a certificate in. */
const RESERVED_HEADERS = new Set([
  'authorization',
  'cookie',
  'host',
  'content-type',
  'content-length',
  'dpop',
  'maven-api-key',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-real-ip',
  'forwarded',
  'via',
  'transfer-encoding',
  'connection',
  'upgrade',
  'keep-alive',
  'te',
  // Envoy's own header, in a format of its own (Hash=…;Cert="…"), which is not read here.
  'x-forwarded-client-cert',
]);

function clientCertificateHeader(env: NodeJS.ProcessEnv): Config['clientCertificates'] {
  const header = env.CLIENT_CERT_HEADER?.trim().toLowerCase() ?? '';
  const proxies = networks(env.CLIENT_CERT_PROXIES, 'CLIENT_CERT_PROXIES');
  if (header === '' && proxies === null) return null;
  if (header === '' || proxies === null)
    throw new ConfigError(
      'CLIENT_CERT_HEADER and CLIENT_CERT_PROXIES go together: the header is believed only from those proxies',
    );
  if (!/^[a-z0-9][a-z0-9-]{0,63}$/.test(header) || RESERVED_HEADERS.has(header))
    throw new ConfigError(
      `CLIENT_CERT_HEADER must be a header name of letters, digits and "-" (such as client-cert), not ${JSON.stringify(header)}`,
    );
  // Every address would be a proxy: any client could write the header, and name any account's certificate.
  const everyone = proxies.find((entry) => /\/0+$/.test(entry));
  if (everyone !== undefined)
    throw new ConfigError(
      `CLIENT_CERT_PROXIES: ${everyone} takes every address for a proxy; list the TLS proxies' own addresses or networks`,
    );
  return { header, proxies };
}

/** Names proxy-addr (Fastify's) knows for groups of addresses. */
const PROXY_GROUPS = new Set(['loopback', 'linklocal', 'uniquelocal']);

function trustedProxies(raw: string): Config['trustProxy'] {
  const value = raw.trim();
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops >= 1 && hops <= 10) return hops;
  } else if (value !== '') {
    const entries = value.split(',').map((e) => e.trim());
    if (entries.every((e) => PROXY_GROUPS.has(e) || parseNetwork(e) !== null)) return entries;
  }
  throw new ConfigError(
    'TRUST_PROXY must be false, true, a number of proxies from 1 to 10, or a comma-separated list of proxy addresses or networks (10.0.0.0/8, ::1, loopback)',
  );
}

function accountRate(env: NodeJS.ProcessEnv): Config['accountRate'] {
  const perSecond = integer(env, 'ACCOUNT_RATE_LIMIT', 0, 0, 1_000_000);
  const burstRaw = env.ACCOUNT_RATE_BURST;
  if (perSecond === 0) {
    if (burstRaw !== undefined && burstRaw !== '')
      throw new ConfigError('ACCOUNT_RATE_BURST needs ACCOUNT_RATE_LIMIT');
    return null;
  }
  return { perSecond, burst: integer(env, 'ACCOUNT_RATE_BURST', Math.max(1, perSecond), 1, 10_000_000) };
}

function backups(
  env: NodeJS.ProcessEnv,
  cwd: string,
  dataDir: string,
  databaseUrl: string | undefined,
): BackupConfig | undefined {
  const raw = env.BACKUP_DIR;
  const others = [
    'BACKUP_INTERVAL_SECONDS',
    'BACKUP_KEEP',
    'BACKUP_POLICY_LOGS',
    'BACKUP_COMMAND',
    'BACKUP_COMMAND_TIMEOUT_SECONDS',
  ].filter((name) => env[name] !== undefined && env[name] !== '');
  if (raw === undefined || raw === '') {
    if (others.length > 0) throw new ConfigError(`${others.join(', ')} needs BACKUP_DIR`);
    return undefined;
  }
  if (databaseUrl)
    throw new ConfigError(
      'BACKUP_DIR backs up the SQLite store; with DATABASE_URL, back up PostgreSQL with its own tools (docs/operations.md)',
    );
  const folder = isAbsolute(raw) ? raw : resolve(cwd, raw);
  const within = relative(dataDir, folder);
  if (within === '' || (within.split(sep)[0] !== '..' && !isAbsolute(within)))
    throw new ConfigError('BACKUP_DIR must be outside DATA_DIR: a backup is for when DATA_DIR is lost');
  const policyLogs = env.BACKUP_POLICY_LOGS || 'true';
  if (policyLogs !== 'true' && policyLogs !== 'false')
    throw new ConfigError('BACKUP_POLICY_LOGS must be true or false');
  return {
    folder,
    intervalSeconds: integer(env, 'BACKUP_INTERVAL_SECONDS', 86_400, 60, 31 * 86_400),
    keep: integer(env, 'BACKUP_KEEP', 7, 1, 1_000),
    policyLogs: policyLogs === 'true',
    command: backupCommand(env),
  };
}

function backupCommand(env: NodeJS.ProcessEnv): BackupCommandConfig | null {
  const text = env.BACKUP_COMMAND ?? '';
  if (text.trim() === '') {
    if (env.BACKUP_COMMAND_TIMEOUT_SECONDS)
      throw new ConfigError('BACKUP_COMMAND_TIMEOUT_SECONDS needs BACKUP_COMMAND');
    return null;
  }
  if (text.includes('\u0000')) throw new ConfigError('BACKUP_COMMAND must not hold a NUL character');
  const environment: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    if (value !== undefined && !SECRET_VARIABLES.includes(name)) environment[name] = value;
  return {
    text,
    timeoutSeconds: integer(env, 'BACKUP_COMMAND_TIMEOUT_SECONDS', 3_600, 1, 86_400),
    environment,
  };
}
