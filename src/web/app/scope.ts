import type { SignedIn } from './session.js';

/** "1 account", "3 accounts". */
export function accountCount(count: number): string {
  return count === 1 ? '1 account' : `${count} accounts`;
}

/** An operator's accounts as a list shows them: "Every account", "No account", "le1, le2". */
export function accountsInWords(accounts: string[] | null): string {
  if (accounts === null) return 'Every account';
  return accounts.length === 0 ? 'No account' : accounts.join(', ');
}

/** What follows a role in a sentence: "" for every account, " of account le1", " of no account". */
export function ofAccounts(accounts: string[] | null): string {
  if (accounts === null) return '';
  if (accounts.length === 0) return ' of no account';
  return ` of ${accounts.length === 1 ? 'account' : 'accounts'} ${accounts.join(', ')}`;
}

/** How the top bar says who is signed in: "admin", "viewer of 2 accounts". */
export function roleInWords({ role, accounts }: SignedIn): string {
  return accounts === null ? role : `${role} of ${accountCount(accounts.length)}`;
}

/** What an operator acts on, at the end of a sentence: "every account", "account le1 only", "no account". */
export function actsOn(accounts: string[] | null): string {
  if (accounts === null) return 'every account';
  if (accounts.length === 0) return 'no account';
  return `${accounts.length === 1 ? 'account' : 'accounts'} ${accounts.join(', ')} only`;
}
