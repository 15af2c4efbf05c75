import { AccountRateLimiter, type Rate } from '../core/account-rate.js';
import { AppError } from '../core/errors.js';
import type { AccountRateLimit } from '../ports/account-store.js';
import type { ServiceContext } from './context.js';

/** What `ACCOUNT_RATE_LIMIT` and an account's own rate may be. */
export const MAX_RATE_PER_SECOND = 1_000_000;
export const MAX_RATE_BURST = 10_000_000;

/**
 * Each account's request rate on this node: its own when an operator set one, else the server's
 * (`ACCOUNT_RATE_LIMIT`, `ACCOUNT_RATE_BURST`), else none. The accounts with a rate of their own are few and all
 * kept in memory, so a request asks a map, never the store; a change publishes `account-rate` and every node
 * reads them again (as after a lost bus connection). A rate of 0 is no limit for that account.
 */
export class AccountRates {
  readonly #limiter = new AccountRateLimiter();
  #own = new Map<string, AccountRateLimit>();
  /** Counts reloads, so that one that ends after a later one started keeps nothing. */
  #reloads = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly server: Rate | null,
  ) {
    ctx.bus.subscribe((event) => {
      if (event.type === 'reset' || event.topic === 'account-rate') void this.reload();
    });
    void this.reload();
  }

  /** Requests refused since the node started (for GET /metrics). */
  get refused(): number {
    return this.#limiter.refused;
  }

  /** Whether any account can be held back on this node: the server's rate, or an account's own. */
  get active(): boolean {
    return this.server !== null || this.#own.size > 0;
  }

  /** The rate in force for the account (its own, else the server's); null: no limit. */
  rateOf(accountId: string): Rate | null {
    return this.inForce(this.#own.size === 0 ? null : (this.#own.get(accountId) ?? null));
  }

  /** The rate in force for an account whose own rate is `own` (null: none of its own); null: no limit. */
  inForce(own: Rate | null): Rate | null {
    const rate = own ?? this.server;
    return rate === null || rate.perSecond === 0 ? null : rate;
  }

  /** Takes one request of the account at `now`: 0 when allowed, else the milliseconds until one is. */
  take(accountId: string, now: number): number {
    const rate = this.rateOf(accountId);
    return rate === null ? 0 : this.#limiter.take(accountId, now, rate);
  }

  /**
   * Sets the account's own rate (null: back to the server's), on every node from their next request. `burst`
   * defaults to the rate (at least 1).
   */
  async set(accountId: string, limit: { perSecond: number; burst?: number } | null): Promise<void> {
    const own = limit === null ? null : checked(limit);
    if (!(await this.ctx.store.accounts.setAccountRateLimit(accountId, own)))
      throw new AppError('not_found', `no account ${accountId}`);
    if (own === null) this.#own.delete(accountId);
    else this.#own.set(accountId, own);
    await this.ctx.bus.publish('account-rate', accountId);
  }

  /** Reads every account's own rate again; a failure is logged and the rates known stay. */
  async reload(): Promise<void> {
    const reload = ++this.#reloads;
    try {
      const own = await this.ctx.store.accounts.listAccountRateLimits();
      // A later reload started meanwhile has the newer list.
      if (reload === this.#reloads) this.#own = new Map(own.map((a) => [a.accountId, a.rateLimit]));
    } catch (error) {
      this.ctx.log.warn(
        { err: error },
        "could not read the accounts' own request rates; the ones known stay",
      );
    }
  }
}

function checked(limit: { perSecond: number; burst?: number }): AccountRateLimit {
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
