/**
 * `active`: its credentials work. `suspended`: every credential of the account is refused (its data is kept;
 * operators still see it). `deleted`: its credentials and data are gone or going; the record stays as a
 * tombstone until no token of it can still be unexpired, so the id cannot be taken again before then.
 */
export type AccountStatus = 'active' | 'suspended' | 'deleted';

export interface AccountRecord {
  accountId: string;
  createdAt: number;
  status: AccountStatus;
  /** When the status last changed (null: active since creation). */
  statusChangedAt: number | null;
  /** A suspended account's end of suspension, when it is resumed by itself (null: none, or not suspended). */
  suspendedUntil: number | null;
  /** The account's own request rate on each node, in place of ACCOUNT_RATE_LIMIT's; null: the server's. */
  rateLimit: AccountRateLimit | null;
  /** The addresses and networks its credentials are accepted from (`10.0.0.0/8`, `2001:db8::1`); null: any. */
  allowedNetworks: string[] | null;
  /**
   * Its v2 client authenticates with signed assertions alone (private_key_jwt): the user ID and password are
   * refused at the OAuth endpoints and the login endpoint.
   */
  signedAssertionsOnly: boolean;
  /**
   * Its access tokens must be bound to a key its client holds (RFC 9449, DPoP): a token request without a DPoP
   * proof is refused, and so is any token of the account that is not bound (the token for testing, older tokens).
   */
  dpopRequired: boolean;
  /**
   * Its access tokens must be bound to a client certificate registered as one of its keys (RFC 8705, mutual TLS): a
   * token request over a connection without such a certificate is refused, and so is any token of the account that
   * is not bound to one (the token for testing, older tokens).
   */
  certificateRequired: boolean;
}

/** The yes-or-no settings of an account's v2 client and its tokens. */
export type AccountFlag = 'signedAssertionsOnly' | 'dpopRequired' | 'certificateRequired';

/**
 * What of an account each node keeps in memory to limit its requests: its rate and networks. (Signed assertions
 * alone is read with the client's credentials, not here.)
 */
export type AccountLimits = Pick<AccountRecord, 'accountId' | 'rateLimit' | 'allowedNetworks'>;

/** Requests a second on each node (0: no limit for this account), up to `burst` at once. */
export interface AccountRateLimit {
  perSecond: number;
  burst: number;
}

/** A page of the accounts list: ids holding `search` (case-insensitive), after `after`, `limit` at most. */
export interface AccountPage {
  search?: string;
  after?: string;
  limit?: number;
}

export interface AccountStore {
  /** Creates the account, active; false when the id is taken (by any account, deleted ones included). */
  createAccount(account: Pick<AccountRecord, 'accountId' | 'createdAt'>): Promise<boolean>;
  /** The account whatever its status (deleted ones included), or null. */
  getAccount(accountId: string): Promise<AccountRecord | null>;
  /**
   * Accounts that are not deleted, by id (binary order); with a page: those whose id holds `search` (letters of
   * either case), after the id `after`, at most `limit` of them.
   */
  listAccounts(page?: AccountPage): Promise<AccountRecord[]>;
  /** Deleted accounts (tombstones), by id. */
  listDeletedAccounts(): Promise<AccountRecord[]>;
  /**
   * Moves the account from status `from` to `to` at `at`, only if its status is still `from` (compare and
   * set: two operators acting at once cannot both succeed); false when it is not (or the account is unknown).
   * `suspendedUntil`: the end of a suspension (to `suspended`; null: none). From `suspended` to `suspended`, only the
   * end changes (the status's time stays).
   */
  changeAccountStatus(
    accountId: string,
    from: AccountStatus,
    to: AccountStatus,
    at: number,
    suspendedUntil?: number | null,
  ): Promise<boolean>;
  /**
   * Resumes, at `now`, each suspended account whose suspension ended by then, and answers their ids: each one once,
   * whichever node asks (one statement: two nodes at once resume each account once between them).
   */
  resumeDueAccounts(now: number): Promise<string[]>;
  /** Removes a deleted account's record, freeing its id; false unless the account exists and is deleted. */
  removeDeletedAccount(accountId: string): Promise<boolean>;
  /** Sets (null: clears) the account's own request rate; false when the account is unknown or deleted. */
  setAccountRateLimit(accountId: string, limit: AccountRateLimit | null): Promise<boolean>;
  /** Sets (null: clears) the networks the account's credentials are accepted from; false when unknown or deleted. */
  setAccountNetworks(accountId: string, networks: string[] | null): Promise<boolean>;
  /** Turns one of the account's flags on or off; false when the account is unknown or deleted. */
  setAccountFlag(accountId: string, flag: AccountFlag, on: boolean): Promise<boolean>;
  /** The accounts that are not deleted and have a request rate or networks of their own, by id. */
  listAccountLimits(): Promise<AccountLimits[]>;
}
