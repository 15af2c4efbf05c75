import type { ComponentChildren } from 'preact';
import type { Account } from '../account.js';
import { formatTime } from '../format.js';
import { type AccountSection, accountHref } from '../router.js';
import { roleInWords } from '../scope.js';
import { ofEveryAccount, type SignedIn } from '../session.js';
import { Link, Notice } from './ui.js';

/** A page of the top bar. */
export type MainPage = 'accounts' | 'audit' | 'operator-tokens' | 'operators' | 'backups';

/**
 * The top bar's pages, at `/<page>`. An operator of some accounts finds those for operators of every account
 * (`everyAccount`) left out.
 */
export const MAIN_PAGES: { page: MainPage; label: string; everyAccount: boolean }[] = [
  { page: 'accounts', label: 'Accounts', everyAccount: false },
  { page: 'audit', label: 'Audit log', everyAccount: true },
  { page: 'operator-tokens', label: 'API tokens', everyAccount: false },
  { page: 'operators', label: 'Operators', everyAccount: false },
  { page: 'backups', label: 'Backups', everyAccount: true },
];

/** The top bar's pages as `operator` finds them. */
export function mainPages(operator: SignedIn): { page: MainPage; label: string }[] {
  return ofEveryAccount(operator) ? MAIN_PAGES : MAIN_PAGES.filter((p) => !p.everyAccount);
}

export interface ShellProps {
  operator: SignedIn | null;
  current: MainPage | null;
  signingOut?: boolean;
  onSignOut?: () => void;
  children: ComponentChildren;
}

/** Skip link, banner with the main navigation and sign-out, then the page's main landmark. */
export function Shell({ operator, current, signingOut, onSignOut, children }: ShellProps) {
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="banner">
        <div class="banner-inner">
          <span class="brand">Conversation Orchestrator</span>
          {operator ? (
            <>
              <nav aria-label="Main">
                <ul class="inline-list">
                  {mainPages(operator).map(({ page, label }) => (
                    <li key={page}>
                      <Link href={`/${page}`} aria-current={current === page ? 'page' : undefined}>
                        {label}
                      </Link>
                    </li>
                  ))}
                </ul>
              </nav>
              <div class="who">
                <span>
                  Signed in as <strong>{operator.username}</strong> ({roleInWords(operator)})
                </span>
                <button type="button" class="button-secondary" onClick={onSignOut} disabled={signingOut}>
                  {signingOut ? 'Signing out…' : 'Sign out'}
                </button>
              </div>
            </>
          ) : null}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

const SECTIONS: { section: AccountSection; label: string }[] = [
  { section: 'api-authorization', label: 'API Authorization' },
  { section: 'policies', label: 'Policies' },
  { section: 'context', label: 'Context' },
  { section: 'policy-logs', label: 'Policy logs' },
  { section: 'audit', label: 'Audit log' },
];

/** The account's pages `operator` may open: a viewer may not see its secrets. */
export function accountSections(operator: SignedIn): { section: AccountSection; label: string }[] {
  return SECTIONS.filter(({ section }) => mayOpen(operator, section));
}

/** Whether `operator` may open the account page `section` (else it says why, not a refusal). */
export function mayOpen(operator: SignedIn, section: AccountSection): boolean {
  return section !== 'api-authorization' || operator.role === 'admin';
}

/**
 * Said above each page of a suspended account, with its end if it has one; an admin is pointed to where it is resumed or deleted, or told who
 * does it.
 */
function SuspendedBanner({
  account,
  current,
  operator,
}: {
  account: Account;
  current: AccountSection | null;
  operator: SignedIn;
}) {
  const since = account.statusChangedAt;
  const admin = operator.role === 'admin';
  return (
    <Notice kind="warning">
      <strong>
        Suspended
        {since ? (
          <>
            {' '}
            since <time dateTime={since}>{formatTime(since)}</time>
          </>
        ) : null}
        {account.suspendedUntil ? (
          <>
            , until <time dateTime={account.suspendedUntil}>{formatTime(account.suspendedUntil)}</time>
          </>
        ) : null}
      </strong>{' '}
      — every credential of this account is refused; its data is kept.
      {admin && !ofEveryAccount(operator) ? ' An operator of every account resumes or deletes it.' : null}
      {admin && ofEveryAccount(operator) && current !== 'api-authorization' ? (
        <>
          {' '}
          Resume or delete it on its{' '}
          <Link href={accountHref(account.accountId, 'api-authorization')}>API Authorization</Link> page.
        </>
      ) : null}
    </Notice>
  );
}

/** The breadcrumb and the account's sections above each account page, and whether it is suspended. */
export function AccountNav({
  accountId,
  current,
  operator,
  account,
}: {
  accountId: string;
  current: AccountSection | null;
  operator: SignedIn;
  /** Null while it loads, or when it could not be (the page says why). */
  account: Account | null;
}) {
  return (
    <>
      <nav aria-label="Breadcrumb" class="breadcrumb">
        <ol class="inline-list">
          <li>
            <Link href="/accounts">Accounts</Link>
          </li>
          <li>
            <span>Account {accountId}</span>
          </li>
        </ol>
      </nav>
      <nav aria-label={`Account ${accountId}`} class="tabs">
        <ul class="inline-list">
          {accountSections(operator).map(({ section, label }) => (
            <li key={section}>
              <Link
                href={accountHref(accountId, section)}
                aria-current={current === section ? 'page' : undefined}
              >
                {label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {account?.status === 'suspended' ? (
        <SuspendedBanner account={account} current={current} operator={operator} />
      ) : null}
    </>
  );
}
