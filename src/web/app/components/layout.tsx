import type { ComponentChildren } from 'preact';
import type { Account } from '../account.js';
import { formatTime } from '../format.js';
import { type AccountSection, accountHref } from '../router.js';
import type { Role, SignedIn } from '../session.js';
import { Link, Notice } from './ui.js';

export interface ShellProps {
  operator: SignedIn | null;
  current: 'accounts' | 'audit' | 'operator-tokens' | 'operators' | 'backups' | null;
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
                  <li>
                    <Link href="/accounts" aria-current={current === 'accounts' ? 'page' : undefined}>
                      Accounts
                    </Link>
                  </li>
                  <li>
                    <Link href="/audit" aria-current={current === 'audit' ? 'page' : undefined}>
                      Audit log
                    </Link>
                  </li>
                  <li>
                    <Link
                      href="/operator-tokens"
                      aria-current={current === 'operator-tokens' ? 'page' : undefined}
                    >
                      API tokens
                    </Link>
                  </li>
                  <li>
                    <Link href="/operators" aria-current={current === 'operators' ? 'page' : undefined}>
                      Operators
                    </Link>
                  </li>
                  <li>
                    <Link href="/backups" aria-current={current === 'backups' ? 'page' : undefined}>
                      Backups
                    </Link>
                  </li>
                </ul>
              </nav>
              <div class="who">
                <span>
                  Signed in as <strong>{operator.username}</strong> ({operator.role})
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

/** The account's pages an operator of `role` may open: a viewer may not see its secrets. */
export function accountSections(role: Role): { section: AccountSection; label: string }[] {
  return role === 'admin' ? SECTIONS : SECTIONS.filter((s) => s.section !== 'api-authorization');
}

/** Said above each page of a suspended account; an admin is pointed to where it is resumed or deleted. */
function SuspendedBanner({
  account,
  current,
  role,
}: {
  account: Account;
  current: AccountSection | null;
  role: Role;
}) {
  const since = account.statusChangedAt;
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
      </strong>{' '}
      — every credential of this account is refused; its data is kept.
      {role === 'admin' && current !== 'api-authorization' ? (
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
  role,
  account,
}: {
  accountId: string;
  current: AccountSection | null;
  role: Role;
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
          {accountSections(role).map(({ section, label }) => (
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
        <SuspendedBanner account={account} current={current} role={role} />
      ) : null}
    </>
  );
}
