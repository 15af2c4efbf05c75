export interface AccountRecord {
  accountId: string;
  createdAt: number;
}

export interface AccountStore {
  /** Creates the account; false when it already exists. */
  createAccount(account: AccountRecord): Promise<boolean>;
  getAccount(accountId: string): Promise<AccountRecord | null>;
  listAccounts(): Promise<AccountRecord[]>;
}
