import { AppError } from '../core/errors.js';
import type { AccountRecord } from '../ports/account-store.js';
import type { ApiKeyService } from './api-keys.js';
import type { ClientService } from './clients.js';
import type { ServiceContext } from './context.js';

export const ACCOUNT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** Accounts (tenants). A new account gets its v1 key and v2 credentials at once. */
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
    const record = { accountId, createdAt: this.ctx.clock.now() };
    if (!(await this.ctx.store.accounts.createAccount(record))) {
      throw new AppError('conflict', `account ${accountId} already exists`);
    }
    await this.apiKeys.regenerate(accountId);
    await this.clients.regenerate(accountId);
    return record;
  }

  async list(): Promise<AccountRecord[]> {
    return this.ctx.store.accounts.listAccounts();
  }

  /** The account, or 404: used by every admin route that names one. */
  async require(accountId: string): Promise<AccountRecord> {
    const found = ACCOUNT_ID_PATTERN.test(accountId)
      ? await this.ctx.store.accounts.getAccount(accountId)
      : null;
    if (!found) throw new AppError('not_found', `no account ${accountId}`);
    return found;
  }
}
