import { AppError } from '../core/errors.js';
import type { ServiceContext } from './context.js';

type RateWindow = { count: number; resetAt: number };

export interface LoginGuardPolicy {
  /** Failures allowed per identity (client id or username) in one window. */
  perIdentity: number;
  /** Failures allowed per source address in one window. */
  perAddress: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_GUARD: LoginGuardPolicy = { perIdentity: 10, perAddress: 30, windowMs: 60_000 };

/**
 * Limits failed sign-ins per identity and per source address in fixed windows. Only failures count, so a
 * flood of wrong passwords locks the right one out for one window at most, and never grows without bound.
 */
export class LoginGuard {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly scope: string,
    private readonly policy: LoginGuardPolicy = DEFAULT_LOGIN_GUARD,
  ) {}

  /**
   * Throws 429 (or rejects with it) when either counter is already over its limit; answers at once when
   * the rate-limit store does.
   */
  check(identity: string, address: string): void | Promise<void> {
    const now = this.ctx.clock.now();
    const byId = this.ctx.rateLimits.peek(this.#key('id', identity), now);
    const byAddress = this.ctx.rateLimits.peek(this.#key('ip', address), now);
    if (byId instanceof Promise || byAddress instanceof Promise) {
      return Promise.all([byId, byAddress]).then(([id, ip]) => this.#verdict(id, ip, now));
    }
    this.#verdict(byId, byAddress, now);
  }

  #verdict(byId: RateWindow, byAddress: RateWindow, now: number): void {
    const blocked: number[] = [];
    if (byId.count >= this.policy.perIdentity) blocked.push(byId.resetAt);
    if (byAddress.count >= this.policy.perAddress) blocked.push(byAddress.resetAt);
    if (blocked.length > 0) throw this.#tooMany(Math.max(...blocked), now);
  }

  async failed(identity: string, address: string): Promise<void> {
    const now = this.ctx.clock.now();
    await Promise.all([
      this.ctx.rateLimits.hit(this.#key('id', identity), this.policy.windowMs, now),
      this.ctx.rateLimits.hit(this.#key('ip', address), this.policy.windowMs, now),
    ]);
  }

  #key(kind: string, value: string): string {
    return `login:${this.scope}:${kind}:${value.slice(0, 256)}`;
  }

  #tooMany(resetAt: number, now: number): AppError {
    const seconds = Math.max(1, Math.ceil((resetAt - now) / 1000));
    return new AppError('rate_limited', `too many failed attempts; retry after ${seconds} s`, undefined, {
      'retry-after': String(seconds),
    });
  }
}
