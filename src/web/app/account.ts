import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, accountPath, api, messageOf } from './api.js';

/** A request rate: `perSecond` refills the account's bucket, which holds `burst` calls at most. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

export type RateScope = 'cluster' | 'node';

/** An account as the admin API shows it (`GET /api/admin/accounts/{acct}`); deleted ones are not shown. */
export interface Account {
  accountId: string;
  createdAt: string;
  /** Suspended: every credential of the account is refused; its data is kept. */
  status: 'active' | 'suspended';
  /** When it was last suspended or resumed. */
  statusChangedAt: string | null;
  /** A suspended account: when it is resumed by itself (within a minute); null: when resumed by hand, or not suspended. */
  suspendedUntil: string | null;
  /** Its own request rate (`perSecond` 0: no limit for it); null: the server's (`ACCOUNT_RATE_LIMIT`). */
  rateLimit: RateLimit | null;
  /** The rate that holds for it; null: no limit. */
  effectiveRateLimit: RateLimit | null;
  /** Where the rate is counted: `cluster` (REDIS_URL: once for every node together) or `node` (each on its own). */
  rateScope: RateScope;
  /** The IPv4 and IPv6 addresses and networks its credentials are accepted from; null: any address. */
  allowedNetworks: string[] | null;
  /** Its v2 client authenticates with signed client assertions alone: its user ID and password are refused. */
  signedAssertionsOnly: boolean;
  /** Its access tokens must be bound to a key its client holds (DPoP, RFC 9449): bearer tokens are refused. */
  dpopRequired: boolean;
  /**
   * Its access tokens must be bound to one of the client certificates registered as its keys (mutual TLS, RFC 8705):
   * a token request without one is refused, and so is every token not bound to one.
   */
  certificateRequired: boolean;
}

/** One account, loaded once, and the setter for what a change of its status or its limits answers. */
export interface AccountState {
  account: Account | null;
  error: string | null;
  /** The server knows no such account, or none this operator acts on (404). */
  notFound: boolean;
  changed: (account: Account) => void;
}

/** The account of the pages being shown, for its status and its admin's controls. */
export function useAccount(accountId: string): AccountState {
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notFound, setNotFound] = useState(false);

  useEffect(() => {
    api
      .get<Account>(accountPath(accountId))
      .then(setAccount)
      .catch((failure) => {
        setNotFound(failure instanceof ApiError && failure.status === 404);
        setError(messageOf(failure));
      });
  }, [accountId]);

  const changed = useCallback((next: Account) => {
    setAccount(next);
    setError(null);
  }, []);
  return { account, error, notFound, changed };
}
