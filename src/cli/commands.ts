import type { Config } from '../config/config.js';
import { type ClientCertificate, parseDerCertificate } from '../core/auth/certificate.js';
import {
  checkedByCas,
  type TrustedCa,
  type TrustedCaView,
  viewOfTrustedCa,
} from '../core/auth/trusted-cas.js';
import { openRuntime, type Runtime, readClientCas, startServer } from '../main.js';
import type { AccountFlag, AccountRateLimit, AccountRecord } from '../ports/account-store.js';
import { LIMIT_AUDIT, MAX_RATE_BURST, MAX_RATE_PER_SECOND } from '../services/account-limits.js';
import { clientKeyAudit, describeClientKey } from '../services/client-keys.js';
import { type OperatorSso, type SsoCheck, SsoError } from '../services/operator-sso.js';
import { ADMIN_USERNAME, COMMAND_LINE, describeAccounts } from '../services/operators.js';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** The options of `client-key add` that name a certificate subject, with the RFC 8705 §2.1.2 member of each. */
const SUBJECT_OPTIONS = [
  ['subject-dn', 'tls_client_auth_subject_dn'],
  ['san-dns', 'tls_client_auth_san_dns'],
  ['san-uri', 'tls_client_auth_san_uri'],
  ['san-ip', 'tls_client_auth_san_ip'],
  ['san-email', 'tls_client_auth_san_email'],
] as const;

/** Reads `--name value` from the arguments; the flag without a value is a usage error. */
function option(args: string[], name: string): string | undefined {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
  args.splice(at, 2);
  return value;
}

/**
 * `account suspend`'s end: `--until` a time (ISO 8601, with its offset or Z), or `--for` a duration from now (`90m`,
 * `2h`, `7d`; as a function of the clock, read once the store is open); undefined: none.
 */
function suspensionEnd(
  until: string | undefined,
  lasting: string | undefined,
): number | ((now: number) => number) | undefined {
  if (until !== undefined && lasting !== undefined) throw new UsageError('give --until or --for, not both');
  if (until !== undefined) {
    const at = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(until)
      ? Date.parse(until)
      : Number.NaN;
    // Date.parse takes 30 February as 2 March: the date must be one the calendar has.
    const day = until.slice(0, 10);
    const real =
      !Number.isNaN(at) && new Date(Date.parse(`${day}T00:00Z`)).toISOString().slice(0, 10) === day;
    if (!real) throw new UsageError(`--until must be a time such as 2026-12-01T08:00Z, got ${until}`);
    return at;
  }
  if (lasting === undefined) return undefined;
  const match = /^(\d{1,6})([smhd])$/.exec(lasting);
  if (!match) throw new UsageError(`--for must be a number and s, m, h or d (90m, 2h, 7d), got ${lasting}`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  const ms = Number(match[1]) * unit;
  return (now) => now + ms;
}

/** The public JWK in a file: the key itself, or `{"jwk": {…}}` as the admin API takes it. */
async function readJwk(file: string): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--jwk-file ${file}: not a JSON file (${(error as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObject(parsed)) throw new UsageError(`--jwk-file ${file}: not a JSON object`);
  return isObject(parsed.jwk) ? parsed.jwk : parsed;
}

/**
 * A PEM certificate file as a key to add: `{"x5c": [base64 DER]}` (RFC 7517 §4.7), the key read from the certificate.
 * The first certificate of the file is the client's.
 */
async function readCertificateAsJwk(file: string): Promise<Record<string, unknown>> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--cert-file ${file}: ${(error as Error).message}`);
  }
  const pem = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/.exec(text);
  if (!pem?.[1])
    throw new UsageError(`--cert-file ${file}: no PEM certificate (-----BEGIN CERTIFICATE-----) in it`);
  return { x5c: [pem[1].replace(/\s+/g, '')] };
}

/** The first certificate of a PEM file, read as a client's certificate; a UsageError that says why not. */
async function readCertificate(file: string): Promise<ClientCertificate> {
  const [der] = (await readCertificateAsJwk(file)).x5c as string[];
  const certificate = parseDerCertificate(Buffer.from(der ?? '', 'base64'));
  if (certificate === null) throw new UsageError(`--cert-file ${file}: the certificate does not read`);
  return certificate;
}

/** The one argument of an `operator …` command that names an operator. */
function oneUsername(rest: string[], command: string): string {
  const [username, ...extra] = rest;
  if (!username || extra.length > 0) throw new UsageError(`${command} needs a username`);
  return username;
}

/** `kim (viewer; accounts: a, b)` or `kim (admin; every account)`. */
function describeOperator(o: { username: string; role: string; accounts: readonly string[] | null }): string {
  return `${o.username} (${o.role}; ${o.accounts === null ? '' : 'accounts: '}${describeAccounts(o.accounts)})`;
}

/** `100/s, burst 200`, or `no limit`. */
function describeRate(rate: AccountRateLimit): string {
  return rate.perSecond === 0 ? 'no limit' : `${rate.perSecond}/s, burst ${rate.burst}`;
}

function whole(value: string | undefined, name: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) > max)
    throw new UsageError(`${name} must be a whole number from 0 to ${max}`);
  return Number(value);
}

/**
 * The options of `store backup` and `store copy`, which read the SQLite store in DATA_DIR: `--to` (what it
 * names is the command's to check) and `--without-policy-logs`; anything else is a usage error.
 */
function storeOptions(
  config: Config,
  args: string[],
  command: string,
  say: { to: string; onPostgres: string },
): { to: string; policyLogs: boolean } {
  const to = option(args, 'to');
  if (to === undefined) throw new UsageError(`${command} needs --to ${say.to}`);
  if (config.databaseUrl)
    throw new UsageError(
      `${command} reads the SQLite store in DATA_DIR, not DATABASE_URL: ${say.onPostgres}`,
    );
  const unknown = args.filter((a) => a !== '--without-policy-logs');
  if (unknown.length > 0) throw new UsageError(`${command} does not take ${unknown.join(' ')}`);
  return { to, policyLogs: !args.includes('--without-policy-logs') };
}

function print(json: boolean, data: object, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(data)}\n` : `${text}\n`);
}

async function withRuntime<T>(config: Config, fn: (runtime: Runtime) => Promise<T>): Promise<T> {
  // Commands log nothing but warnings: their output is the answer.
  const runtime = await openRuntime({ ...config, logLevel: 'warn' }, process.stderr);
  try {
    return await fn(runtime);
  } finally {
    await runtime.close();
  }
}

const actor = { name: 'cli', address: null };

/** Runs one command; returns the exit code, or -1 for `start`, which keeps running. */

/** The accounts' settings the command line turns on and off: what each sets, records and says. */
const ACCOUNT_SWITCHES = {
  'account signed-assertions-only': {
    field: 'signedAssertionsOnly',
    audit: LIMIT_AUDIT.assertionsOnly,
    said: (on: boolean) =>
      on
        ? 'its client authenticates with signed assertions alone (its password is refused)'
        : "its client's user ID and password get tokens too",
  },
  'account dpop-required': {
    field: 'dpopRequired',
    audit: LIMIT_AUDIT.dpopRequired,
    said: (on: boolean) =>
      on
        ? 'its tokens must be bound to a key (DPoP); bearer tokens are refused'
        : 'bearer tokens are taken again',
  },
  'account certificate-required': {
    field: 'certificateRequired',
    audit: LIMIT_AUDIT.certificateRequired,
    said: (on: boolean) =>
      on
        ? 'its tokens must be bound to a client certificate of its keys (mutual TLS); others are refused'
        : 'tokens not bound to a certificate are taken again',
  },
} as const satisfies Record<string, { field: AccountFlag; audit: unknown; said: unknown }>;

export async function runCommand(config: Config, argv: string[], json: boolean): Promise<number> {
  const args = [...argv];
  const [group, verb, ...rest] = args;
  const { recordAudit } = await import('../services/audit.js');
  const command = `${group} ${verb ?? ''}`.trim();
  switch (command) {
    case 'start': {
      const server = await startServer(config);
      server.runtime.logger.info({ url: server.url }, 'listening');
      process.stderr.write(
        `Conversation Orchestrator listening on ${server.url} (web app: ${server.url}/, API docs: ${server.url}/docs)\n`,
      );
      const shutdown = (signal: string) => {
        server.runtime.logger.info({ signal }, 'shutting down: finishing in-flight requests');
        server.stop().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', () => shutdown('SIGTERM'));
      process.once('SIGINT', () => shutdown('SIGINT'));
      // As nginx and HAProxy do: a renewed TLS certificate, a changed list of client CAs and their new CRLs are taken
      // without a restart.
      if (config.tls || config.clientCaFile !== null)
        process.on('SIGHUP', () => {
          if (config.tls) void server.reloadTls();
          void server.reloadClientCas();
        });
      return -1;
    }
    case 'account create': {
      const accountId = rest[0];
      if (!accountId) throw new UsageError('account create needs an accountId');
      return withRuntime(config, async ({ services }) => {
        const account = await services.accounts.create(accountId);
        await recordAudit(services.ctx, actor, accountId, 'account.created');
        print(
          json,
          { accountId, createdAt: new Date(account.createdAt).toISOString() },
          `created account ${accountId}`,
        );
        return 0;
      });
    }
    case 'account list':
      return withRuntime(config, async ({ services }) => {
        const accounts = await services.accounts.list();
        const notes = (a: AccountRecord) =>
          [
            a.status === 'active' ? null : a.status,
            a.rateLimit ? `rate ${describeRate(a.rateLimit)}` : null,
            a.allowedNetworks ? `from ${a.allowedNetworks.join(' ')}` : null,
            a.signedAssertionsOnly ? 'signed assertions only' : null,
            a.dpopRequired ? 'DPoP required' : null,
            a.certificateRequired ? 'certificate required' : null,
          ].filter((n) => n !== null);
        print(
          json,
          accounts.map((a) => ({
            accountId: a.accountId,
            createdAt: new Date(a.createdAt).toISOString(),
            status: a.status,
            rateLimit: a.rateLimit,
            allowedNetworks: a.allowedNetworks,
            signedAssertionsOnly: a.signedAssertionsOnly,
            dpopRequired: a.dpopRequired,
            certificateRequired: a.certificateRequired,
          })),
          accounts
            .map((a) => (notes(a).length === 0 ? a.accountId : `${a.accountId} (${notes(a).join(', ')})`))
            .join('\n') || '(no accounts)',
        );
        return 0;
      });
    case 'account networks': {
      const [accountId, which, ...extra] = rest;
      if (!accountId || !which || extra.length > 0)
        throw new UsageError(
          'account networks needs an accountId and a comma-separated list of addresses or networks, or --any',
        );
      const networks = which === '--any' ? null : which.split(',');
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const stored = await services.accountLimits.setNetworks(accountId, networks);
        const { action, detail } = LIMIT_AUDIT.networks;
        await recordAudit(services.ctx, actor, accountId, action, detail({ allowedNetworks: stored }));
        print(
          json,
          { accountId, allowedNetworks: stored },
          stored
            ? `account ${accountId}: its credentials are accepted from ${stored.join(', ')} only`
            : `account ${accountId}: its credentials are accepted from any address`,
        );
        return 0;
      });
    }
    case 'account rate-limit': {
      const burst = option(rest, 'burst');
      const [accountId, rate, ...extra] = rest;
      if (!accountId || !rate || extra.length > 0 || (rate === '--default' && burst !== undefined))
        throw new UsageError(
          'account rate-limit needs an accountId and a rate a second [--burst N], or --default',
        );
      const limit =
        rate === '--default'
          ? null
          : {
              perSecond: whole(rate, 'the rate', 0, MAX_RATE_PER_SECOND),
              ...(burst === undefined ? {} : { burst: whole(burst, '--burst', 1, MAX_RATE_BURST) }),
            };
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        await services.accountLimits.setRate(accountId, limit);
        const { rateLimit } = await services.accounts.require(accountId);
        const { action, detail } = LIMIT_AUDIT.rate;
        await recordAudit(services.ctx, actor, accountId, action, detail({ rateLimit }));
        print(
          json,
          { accountId, rateLimit },
          rateLimit
            ? `account ${accountId}: ${describeRate(rateLimit)} on each node`
            : `account ${accountId}: the server's rate (ACCOUNT_RATE_LIMIT)`,
        );
        return 0;
      });
    }
    case 'account signed-assertions-only':
    case 'account dpop-required':
    case 'account certificate-required': {
      const { field, audit, said } = ACCOUNT_SWITCHES[command];
      const [accountId, which, ...extra] = rest;
      if (!accountId || (which !== 'on' && which !== 'off') || extra.length > 0)
        throw new UsageError(`${command} needs an accountId and on or off`);
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        await services.accountLimits.setFlag(accountId, field, which === 'on');
        const account = await services.accounts.require(accountId);
        await recordAudit(services.ctx, actor, accountId, audit.action, audit.detail(account));
        print(json, { accountId, [field]: account[field] }, `account ${accountId}: ${said(account[field])}`);
        return 0;
      });
    }
    case 'client-key check': {
      const certFile = option(rest, 'cert-file');
      const [accountId, ...extra] = rest;
      if (!accountId || certFile === undefined || extra.length > 0)
        throw new UsageError(
          'client-key check needs an accountId and --cert-file <file> (a PEM certificate)',
        );
      const certificate = await readCertificate(certFile);
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const explained = await services.clients.keys.explain(accountId, certificate);
        const day = (at: number) => new Date(at).toISOString().slice(0, 10);
        const how =
          explained.method === 'tls_client_auth'
            ? `by its subject (tls_client_auth): subject entry ${explained.kid}, issued by ${explained.ca}`
            : explained.method === 'self_signed_tls_client_auth'
              ? `as the client key ${explained.kid} (self_signed_tls_client_auth)`
              : '';
        print(
          json,
          {
            accountId,
            ...explained,
            notBefore: new Date(explained.notBefore),
            notAfter: new Date(explained.notAfter),
          },
          [
            `certificate ${explained.subject || '(no subject)'}${explained.subjectAltName ? `, ${explained.subjectAltName}` : ''}`,
            `  valid ${day(explained.notBefore)} to ${day(explained.notAfter)}, x5t#S256 ${explained.thumbprint}`,
            explained.authenticates
              ? `  authenticates the client of account ${accountId} ${how}`
              : `  does not authenticate the client of account ${accountId}: ${explained.reason}${how ? ` (it would ${how})` : ''}`,
          ].join('\n'),
        );
        return explained.authenticates ? 0 : 1;
      });
    }
    case 'client-ca check': {
      const certFile = option(rest, 'cert-file');
      if (rest.length > 0) throw new UsageError('client-ca check takes no arguments but --cert-file <file>');
      if (config.clientCaFile === null)
        throw new UsageError('this server trusts no CA for client certificates: CLIENT_CA_FILE is not set');
      const presented = certFile === undefined ? null : await readCertificate(certFile);
      const now = Date.now();
      let trusted: TrustedCa[];
      try {
        trusted = await readClientCas({
          clientCaFile: config.clientCaFile,
          clientCrlFile: config.clientCrlFile,
        });
      } catch (error) {
        print(json, { ok: false, problems: [(error as Error).message] }, (error as Error).message);
        return 1;
      }
      const cas: TrustedCaView[] = trusted.map((ca) => viewOfTrustedCa(ca, now));
      const certificate = presented && checkedByCas(presented, trusted, now);
      const day = (at: number) => new Date(at).toISOString().replace('.000Z', 'Z');
      const problems = cas.flatMap((ca) => [
        ...(ca.current
          ? []
          : [`${ca.subject}: out of its dates (${day(ca.notBefore)} to ${day(ca.notAfter)})`]),
        ...(ca.crl && !ca.crl.current
          ? [`${ca.subject}: its CRL is out of date (its next update was due ${day(ca.crl.nextUpdate)})`]
          : []),
      ]);
      const lines = cas.flatMap((ca) => [
        `CA ${ca.subject}, valid ${day(ca.notBefore)} to ${day(ca.notAfter)}, x5t#S256 ${ca.thumbprint}`,
        ca.crl
          ? `  CRL of ${day(ca.crl.thisUpdate)}, next update due ${day(ca.crl.nextUpdate)}, ${ca.crl.revoked} revoked`
          : '  no CRL read (CLIENT_CRL_FILE is not set)',
      ]);
      if (certificate) {
        lines.push(
          `certificate ${certificate.subject || '(no subject)'}, serial ${certificate.serial}: ${
            certificate.problem === null
              ? `issued by ${certificate.ca}, valid, not revoked`
              : certificate.problem
          }`,
        );
        if (certificate.problem !== null) problems.push(`the certificate: ${certificate.problem}`);
      }
      print(
        json,
        {
          ok: problems.length === 0,
          problems,
          ...(certificate && { certificate }),
          cas: cas.map((ca) => ({
            ...ca,
            notBefore: new Date(ca.notBefore),
            notAfter: new Date(ca.notAfter),
            crl: ca.crl && {
              ...ca.crl,
              thisUpdate: new Date(ca.crl.thisUpdate),
              nextUpdate: new Date(ca.crl.nextUpdate),
            },
          })),
        },
        [...lines, ...problems.map((p) => `problem: ${p}`)].join('\n'),
      );
      return problems.length === 0 ? 0 : 1;
    }
    case 'client-key list':
    case 'client-key add':
    case 'client-key remove': {
      const jwkFile = command === 'client-key add' ? option(rest, 'jwk-file') : undefined;
      const certFile = command === 'client-key add' ? option(rest, 'cert-file') : undefined;
      // A certificate subject (RFC 8705 §2.1.2): --subject-dn, --san-dns, --san-uri, --san-ip or --san-email.
      const subjects =
        command === 'client-key add'
          ? SUBJECT_OPTIONS.flatMap(([flag, member]) => {
              const value = option(rest, flag);
              return value === undefined ? [] : [{ [member]: value }];
            })
          : [];
      const [accountId, kid, ...extra] = rest;
      const removing = command === 'client-key remove';
      if (!accountId || (removing ? !kid : kid !== undefined) || extra.length > 0)
        throw new UsageError(
          removing
            ? 'client-key remove needs an accountId and a key id'
            : `${command} needs an accountId${command === 'client-key add' ? ' and --jwk-file <file> or --cert-file <file>' : ''}`,
        );
      if (
        command === 'client-key add' &&
        [jwkFile, certFile].filter((f) => f !== undefined).length + subjects.length !== 1
      )
        throw new UsageError(
          'client-key add needs --jwk-file <file> (a public JWK, or {"jwk": {…}}), --cert-file <file> (a PEM certificate, for mutual TLS) or a certificate subject (--subject-dn, --san-dns, --san-uri, --san-ip or --san-email, with CLIENT_CA_FILE), one of them',
        );
      const jwk =
        jwkFile !== undefined
          ? await readJwk(jwkFile)
          : certFile !== undefined
            ? await readCertificateAsJwk(certFile)
            : subjects[0];
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const keys = services.clients.keys;
        if (jwk !== undefined) {
          const added =
            subjects.length > 0 ? await keys.addSubject(accountId, jwk) : await keys.add(accountId, jwk);
          await recordAudit(services.ctx, actor, accountId, 'client-key.added', clientKeyAudit(added));
          print(
            json,
            added,
            `account ${accountId}: added the client key ${added.kid} (${describeClientKey(added)})`,
          );
          return 0;
        }
        if (removing) {
          const removed = await keys.remove(accountId, kid as string);
          await recordAudit(services.ctx, actor, accountId, 'client-key.removed', clientKeyAudit(removed));
          print(
            json,
            { accountId, kid, removed: true },
            `account ${accountId}: removed the client key ${kid}`,
          );
          return 0;
        }
        const listed = await keys.list(accountId);
        print(
          json,
          listed.map((k) => ({
            ...k,
            ...(k.certificate && {
              certificate: {
                ...k.certificate,
                notBefore: new Date(k.certificate.notBefore).toISOString(),
                notAfter: new Date(k.certificate.notAfter).toISOString(),
              },
            }),
            createdAt: new Date(k.createdAt).toISOString(),
            lastUsedAt: k.lastUsedAt === null ? null : new Date(k.lastUsedAt).toISOString(),
          })),
          listed
            .map(
              (k) =>
                `${k.kid} (${describeClientKey(k)}; added ${new Date(k.createdAt).toISOString()}; ${k.lastUsedAt === null ? 'never used' : `last used ${new Date(k.lastUsedAt).toISOString()}`})`,
            )
            .join('\n') || '(no client keys)',
        );
        return 0;
      });
    }
    case 'account suspend':
    case 'account resume':
    case 'account delete': {
      const until =
        command === 'account suspend' ? suspensionEnd(option(rest, 'until'), option(rest, 'for')) : undefined;
      const [accountId, ...extra] = rest;
      if (!accountId || extra.length > 0) throw new UsageError(`${command} needs an accountId`);
      return withRuntime(config, async ({ services }) => {
        const accounts = services.accounts;
        if (command === 'account delete') {
          const { removal } = await accounts.delete(accountId, {
            deleted: () => recordAudit(services.ctx, actor, accountId, 'account.deleted'),
            removed: (_, documents) =>
              recordAudit(services.ctx, actor, accountId, 'account.data-removed', { documents }),
          });
          const removed = await removal;
          print(
            json,
            { accountId, status: 'deleted', dataRemoved: removed },
            removed
              ? `deleted account ${accountId}`
              : `deleted account ${accountId}; removing its data failed half-way (see the log): the server's housekeeping finishes it`,
          );
          return removed ? 0 : 1;
        }
        const suspend = command === 'account suspend';
        const end = typeof until === 'function' ? until(services.ctx.clock.now()) : until;
        const account = suspend ? await accounts.suspend(accountId, end) : await accounts.resume(accountId);
        await recordAudit(
          services.ctx,
          actor,
          accountId,
          suspend ? 'account.suspended' : 'account.resumed',
          suspend && end !== undefined ? { until: new Date(end).toISOString() } : {},
        );
        const endsAt =
          account.suspendedUntil === null ? null : new Date(account.suspendedUntil).toISOString();
        print(
          json,
          { accountId, status: account.status, suspendedUntil: endsAt },
          `account ${accountId} is ${account.status}${endsAt ? ` until ${endsAt}` : ''}`,
        );
        return 0;
      });
    }
    case 'policy history': {
      const [accountId, ...extra] = rest;
      if (!accountId || extra.length > 0) throw new UsageError('policy history needs an accountId');
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const versions = await services.policies.history(accountId);
        const lines = versions.map(
          (v) =>
            `${v.version}\t${new Date(v.at).toISOString()}\t${v.actor}\t${v.action}\t${v.count} ${v.count === 1 ? 'policy' : 'policies'}`,
        );
        print(
          json,
          versions.map((v) => ({ ...v, at: new Date(v.at).toISOString() })),
          lines.length > 0 ? lines.join('\n') : `no list of account ${accountId} has been kept yet`,
        );
        return 0;
      });
    }
    case 'policy restore': {
      const [accountId, versionText, ...extra] = rest;
      if (!accountId || !versionText || extra.length > 0)
        throw new UsageError('policy restore needs an accountId and a version (policy history lists them)');
      const version = whole(versionText, 'the version', 0, Number.MAX_SAFE_INTEGER);
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        // Whatever the list is now: the operator at the command line decides, as If-Match: * does.
        const restored = await services.policies.restore(accountId, version, '*', actor.name);
        await recordAudit(services.ctx, actor, accountId, 'policies.restored', {
          version,
          count: restored.policies.length,
        });
        print(
          json,
          { accountId, version, policies: restored.policies },
          `account ${accountId}: the list of version ${version} is the current one again (${restored.policies.length} ${restored.policies.length === 1 ? 'policy' : 'policies'})`,
        );
        return 0;
      });
    }
    case 'key regenerate': {
      const graceSeconds = whole(option(rest, 'grace'), '--grace', 0, 86_400);
      const accountId = rest[0];
      if (!accountId) throw new UsageError('key regenerate needs an accountId');
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const key = await services.apiKeys.regenerate(accountId, graceSeconds);
        await recordAudit(services.ctx, actor, accountId, 'api-key.regenerated', { graceSeconds });
        print(json, { accountId, key, graceSeconds }, key);
        return 0;
      });
    }
    case 'credentials regenerate': {
      const graceSeconds = whole(option(rest, 'grace'), '--grace', 0, 86_400);
      const accountId = rest[0];
      if (!accountId) throw new UsageError('credentials regenerate needs an accountId');
      return withRuntime(config, async ({ services }) => {
        await services.accounts.require(accountId);
        const { userId, password, previousUntil } = await services.clients.regenerate(
          accountId,
          graceSeconds,
        );
        await recordAudit(services.ctx, actor, accountId, 'credentials.regenerated', { graceSeconds });
        const until = previousUntil === null ? null : new Date(previousUntil).toISOString();
        print(
          json,
          { accountId, userId, password, graceSeconds, previousExpiresAt: until },
          `user ID:  ${userId}\npassword: ${password}${until ? `\nthe old user ID and password work until ${until}` : ''}`,
        );
        return 0;
      });
    }
    case 'signing-key rotate': {
      const delay = whole(option(rest, 'delay'), '--delay', 300, 86_400);
      const alg = option(rest, 'alg') ?? 'EdDSA';
      if (alg !== 'EdDSA' && alg !== 'ES256') throw new UsageError('--alg must be EdDSA or ES256');
      return withRuntime(config, async ({ services }) => {
        const key = await services.keyring.rotate(delay * 1000, alg);
        await recordAudit(services.ctx, actor, null, 'signing-key.rotated', { kid: key.kid, alg });
        const activatesAt = new Date(key.activatesAt).toISOString();
        print(
          json,
          { kid: key.kid, alg, activatesAt },
          `new signing key ${key.kid} (${alg}), signs from ${activatesAt}`,
        );
        return 0;
      });
    }
    case 'master-key rotate': {
      const generate = rest.includes('--generate');
      const newKeyFile = option(rest, 'new-key-file');
      if (generate && newKeyFile !== undefined)
        throw new UsageError('master-key rotate takes --new-key-file or --generate, not both');
      // Without either, it finishes a rotation begun by deploying ORCHESTRATOR_MASTER_KEY_PREVIOUS.
      if (!generate && newKeyFile === undefined && !config.previousMasterKey)
        throw new UsageError('master-key rotate needs --new-key-file <path> or --generate');
      const batchSize = whole(option(rest, 'batch-size'), '--batch-size', 200, 10_000) || 200;
      const { rotateMasterKeyCommand } = await import('./master-key.js');
      return rotateMasterKeyCommand(config, { newKeyFile, generate, batchSize }, json);
    }
    case 'store backup': {
      const options = storeOptions(config, rest, 'store backup', {
        to: '<folder>',
        onPostgres: 'back up PostgreSQL with its own tools (docs/operations.md)',
      });
      const { storeBackupCommand } = await import('./store-backup.js');
      return storeBackupCommand(config, options, json);
    }
    case 'store copy': {
      const options = storeOptions(config, rest, 'store copy', {
        to: '<postgres://… URL>',
        onPostgres: 'run it without DATABASE_URL and name the PostgreSQL database with --to',
      });
      if (!/^postgres(ql)?:\/\//.test(options.to) || !URL.canParse(options.to))
        throw new UsageError('--to must be a URL that starts with postgres:// or postgresql://');
      const { storeCopyCommand } = await import('./store-copy.js');
      return storeCopyCommand(config, options, json);
    }
    case 'store verify': {
      const from = option(rest, 'from');
      if (from === undefined) throw new UsageError('store verify needs --from <backup folder>');
      if (rest.length > 0) throw new UsageError(`store verify does not take ${rest.join(' ')}`);
      const { storeVerifyCommand } = await import('./store-verify.js');
      return storeVerifyCommand(config, from, json);
    }
    case 'operator list':
      if (rest.length > 0) throw new UsageError(`operator list does not take ${rest.join(' ')}`);
      return withRuntime(config, async ({ services }) => {
        const operators = await services.operators.listOperators();
        print(
          json,
          operators.map((o) => ({ ...o, createdAt: new Date(o.createdAt).toISOString() })),
          operators.map(describeOperator).join('\n') || '(no operators)',
        );
        return 0;
      });
    case 'operator add': {
      const role = option(rest, 'role') ?? 'viewer';
      const accountList = option(rest, 'accounts');
      const [username, ...extra] = rest;
      if (
        !username ||
        username.startsWith('--') ||
        extra.length > 0 ||
        (role !== 'admin' && role !== 'viewer')
      )
        throw new UsageError(
          'operator add needs a username, and takes --role admin|viewer and --accounts A,B',
        );
      const accounts = accountList === undefined ? null : accountList.split(',').filter((a) => a !== '');
      return withRuntime(config, async ({ services }) => {
        // A generated password, never one on the command line (where `ps` and the shell's history see it).
        const created = await services.operators.createOperator(username, null, role, accounts, COMMAND_LINE);
        await recordAudit(services.ctx, actor, null, 'operator.created', {
          username,
          role,
          accounts: describeAccounts(created.accounts),
        });
        print(
          json,
          { username, role, accounts: created.accounts, password: created.generatedPassword },
          `added ${describeOperator({ username, role, accounts: created.accounts })}; password: ${created.generatedPassword}`,
        );
        return 0;
      });
    }
    case 'operator remove': {
      const username = oneUsername(rest, 'operator remove');
      return withRuntime(config, async ({ services }) => {
        await services.operators.removeOperator(username, COMMAND_LINE);
        await recordAudit(services.ctx, actor, null, 'operator.removed', { username });
        print(json, { username, removed: true }, `removed ${username}, with their sessions and API tokens`);
        return 0;
      });
    }
    case 'operator role': {
      const [username, role, ...extra] = rest;
      if (!username || (role !== 'admin' && role !== 'viewer') || extra.length > 0)
        throw new UsageError('operator role needs a username and admin or viewer');
      return withRuntime(config, async ({ services }) => {
        // The command line is nobody's own session: '' matches no operator, so any role may be changed.
        const changed = await services.operators.changeOperator(username, { role }, COMMAND_LINE);
        await recordAudit(services.ctx, actor, null, 'operator.role-changed', { username, role });
        print(json, { username, role: changed.role }, `${username} is now a ${changed.role}`);
        return 0;
      });
    }
    case 'operator accounts': {
      const [username, which, ...extra] = rest;
      if (!username || !which || extra.length > 0)
        throw new UsageError(
          'operator accounts needs a username and --all or a comma-separated list of accounts',
        );
      const accounts = which === '--all' ? null : which.split(',').filter((a) => a !== '');
      return withRuntime(config, async ({ services }) => {
        const changed = await services.operators.changeOperator(username, { accounts }, COMMAND_LINE);
        const described = describeAccounts(changed.accounts);
        await recordAudit(services.ctx, actor, null, 'operator.accounts-changed', {
          username,
          accounts: described,
        });
        print(json, { username, accounts: changed.accounts }, `${username} acts on ${described} now`);
        return 0;
      });
    }
    case 'operator end-sessions': {
      const username = oneUsername(rest, 'operator end-sessions');
      return withRuntime(config, async ({ services }) => {
        const ended = await services.operators.endEverySession(username);
        await recordAudit(services.ctx, actor, null, 'operator.sessions-ended', { username, ended });
        print(json, { username, ended }, `${ended} session${ended === 1 ? '' : 's'} of ${username} ended`);
        return 0;
      });
    }
    case 'operator reset-totp': {
      const username = oneUsername(rest, 'operator reset-totp');
      return withRuntime(config, async ({ services }) => {
        await services.operators.resetTotp(username, COMMAND_LINE);
        await recordAudit(services.ctx, actor, null, 'operator.totp-reset', { username });
        print(json, { username, totpEnabled: false }, `${username} signs in with the password alone now`);
        return 0;
      });
    }
    case 'operator reset-passkeys': {
      const username = oneUsername(rest, 'operator reset-passkeys');
      return withRuntime(config, async ({ services }) => {
        const passkeys = await services.operators.resetPasskeys(username, COMMAND_LINE);
        await recordAudit(services.ctx, actor, null, 'operator.passkeys-reset', { username, passkeys });
        print(
          json,
          { username, passkeys: 0, removed: passkeys },
          `${passkeys} passkey${passkeys === 1 ? '' : 's'} of ${username} removed`,
        );
        return 0;
      });
    }
    case 'sso check': {
      if (rest.length > 0) throw new UsageError('sso check takes no arguments');
      if (!config.operatorSso)
        throw new UsageError(
          'single sign-on is not set up: set OPERATOR_SSO_ISSUER, _CLIENT_ID and _CLIENT_SECRET',
        );
      return withRuntime(config, async ({ services }) => {
        let check: SsoCheck;
        try {
          check = await (services.sso as OperatorSso).check();
        } catch (error) {
          if (!(error instanceof SsoError)) throw error;
          print(json, { ok: false, problems: [error.reason] }, `single sign-on: ${error.reason}`);
          return 1;
        }
        const lines = [
          `provider: ${check.issuer} (its metadata read)`,
          `register at the provider, as the client's redirect URI: ${check.redirectUri}`,
          ...(check.postLogoutRedirectUri
            ? [`register at the provider, as a post-logout redirect URI: ${check.postLogoutRedirectUri}`]
            : []),
          check.backChannelLogout === 'none'
            ? `back-channel logout: the provider does not offer it (sessions here last until they expire or sign out)`
            : `register at the provider, as the back-channel logout URI: ${check.backChannelLogoutUri}${
                check.backChannelLogout === 'session' ? ' (with the session required: sid)' : ''
              }`,
          `UserInfo endpoint: ${check.userInfoEndpoint ?? 'none (claims come from the ID token alone)'}`,
          `end-session endpoint: ${check.endSessionEndpoint ?? 'none'}`,
          ...(check.scopesNotListed.length > 0
            ? [
                `scopes asked for that the provider does not list (it may still grant them): ${check.scopesNotListed.join(' ')}`,
              ]
            : []),
          ...check.problems.map((p) => `problem: ${p}`),
        ];
        print(json, { ok: check.problems.length === 0, ...check }, lines.join('\n'));
        return check.problems.length === 0 ? 0 : 1;
      });
    }
    case 'admin reset-password': {
      const username = option(rest, 'username') ?? ADMIN_USERNAME;
      return withRuntime(config, async ({ services }) => {
        const generated = config.adminPassword ? null : services.ctx.random.bytes(18).toString('base64url');
        await services.operators.resetPassword(username, config.adminPassword ?? (generated as string));
        await recordAudit(services.ctx, actor, null, 'operator.password-reset', { username });
        print(
          json,
          { username, ...(generated ? { password: generated } : {}) },
          generated
            ? `new password of ${username}: ${generated}`
            : `password of ${username} set from ORCHESTRATOR_ADMIN_PASSWORD`,
        );
        return 0;
      });
    }
    default:
      throw new UsageError(`unknown command: ${args.join(' ')}`);
  }
}
