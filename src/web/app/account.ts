import { useCallback, useEffect, useState } from 'preact/hooks';
import { ApiError, accountPath, api, messageOf } from './api.js';

/** An account as the admin API shows it (`GET /api/admin/accounts/{acct}`); deleted ones are not shown. */
export interface Account {
  accountId: string;
  createdAt: string;
  /** Suspended: every credential of the account is refused; its data is kept. */
  status: 'active' | 'suspended';
  /** When it was last suspended or resumed. */
  statusChangedAt: string | null;
}

/** One account, loaded once, and the setter for what a suspension or a resumption answers. */
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
