import { AppError } from '../core/errors.js';
import type { AccountPage, AccountRecord, AccountStatus } from '../ports/account-store.js';
import type { ApiKeyService } from './api-keys.js';
import { recordAudit } from './audit.js';
import type { ClientService } from './clients.js';
import type { ServiceContext } from './context.js';
import { deleteNamespaceInBatches } from './context-service.js';
import { MAX_TOKEN_LIFETIME_MS } from './signing-keys.js';

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * How long a deleted account's id stays taken: past the longest life of any token issued for it (with an
 * hour for clocks that disagree), so that a new account of the same id can never meet an old token, whose
 * credentials version it might share.
 */
export const DELETED_ID_HELD_MS = MAX_TOKEN_LIFETIME_MS + 3_600_000;
/** How far ahead a suspension's end may be set: a year (for longer, suspend without an end). */
export const MAX_SUSPENSION_MS = 366 * 86_400_000;

/**
 * Accounts (tenants). A new account gets its v1 key and v2 credentials at once. An account can be suspended
 * (every credential refused at once on every node, nothing lost) and resumed; a suspended account can be
 * deleted: its credentials, token for testing, policies, custom attributes and context go, its audit events
 * stay, and its policy log entries are left to their 7 days (no one can read them: see `visibleSince`).
 */
export class AccountService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly apiKeys: ApiKeyService,
    private readonly clients: ClientService,
  ) {}

  async create(accountId: string): Promise<AccountRecord> {
    if (!ACCOUNT_ID_PATTERN.test(accountId)) {
      throw new AppError('validation_failed', 'accountId must be 1 to 64 letters, digits, "_" or "-"');
    }
    const now = this.ctx.clock.now();
    if (!(await this.ctx.store.accounts.createAccount({ accountId, createdAt: now }))) {
      const existing = await this.ctx.store.accounts.getAccount(accountId);
      if (existing?.status === 'deleted') {
        const free = new Date((existing.statusChangedAt ?? now) + DELETED_ID_HELD_MS).toISOString();
        throw new AppError(
          'conflict',
          `account ${accountId} was deleted; its id can be used again from ${free}, once no token of the old account can still be valid`,
          { reusableAt: free },
        );
      }
      throw new AppError('conflict', `account ${accountId} already exists`);
    }
    await this.apiKeys.regenerate(accountId);
    await this.clients.regenerate(accountId);
    return {
      accountId,
      createdAt: now,
      status: 'active',
      statusChangedAt: null,
      suspendedUntil: null,
      rateLimit: null,
      allowedNetworks: null,
      signedAssertionsOnly: false,
      dpopRequired: false,
      certificateRequired: false,
    };
  }

  /** Accounts that are not deleted. */
  /** The accounts not deleted, by id; or a page of them (AccountPage). */
  async list(page?: AccountPage): Promise<AccountRecord[]> {
    return this.ctx.store.accounts.listAccounts(page);
  }

  /** The account (active or suspended), or 404: used by every admin route that names one. */
  async require(accountId: string): Promise<AccountRecord> {
    const found = ACCOUNT_ID_PATTERN.test(accountId)
      ? await this.ctx.store.accounts.getAccount(accountId)
      : null;
    if (!found || found.status === 'deleted') throw new AppError('not_found', `no account ${accountId}`);
    return found;
  }

  /**
   * Refuses every credential of the account at once, on every node; its data stays. With `until` (ms since the
   * epoch, within MAX_SUSPENSION_MS), the housekeeping resumes it then (within a minute); null: until resumed by
   * hand. A suspended account given `until` (a number or null) keeps its suspension with that end instead; without,
   * it is refused (409) as before.
   */
  async suspend(accountId: string, until?: number | null): Promise<AccountRecord> {
    const now = this.ctx.clock.now();
    if (typeof until === 'number' && Number.isNaN(until))
      throw new AppError(
        'validation_failed',
        'until is not a time this server reads (an ISO 8601 date-time, in UTC or with an offset such as +01:00)',
      );
    if (
      typeof until === 'number' &&
      !(Number.isFinite(until) && until > now && until <= now + MAX_SUSPENSION_MS)
    )
      throw new AppError(
        'validation_failed',
        `until must be in the future and at most ${MAX_SUSPENSION_MS / 86_400_000} days ahead`,
      );
    const current = await this.require(accountId);
    if (current.status === 'suspended' && until !== undefined) {
      if (
        !(await this.ctx.store.accounts.changeAccountStatus(accountId, 'suspended', 'suspended', now, until))
      )
        throw new AppError('conflict', `account ${accountId} is no longer suspended; suspend it again`);
      return { ...current, suspendedUntil: until };
    }
    return this.#change(accountId, 'active', 'suspended', until ?? null);
  }

  /**
   * The housekeeping's part (every minute, on every node): resumes the suspended accounts whose end has come, each
   * once whichever node gets there first, and records it (`account.resumed` by `schedule`). Returns their ids.
   */
  async resumeDue(now: number): Promise<string[]> {
    const resumed = await this.ctx.store.accounts.resumeDueAccounts(now);
    // Each one on its own: the store has resumed them all, and one failing must not leave the others' caches untold.
    for (const accountId of resumed) {
      try {
        await recordAudit(this.ctx, { name: 'schedule', address: null }, accountId, 'account.resumed', {
          scheduled: true,
        });
        await this.apiKeys.forgetAccount(accountId);
        await this.clients.forgetAccount(accountId);
        this.ctx.log.info({ accountId }, 'account resumed at the end of its suspension');
      } catch (error) {
        this.ctx.log.error(
          { err: error, accountId },
          'an account resumed at the end of its suspension may still be refused by nodes that remember it suspended, until they forget it',
        );
      }
    }
    return resumed;
  }

  /** Its credentials work again (the same ones: nothing was regenerated). */
  async resume(accountId: string): Promise<AccountRecord> {
    return this.#change(accountId, 'suspended', 'active');
  }

  /**
   * Deletes a suspended account (an active one is refused: suspending first is the check that nothing still
   * uses it). `audit.deleted` runs once it counts as deleted, then its data is removed and `audit.removed` runs
   * with how many context documents went. Answers as soon as the account counts as deleted, with `removal`:
   * resolves true once the data is gone, false when the store failed half-way (logged; the housekeeping finishes
   * the job, `purgeDeleted`); it never rejects. For an account of millions of documents that takes a while.
   */
  async delete(
    accountId: string,
    audit: {
      deleted: (account: AccountRecord) => Promise<void>;
      removed: (account: AccountRecord, documents: number) => Promise<void>;
    },
  ): Promise<{ account: AccountRecord; removal: Promise<boolean> }> {
    const account = await this.#change(accountId, 'suspended', 'deleted');
    await audit.deleted(account);
    const removal = (async () => {
      try {
        const documents = await this.#purge(accountId);
        await this.ctx.bus.publish('policies', accountId);
        await audit.removed(account, documents);
        return true;
      } catch (error) {
        this.ctx.log.warn(
          { err: error, accountId },
          "removing a deleted account's data failed half-way; the housekeeping finishes it",
        );
        return false;
      }
    })();
    return { account, removal };
  }

  /**
   * The housekeeping of deleted accounts: removes whatever data of theirs is left (a deletion that failed
   * half-way, or a write that was in flight when the account was suspended), and frees the ids held long
   * enough. Returns how many ids were freed.
   */
  async purgeDeleted(now: number): Promise<number> {
    let freed = 0;
    for (const account of await this.ctx.store.accounts.listDeletedAccounts()) {
      await this.#purge(account.accountId);
      if ((account.statusChangedAt ?? 0) + DELETED_ID_HELD_MS > now) continue;
      // Before the id is free again, no node may still hold a compiled policy set of the old account.
      await this.ctx.bus.publish('policies', account.accountId);
      if (await this.ctx.store.accounts.removeDeletedAccount(account.accountId)) freed++;
    }
    return freed;
  }

  /**
   * Records of the account made before this time belong to an earlier account of the same id (deleted, its
   * id later used again): its policy log shows nothing older. (The audit log keeps the whole history of the id.)
   */
  visibleSince(account: AccountRecord): number {
    return account.createdAt;
  }

  async #change(
    accountId: string,
    from: AccountStatus,
    to: AccountStatus,
    suspendedUntil: number | null = null,
  ): Promise<AccountRecord> {
    const account = await this.require(accountId);
    const now = this.ctx.clock.now();
    if (!(await this.ctx.store.accounts.changeAccountStatus(accountId, from, to, now, suspendedUntil))) {
      const current = await this.require(accountId);
      throw new AppError(
        'conflict',
        current.status === from
          ? `account ${accountId} is being changed by someone else right now; retry`
          : `account ${accountId} is ${current.status}, not ${from}`,
      );
    }
    // Every node drops what it remembers of the account's credentials, so the change holds at once.
    await this.apiKeys.forgetAccount(accountId);
    await this.clients.forgetAccount(accountId);
    return {
      ...account,
      status: to,
      statusChangedAt: now,
      suspendedUntil: to === 'suspended' ? suspendedUntil : null,
    };
  }

  /** Removes a deleted account's data; each step can run again. Returns how many context documents went. */
  async #purge(accountId: string): Promise<number> {
    const store = this.ctx.store;
    // First: no operator limited to accounts may keep this id, which may one day name another tenant's account.
    await store.operators.removeAccountFromOperators(accountId);
    await store.credentials.deleteAccountCredentials(accountId);
    await store.tokens.deleteTestToken(accountId);
    await store.policies.deletePolicySet(accountId);
    let documents = 0;
    for (const { name } of await store.contextNamespaces.listNamespaces(accountId))
      documents += (await deleteNamespaceInBatches(store.contextNamespaces, accountId, name)).documents;
    return documents;
  }
}
