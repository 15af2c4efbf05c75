import { ConfigError, loadConfig } from '../config/config.js';
import { AppError, StoreUnavailableError } from '../core/errors.js';
import { StartupError } from '../main.js';
import { runCommand, UsageError } from './commands.js';

const USAGE = `Usage: orchestrator <command> [options]

Commands:
  start                                    start a server node (configuration from the environment)
  account create <accountId>               create an account with its v1 key and v2 credentials
  account list                             list accounts with their status
  account networks <accountId> <A,B,…> | --any
                                           accept the account's credentials from these addresses or
                                           networks only (10.0.0.0/8,2001:db8::1), or from any again
  account rate-limit <accountId> <N> [--burst B] | --default
                                           the account's own request rate a second (in all with REDIS_URL,
                                           else on each node; 0: no limit), or ACCOUNT_RATE_LIMIT again
  account signed-assertions-only <accountId> on|off
                                           refuse the account's v2 password: its client authenticates
                                           with assertions signed by its keys alone (or allow it again)
  account dpop-required <accountId> on|off
                                           bind every token of the account to a key its client holds
                                           (DPoP, RFC 9449): bearer tokens refused (or taken again)
  account certificate-required <accountId> on|off
                                           bind every token of the account to a client certificate of
                                           its keys (mutual TLS, RFC 8705): others refused (or taken again)
  client-key list <accountId>              the account's public keys for signed client assertions
  client-key add <accountId> --jwk-file F  add a public key (JWK: EC P-256, Ed25519, RSA >= 2048)
  client-key add <accountId> --cert-file F add a client certificate (PEM) for mutual TLS, and its key
  client-key add <accountId> --san-dns H | --san-uri U | --san-ip A | --san-email E | --subject-dn DN
                                           a certificate subject: certificates a CA of CLIENT_CA_FILE
                                           issued with it authenticate the client (tls_client_auth)
  client-key remove <accountId> <kid>      remove one: its assertions are refused at once
  client-key check <accountId> --cert-file F
                                           whether a client certificate (PEM) authenticates the account's
                                           client over mutual TLS, how, or why not (exit 1 when not)
  client-ca check [--cert-file F]          read CLIENT_CA_FILE and CLIENT_CRL_FILE as a node does: the
                                           CAs and their CRLs' dates, or why a node would refuse them; exit
                                           1 then, or when a CA or CRL vouches for nothing now (before a SIGHUP);
                                           with a certificate (PEM): which CA issued it, or why it is refused
  account suspend <accountId> [--until TIME | --for 2h]
                                           refuse every credential of the account at once (data kept); with an
                                           end, it is resumed by itself then (a suspended one: its end changes)
  account resume <accountId>               let a suspended account's credentials work again
  account delete <accountId>               delete a suspended account and its data (audit events kept)
  policy history <accountId>               the account's policy lists saved last: version, when, who, how
  policy restore <accountId> <version>     make a list of the history the current one again, on every node
  key regenerate <accountId> [--grace S]   replace the v1 API key (old key works S more seconds; default 0)
  credentials regenerate <accountId> [--grace S]
                                           replace the v2 user ID and password; the old ones and their
                                           tokens stop at once, or work S more seconds (default 0)
  signing-key rotate [--delay S] [--alg EdDSA|ES256]
                                           new token-signing key, signing after S seconds (default 300)
  admin reset-password [--username U]      set an operator's password (from ORCHESTRATOR_ADMIN_PASSWORD,
                                           else a generated one is printed); makes U, as an admin, if new
  operator list                            list operators with their roles
  operator add <username> [--role admin|viewer] [--accounts A,B]
                                           add an operator (a viewer of every account unless told
                                           otherwise) with a generated password, printed this once
  operator remove <username>               remove an operator with their sessions and API tokens
  operator role <username> admin|viewer    change an operator's role (takes effect at once)
  operator accounts <username> --all|A,B   let an operator act on every account, or on these only
  operator reset-totp <username>           remove an operator's one-time codes (a lost phone)
  operator reset-passkeys <username>       remove an operator's passkeys (a lost device)
  operator end-sessions <username>         sign an operator out of every browser at once (API tokens stay)
  master-key rotate --new-key-file F | --generate [--batch-size N]
                                           re-seal every stored secret under a new master key, then
                                           install it; resumable. Without either option, with
                                           ORCHESTRATOR_MASTER_KEY_PREVIOUS set: move everything to the
                                           current key (docs/operations.md)
  store backup --to DIR [--without-policy-logs]
                                           a consistent copy of DATA_DIR's SQLite store, taken while
                                           the server runs (not the master key: keep it apart)
  store verify --from DIR                  check a backup (its manifest, SQLite's integrity check, the
                                           schema, that the master key opens every secret); changes
                                           nothing in it; exit 1 if a check fails
  sso check                                read the single sign-on provider's metadata: what to register
                                           there (redirect, post-logout and back-channel logout addresses),
                                           what it cannot serve of OPERATOR_SSO_*; exit 1 if it cannot be
                                           read or a setting fails
  store copy --to postgres://… [--without-policy-logs]
                                           copy DATA_DIR's SQLite store into an empty PostgreSQL
                                           database, to move to several nodes; the server on DATA_DIR
                                           must be stopped (docs/operations.md)

Every command but start accepts --json for machine-readable output.
Configuration: PORT, HOST, DATA_DIR, DATABASE_URL, REDIS_URL, ORCHESTRATOR_MASTER_KEY,
ORCHESTRATOR_MASTER_KEY_PREVIOUS, ORCHESTRATOR_ADMIN_PASSWORD, ISSUER, TOKEN_TTL_SECONDS, LOG_LEVEL
(see docs/configuration.md).`;

/** What a database that could not answer said (SQLite's `database is locked`, say): an operator acts on it. */
function causeOf(error: unknown): string {
  if (!(error instanceof StoreUnavailableError)) return '';
  const cause = error.cause as { code?: unknown; message?: unknown } | undefined;
  if (!cause || typeof cause.message !== 'string') return '';
  return ` (${typeof cause.code === 'string' ? `${cause.code}: ` : ''}${cause.message})`;
}

async function main(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return argv.length === 0 ? 2 : 0;
  }
  const json = argv.includes('--json');
  try {
    const config = loadConfig();
    return await runCommand(
      config,
      argv.filter((a) => a !== '--json'),
      json,
    );
  } catch (error) {
    const message =
      error instanceof ConfigError ||
      error instanceof StartupError ||
      error instanceof UsageError ||
      error instanceof AppError
        ? error.message + causeOf(error)
        : null;
    if (message === null) throw error;
    if (json) process.stdout.write(`${JSON.stringify({ error: message })}\n`);
    else
      process.stderr.write(`orchestrator: ${message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
    return error instanceof UsageError ? 2 : 1;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `orchestrator: unexpected error: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exitCode = 1;
  },
);
