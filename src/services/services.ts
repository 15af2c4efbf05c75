import { AccountLimits } from './account-limits.js';
import { AccountService } from './accounts.js';
import { ApiKeyService } from './api-keys.js';
import { BackupService } from './backups.js';
import { ClientCertificateSource } from './client-certificates.js';
import { ClientKeyService } from './client-keys.js';
import { ClientService } from './clients.js';
import type { ServiceContext } from './context.js';
import { ContextService } from './context-service.js';
import { DpopService } from './dpop.js';
import { LoginGuard } from './login-guard.js';
import { OperatorSso } from './operator-sso.js';
import { OperatorService } from './operators.js';
import { PolicyService } from './policy-service.js';
import type { PurgeCounts } from './purge.js';
import { SigningKeyring } from './signing-keys.js';
import { TokenService } from './tokens.js';

/** The authentication use cases, built once over one context. */
export interface AuthServices {
  ctx: ServiceContext;
  apiKeys: ApiKeyService;
  clients: ClientService;
  keyring: SigningKeyring;
  tokens: TokenService;
  /** DPoP proofs (RFC 9449) at the token endpoint and the v2 APIs, each taken once. */
  dpop: DpopService;
  /**
   * Clients' TLS certificates (RFC 8705), as proxies forward them (CLIENT_CERT_HEADER) or as this server's own TLS
   * connections present them (TLS_CLIENT_CERTIFICATES=request); null: none are taken.
   */
  certificates: ClientCertificateSource | null;
  accounts: AccountService;
  operators: OperatorService;
  /** Failed v2 client authentications (login and token endpoints). */
  clientGuard: LoginGuard;
  /** Each account's networks and request rate on this node (its own, else ACCOUNT_RATE_LIMIT). */
  accountLimits: AccountLimits;
  /** Operators' single sign-on (OPERATOR_SSO_*); null: not set up. */
  sso: OperatorSso | null;
}

/**
 * Every use case the HTTP layer and the CLI reach. Other areas (context, policies) add their services here.
 */
export interface AppServices extends AuthServices {
  /** Conversation Context Service (v1 and v2 APIs). */
  context: ContextService;
  /** Routing policies, custom attributes, next actions and the policy log. */
  policies: PolicyService;
  /** Rows this node's background purges deleted since it started (GET /metrics). */
  purged: PurgeCounts;
  /** Scheduled backups, on a SQLite node with BACKUP_DIR set (started by the server, not by CLI commands). */
  backups: BackupService | null;
}

export function createAppServices(ctx: ServiceContext): AppServices {
  return {
    ...createAuthServices(ctx),
    context: new ContextService(ctx.store, ctx.clock, {
      maxRetentionSeconds: ctx.settings.contextMaxRetentionSeconds,
    }),
    policies: new PolicyService(ctx),
    purged: { contextDocuments: 0, policyLogEntries: 0, auditEvents: 0, usedAssertions: 0 },
    backups:
      ctx.settings.backups && ctx.store.backup
        ? new BackupService({ ...ctx, backup: ctx.store.backup }, ctx.settings.backups)
        : null,
  };
}

export function createAuthServices(ctx: ServiceContext): AuthServices {
  const apiKeys = new ApiKeyService(ctx);
  const clients = new ClientService(ctx, new ClientKeyService(ctx));
  const keyring = new SigningKeyring(ctx);
  return {
    ctx,
    apiKeys,
    clients,
    keyring,
    tokens: new TokenService(ctx, keyring, clients),
    dpop: new DpopService(ctx),
    certificates:
      ctx.settings.clientCertificates || ctx.settings.tlsClientCertificates
        ? new ClientCertificateSource(ctx, {
            forwarded: ctx.settings.clientCertificates ?? null,
            fromTls: ctx.settings.tlsClientCertificates ?? false,
          })
        : null,
    accounts: new AccountService(ctx, apiKeys, clients),
    operators: new OperatorService(
      ctx,
      new LoginGuard(ctx, 'operator', { perIdentity: 5, perAddress: 20, windowMs: 60_000 }),
    ),
    clientGuard: new LoginGuard(ctx, 'client'),
    accountLimits: new AccountLimits(ctx, ctx.settings.accountRate ?? null),
    sso: ctx.settings.operatorSso ? new OperatorSso(ctx, ctx.settings.operatorSso) : null,
  };
}
