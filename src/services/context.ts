import type { OperatorSsoSettings } from '../config/config.js';
import type { TrustedCa } from '../core/auth/trusted-cas.js';
import type { InvalidationBus } from '../ports/bus.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Random } from '../ports/random.js';
import type { RateLimitStore } from '../ports/rate-limit.js';
import type { SharedBuckets } from '../ports/shared-buckets.js';
import type { Store } from '../ports/store.js';
import type { BackupSettings } from './backups.js';

/** Where access tokens are signed: see TokenSigner. */
export type SigningPlace = 'event-loop' | 'thread';

/** What every service is built from; assembled once in main.ts. */
export interface ServiceContext {
  store: Store;
  bus: InvalidationBus;
  clock: Clock;
  random: Random;
  rateLimits: RateLimitStore;
  /** With REDIS_URL: the accounts' request rates counted once for every node (absent: each node counts its own). */
  sharedBuckets?: SharedBuckets;
  log: Logger;
  /** Seals every new value; also opens values. */
  masterKey: Buffer;
  /** During a master key rotation, the key being replaced: opens values, never seals (ORCHESTRATOR_MASTER_KEY_PREVIOUS). */
  previousMasterKey?: Buffer;
  settings: {
    issuer: string;
    tokenTtlSeconds: number;
    contextMaxRetentionSeconds: number;
    /** Where access tokens are signed (TokenSigner). */
    signingPlace: SigningPlace;
    /** Audit events older than this are deleted in the background (AUDIT_RETENTION_DAYS); 0: kept. */
    auditRetentionMs?: number;
    /** A new signing key when the newest is this old (SIGNING_KEY_ROTATION_DAYS); 0 or absent: by hand only. */
    signingKeyRotationMs?: number;
    /** DPOP_NONCE: DPoP proofs must carry a nonce this server gave out (absent: not asked for). */
    dpopNonce?: boolean;
    /**
     * ACCOUNT_RATE_LIMIT / ACCOUNT_RATE_BURST: each account's request rate (on each node, or for every node with
     * `sharedBuckets`; absent: unlimited).
     */
    accountRate?: { perSecond: number; burst: number } | null;
    /**
     * OPERATOR_SESSION_HOURS / OPERATOR_SESSION_IDLE_MINUTES: how long an operator's session lasts from its sign-in,
     * and without a request (0: no idle limit); absent: 8 hours and 30 minutes.
     */
    operatorSessions?: { lifetimeMs: number; idleMs: number };
    /** OPERATOR_TOTP: whether every operator must sign in with a one-time code (absent: optional). */
    operatorTotp?: 'optional' | 'required';
    /** OPERATOR_SSO_*: operators' single sign-on with an OpenID Connect provider (absent: none). */
    operatorSso?: OperatorSsoSettings | null;
    /** OPERATOR_PASSWORD_SIGN_IN=false: operators sign in through single sign-on alone (absent: passwords too). */
    operatorPasswordSignIn?: boolean;
    /** Scheduled backups of a SQLite node (BACKUP_DIR); absent: none. */
    backups?: BackupSettings;
    /** ADMIN_NETWORKS: the addresses and networks the admin API answers; absent or null: any. */
    adminNetworks?: string[] | null;
    /** CLIENT_CERT_HEADER / CLIENT_CERT_PROXIES: where clients' TLS certificates come from (absent or null: nowhere). */
    clientCertificates?: { header: string; proxies: string[] } | null;
    /** MTLS_BASE_URL: the public base URL where clients present certificates, beside ISSUER (absent or null: none). */
    mtlsBaseUrl?: string | null;
    /** CLIENT_ASSERTION_AUDIENCE=issuer: a client assertion's aud must be the issuer alone (absent: `any`). */
    clientAssertionAudience?: 'any' | 'issuer';
    /** CLIENT_OCSP: ask the responders trusted CAs' certificates name (absent or null: not asked). */
    clientOcsp?: 'prefer' | 'require' | null;
    /** TLS_CLIENT_CERTIFICATES=request: the certificates clients present to this server's own TLS (absent: none). */
    tlsClientCertificates?: boolean;
    /** CLIENT_CA_FILE: the CAs whose client certificates authenticate by their subject (absent or null: none). */
    trustedCas?: TrustedCa[] | null;
  };
}
