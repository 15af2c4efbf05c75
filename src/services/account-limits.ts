import type { BlockList } from 'node:net';
import { AccountRateLimiter, type Rate } from '../core/account-rate.js';
import { AppError } from '../core/errors.js';
import { inNetworks, networkList, parseNetwork } from '../core/networks.js';
import type { AccountFlag, AccountRateLimit, AccountRecord } from '../ports/account-store.js';
import { keysLacking } from './client-keys.js';
import type { ServiceContext } from './context.js';
import { SharedRate } from './shared-rate.js';

/** A failed read of the accounts' limits is retried after this, then twice as long each time, up to a minute. */
const FIRST_RETRY_MS = 500;
const LAST_RETRY_MS = 60_000;

/** What `ACCOUNT_RATE_LIMIT` and an account's own rate may be. */
export const MAX_RATE_PER_SECOND = 1_000_000;
export const MAX_RATE_BURST = 10_000_000;
/** Networks an account may list (more is a sign the list is not what was meant). */
export const MAX_ACCOUNT_NETWORKS = 100;

/** What the audit log records when an account's own limits change: the action, and what holds now. */
export const LIMIT_AUDIT = {
  rate: {
    action: 'account.rate-limit-changed',
    detail: (a: Pick<AccountRecord, 'rateLimit'>) => ({
      perSecond: a.rateLimit?.perSecond ?? null,
      burst: a.rateLimit?.burst ?? null,
    }),
  },
  networks: {
    action: 'account.networks-changed',
    detail: (a: Pick<AccountRecord, 'allowedNetworks'>) => ({
      networks: a.allowedNetworks?.join(', ') ?? null,
    }),
  },
  assertionsOnly: {
    action: 'account.signed-assertions-only-changed',
    detail: (a: Pick<AccountRecord, 'signedAssertionsOnly'>) => ({
      signedAssertionsOnly: a.signedAssertionsOnly,
    }),
  },
  dpopRequired: {
    action: 'account.dpop-required-changed',
    detail: (a: Pick<AccountRecord, 'dpopRequired'>) => ({ dpopRequired: a.dpopRequired }),
  },
  certificateRequired: {
    action: 'account.certificate-required-changed',
    detail: (a: Pick<AccountRecord, 'certificateRequired'>) => ({
      certificateRequired: a.certificateRequired,
    }),
  },
} as const;

/** An account's own limits as a node holds them. */
interface Own {
  rate: AccountRateLimit | null;
  networks: BlockList | null;
}

/**
 * What each account's accepted credentials may do beyond their own checks: the addresses they are accepted from
 * (an account's networks, when an operator set some; else any), and the account's request rate (its own, else the
 * server's `ACCOUNT_RATE_LIMIT`, else none). The accounts with limits of their own are few and all kept in memory,
 * so a request asks a map, never the store; a change publishes `account-limits` and every node reads them again (as
 * after a lost bus connection).
 *
 * The rate is counted on this node, and with shared buckets (REDIS_URL) once more for every node: a request this
 * node's own bucket lets through (no node alone may exceed the rate) then takes from the account's bucket in Redis,
 * a few tokens at a time (SharedRate). Should Redis not answer, the node's own bucket decides alone: a rate limit
 * keeps the service up rather than refuse every call.
 */
export class AccountLimits {
  readonly #limiter = new AccountRateLimiter();
  /** With shared buckets: the rate counted for every node. */
  readonly #shared: SharedRate | null;
  #own = new Map<string, Own>();
  /** Counts reloads, so that one that ends after a later one started keeps nothing. */
  #reloads = 0;
  /** How long after a failed read the limits are read again (doubling, up to a minute). */
  #retryMs = FIRST_RETRY_MS;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly server: Rate | null,
  ) {
    this.#shared = ctx.sharedBuckets ? new SharedRate(ctx.sharedBuckets, ctx.clock, ctx.log) : null;
    ctx.bus.subscribe((event) => {
      if (event.type === 'reset' || event.topic === 'account-limits') void this.reload();
    });
    void this.reload();
  }

  /** Requests refused for their rate since the node started (for GET /metrics). */
  get refused(): number {
    return this.#limiter.refused + (this.#shared?.refused ?? 0);
  }

  /**
   * Where an account's rate is counted: `cluster` (shared buckets, REDIS_URL: the rate holds for every node
   * together) or `node` (each node counts on its own: with three nodes, up to three times the rate in all).
   */
  get scope(): 'cluster' | 'node' {
    return this.#shared ? 'cluster' : 'node';
  }

  /** Whether any account can be held back on this node: the server's rate, or an account's own limits. */
  get active(): boolean {
    return this.server !== null || this.#own.size > 0;
  }

  /** Whether the account's credentials are accepted from some networks only. */
  fenced(accountId: string): boolean {
    return this.#own.size > 0 && (this.#own.get(accountId)?.networks ?? null) !== null;
  }

  /**
   * Turns one of the account's flags on or off, on every node from its next request (ClientService reads them with
   * the account's credentials version, and drops them on `account-limits`): signed assertions alone, tokens bound
   * to a key (RFC 9449, DPoP), tokens bound to a client certificate (RFC 8705). Signed assertions alone needs a client
   * key, and certificates a registered certificate: turned on without one, 409 (its client could get no token).
   */
  async setFlag(accountId: string, flag: AccountFlag, on: boolean): Promise<void> {
    const lacking = async () => {
      if (!on || flag === 'dpopRequired') return null;
      const keys = await this.ctx.store.credentials.listClientKeys(accountId);
      return keysLacking({ signedAssertionsOnly: false, certificateRequired: false, [flag]: true }, keys);
    };
    if ((await lacking()) !== null) throw lockedOut(flag);
    await this.#change(accountId, () => this.ctx.store.accounts.setAccountFlag(accountId, flag, on));
    // Its last key or certificate removed meanwhile (on another node): turned off again.
    if ((await lacking()) !== null) {
      await this.#change(accountId, () => this.ctx.store.accounts.setAccountFlag(accountId, flag, false));
      throw lockedOut(flag);
    }
  }

  /** Whether the account's credentials are accepted from `address` (the request's, as TRUST_PROXY reads it). */
  allows(accountId: string, address: string): boolean {
    const networks = this.#own.get(accountId)?.networks;
    return !networks || inNetworks(networks, address);
  }

  /** The rate in force for the account (its own, else the server's); null: no limit. */
  rateOf(accountId: string): Rate | null {
    return this.inForce(this.#own.get(accountId)?.rate ?? null);
  }

  /** The rate in force for an account whose own rate is `own` (null: none of its own); null: no limit. */
  inForce(own: Rate | null): Rate | null {
    const rate = own ?? this.server;
    return rate === null || rate.perSecond === 0 ? null : rate;
  }

  /**
   * Takes one request of the account at `now`: 0 when allowed, else the milliseconds until one is. At once without
   * shared buckets or when this node's own bucket refuses; else once the shared bucket answers.
   */
  take(accountId: string, now: number): number | Promise<number> {
    const rate = this.rateOf(accountId);
    if (rate === null) return 0;
    const wait = this.#limiter.take(accountId, now, rate);
    return wait !== 0 || this.#shared === null ? wait : this.#shared.take(accountId, rate);
  }

  /**
   * Sets the account's own rate (null: back to the server's), on every node from their next request. `burst`
   * defaults to the rate (at least 1).
   */
  async setRate(accountId: string, limit: { perSecond: number; burst?: number } | null): Promise<void> {
    const own = limit === null ? null : checkedRate(limit);
    await this.#change(accountId, () => this.ctx.store.accounts.setAccountRateLimit(accountId, own));
  }

  /**
   * Sets the addresses and networks the account's credentials are accepted from (null: any), on every node from
   * their next request. Returns them as stored (trimmed, without repeats).
   */
  async setNetworks(accountId: string, networks: string[] | null): Promise<string[] | null> {
    const checked = networks === null ? null : checkedNetworks(networks);
    await this.#change(accountId, () => this.ctx.store.accounts.setAccountNetworks(accountId, checked));
    return checked;
  }

  /** Reads every account's own limits again; a failure is logged and the limits known stay. */
  async reload(): Promise<void> {
    const reload = ++this.#reloads;
    try {
      const own = await this.ctx.store.accounts.listAccountLimits();
      // A later reload started meanwhile has the newer list.
      if (reload !== this.#reloads) return;
      this.#shared?.clear();
      this.#own = new Map(
        own.map((a) => [
          a.accountId,
          { rate: a.rateLimit, networks: a.allowedNetworks === null ? null : networkList(a.allowedNetworks) },
        ]),
      );
      this.#retryMs = FIRST_RETRY_MS;
    } catch (error) {
      // Read again soon, and again, until it works: a node that started while the store was down would otherwise
      // hold no account's networks or rate until the next change (a SQLite node hears no bus reset).
      this.ctx.log.warn(
        { err: error, retryInMs: this.#retryMs },
        "could not read the accounts' own limits; the ones known stay, read again shortly",
      );
      const retry = setTimeout(() => void this.reload(), this.#retryMs);
      retry.unref();
      this.#retryMs = Math.min(this.#retryMs * 2, LAST_RETRY_MS);
    }
  }

  async #change(accountId: string, write: () => Promise<boolean>): Promise<void> {
    if (!(await write())) throw new AppError('not_found', `no account ${accountId}`);
    // This node first, so that the answer to the change already holds here; then every other node.
    await this.reload();
    await this.ctx.bus.publish('account-limits', accountId);
  }
}

function lockedOut(flag: AccountFlag): AppError {
  return new AppError(
    'conflict',
    flag === 'certificateRequired'
      ? 'the account has no client certificate among its keys: register one first, or its client could not get a token any more'
      : 'the account has no client key: add one first, or its client could not get a token any more',
  );
}

function checkedRate(limit: { perSecond: number; burst?: number }): AccountRateLimit {
  const { perSecond } = limit;
  const burst = limit.burst ?? Math.max(1, perSecond);
  if (!Number.isInteger(perSecond) || perSecond < 0 || perSecond > MAX_RATE_PER_SECOND)
    throw new AppError(
      'validation_failed',
      `perSecond must be a whole number from 0 (no limit) to ${MAX_RATE_PER_SECOND}`,
    );
  if (!Number.isInteger(burst) || burst < 1 || burst > MAX_RATE_BURST)
    throw new AppError('validation_failed', `burst must be a whole number from 1 to ${MAX_RATE_BURST}`);
  return { perSecond, burst };
}

function checkedNetworks(networks: string[]): string[] {
  const unique = [...new Set(networks.map((n) => n.trim()))];
  if (unique.length === 0)
    throw new AppError(
      'validation_failed',
      'networks must list at least one address or network; to accept any, remove the list (to stop the account, suspend it)',
    );
  if (unique.length > MAX_ACCOUNT_NETWORKS)
    throw new AppError('validation_failed', `networks may list ${MAX_ACCOUNT_NETWORKS} entries at most`);
  for (const entry of unique)
    if (parseNetwork(entry) === null)
      throw new AppError(
        'validation_failed',
        `networks: ${JSON.stringify(entry)} is not an IPv4 or IPv6 address or network (203.0.113.7, 10.0.0.0/8, 2001:db8::/32)`,
      );
  return unique;
}
