import { type AccountState, useAccount } from '../account.js';
import { AccountNav } from '../components/layout.js';
import type { AccountSection } from '../router.js';
import { ofEveryAccount, type Role, type SignedIn } from '../session.js';
import { ApiAuthorizationNeedsAdmin, ApiAuthorizationPage } from './api-authorization.js';
import { AuditPage } from './audit.js';
import { NotFound } from './closed.js';
import { ContextPage } from './context.js';
import { PoliciesPage } from './policies.js';
import { NewPolicyNeedsAdmin, PolicyEditorPage } from './policy-editor.js';
import { PolicyLogsPage } from './policy-logs.js';
import { PolicyViewPage } from './policy-view.js';

/** One page of an account; a viewer finds why, not a refusal, where only an admin may go. */
function AccountPage({
  accountId,
  section,
  operator,
  account,
}: {
  accountId: string;
  section: AccountSection;
  operator: SignedIn;
  account: AccountState;
}) {
  const { role } = operator;
  switch (section) {
    case 'api-authorization':
      return role === 'admin' ? (
        <ApiAuthorizationPage
          accountId={accountId}
          account={account}
          everyAccount={ofEveryAccount(operator)}
        />
      ) : (
        <ApiAuthorizationNeedsAdmin
          accountId={accountId}
          account={account}
          everyAccount={ofEveryAccount(operator)}
        />
      );
    case 'policies':
      return <PoliciesPage accountId={accountId} role={role} />;
    case 'context':
      return <ContextPage accountId={accountId} role={role} />;
    case 'policy-logs':
      return <PolicyLogsPage accountId={accountId} />;
    case 'audit':
      return <AuditPage accountId={accountId} />;
  }
}

function PolicyPage({
  accountId,
  policyId,
  role,
}: {
  accountId: string;
  policyId: string | null;
  role: Role;
}) {
  if (role === 'admin') return <PolicyEditorPage accountId={accountId} policyId={policyId} />;
  if (policyId === null) return <NewPolicyNeedsAdmin accountId={accountId} />;
  return <PolicyViewPage accountId={accountId} policyId={policyId} />;
}

/** In place of an account's pages when the server knows no such account, or none of this operator's (404). */
function AccountNotFound({ accountId, operator }: { accountId: string; operator: SignedIn }) {
  return (
    <NotFound what="Account">
      There is no account <strong>{accountId}</strong>
      {ofEveryAccount(operator) ? '' : ' among the accounts you act on'}.
    </NotFound>
  );
}

/** An account's navigation and status above one of its pages. */
export function AccountPages({
  accountId,
  section,
  operator,
}: {
  accountId: string;
  section: AccountSection;
  operator: SignedIn;
}) {
  const account = useAccount(accountId);
  if (account.notFound) return <AccountNotFound accountId={accountId} operator={operator} />;
  return (
    <>
      <AccountNav accountId={accountId} current={section} operator={operator} account={account.account} />
      <AccountPage accountId={accountId} section={section} operator={operator} account={account} />
    </>
  );
}

/** A policy of an account, under the account's navigation and status. */
export function PolicyPages({
  accountId,
  policyId,
  operator,
}: {
  accountId: string;
  policyId: string | null;
  operator: SignedIn;
}) {
  const { account, notFound } = useAccount(accountId);
  if (notFound) return <AccountNotFound accountId={accountId} operator={operator} />;
  return (
    <>
      <AccountNav accountId={accountId} current="policies" operator={operator} account={account} />
      <PolicyPage key={policyId} accountId={accountId} policyId={policyId} role={operator.role} />
    </>
  );
}
