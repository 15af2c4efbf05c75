import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { Account } from '../account.js';
import { ApiError, api, type FieldError, messageOf, useChange } from '../api.js';
import { article } from '../components/add-operator.js';
import { networksInShort } from '../components/allowed-networks-section.js';
import { accountSections } from '../components/layout.js';
import { rateInShort, rateInWords } from '../components/request-rate-section.js';
import { fieldError, Link, Loading, Notice, PageHeading, TableHead, TextField } from '../components/ui.js';
import { formatTime } from '../format.js';
import { accountHome, accountHref, navigate } from '../router.js';
import { accountCount } from '../scope.js';
import { ofEveryAccount, type SignedIn } from '../session.js';

const ACCOUNT_ID = /^[A-Za-z0-9_-]{1,64}$/;

let pendingNotice: string | null = null;

/** Goes to the accounts, saying `notice` there (once one was deleted). */
export function goToAccounts(notice: string): void {
  pendingNotice = notice;
  navigate('/accounts');
}

/** The server's refusal of an id that is taken: by an account, or (with `reusableAt`) by one deleted lately. */
function takenMessage(accountId: string, failure: ApiError): string {
  const free = failure.problem.reusableAt;
  return typeof free === 'string'
    ? `Account ${accountId} was deleted recently; its id can be used again from ${formatTime(free)}.`
    : `An account named ${accountId} already exists.`;
}

function CreateAccount({ onCreated }: { onCreated: (account: Account) => void }) {
  const [accountId, setAccountId] = useState('');
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, setError, run } = useChange();

  async function submit(event: Event) {
    event.preventDefault();
    setError(null);
    if (!ACCOUNT_ID.test(accountId)) {
      setErrors([{ field: 'accountId', message: 'Use 1 to 64 letters, digits, "_" or "-".' }]);
      return;
    }
    await run(async () => {
      setErrors([]);
      try {
        onCreated(await api.post<Account>('/api/admin/accounts', { accountId }));
      } catch (failure) {
        // A refusal is said on the field; anything else, above the form.
        if (failure instanceof ApiError && failure.status === 409) {
          setErrors([{ field: 'accountId', message: takenMessage(accountId, failure) }]);
        } else if (failure instanceof ApiError && failure.errors.length > 0) {
          setErrors(failure.errors);
        } else throw failure;
      }
    });
  }

  return (
    <section aria-labelledby="create-account" class="card">
      <h2 id="create-account">Create an account</h2>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <form onSubmit={submit} class="inline-form">
        <TextField
          label="Account ID"
          value={accountId}
          onValue={setAccountId}
          hint="1 to 64 letters, digits, _ or -, such as le12345678. The account gets its v1 API key and v2 credentials at once."
          error={fieldError(errors, 'accountId', 'body.accountId', 'body')}
          required
          maxLength={64}
          autoComplete="off"
          spellcheck={false}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create account'}
        </button>
      </form>
    </section>
  );
}

/** "Suspended since …" stands out; "Active" does not. */
function AccountStatus({ account }: { account: Account }) {
  if (account.status !== 'suspended') return <span class="muted">Active</span>;
  const since = account.statusChangedAt;
  return (
    <>
      <span class="badge badge-warning">Suspended</span>
      {since ? (
        <>
          {' '}
          since <time dateTime={since}>{formatTime(since)}</time>
        </>
      ) : null}
    </>
  );
}

/** One more note after the rate: a separator (a comma for screen readers), then the note, explained in its title. */
function LimitNote({ title, children }: { title: string; children: ComponentChildren }) {
  return (
    <>
      <span aria-hidden="true"> · </span>
      <span class="visually-hidden">, </span>
      <span title={title}>{children}</span>
    </>
  );
}

/**
 * The account's request rate ("500/s (own)", "server's 100/s", "—" for none), with a list how many networks its
 * credentials are accepted from (the list in the title and for screen readers), "assertions only" when its v2
 * password is refused, "DPoP required" when its tokens must be bound to a key, and "certificate required" when they
 * must be bound to one of its client certificates (mutual TLS).
 */
function AccountLimits({ account }: { account: Account }) {
  const rate = rateInShort(account);
  const networks = account.allowedNetworks;
  return (
    <>
      {rate && account.effectiveRateLimit ? (
        <span title={rateInWords(account.effectiveRateLimit, account.rateScope)}>{rate}</span>
      ) : (
        <>
          <span aria-hidden="true">—</span>
          <span class="visually-hidden">No limit</span>
        </>
      )}
      {networks ? (
        <LimitNote title={networks.join(', ')}>
          {networksInShort(networks)}
          <span class="visually-hidden">: {networks.join(', ')}</span>
        </LimitNote>
      ) : null}
      {account.signedAssertionsOnly ? (
        <LimitNote title="Its v2 client authenticates with signed assertions alone: the password is refused">
          assertions only
        </LimitNote>
      ) : null}
      {account.dpopRequired ? (
        <LimitNote title="Its access tokens must be bound to a key its client holds (DPoP): bearer tokens are refused">
          DPoP required
        </LimitNote>
      ) : null}
      {account.certificateRequired ? (
        <LimitNote title="Its access tokens must be bound to one of its client certificates (mutual TLS): other tokens are refused">
          certificate required
        </LimitNote>
      ) : null}
    </>
  );
}

/** What the list says when it is empty, to whom. */
function NoAccounts({ operator }: { operator: SignedIn }) {
  if (!ofEveryAccount(operator))
    return <p>No account is open to you: an operator of every account chooses the accounts you act on.</p>;
  return (
    <p>{operator.role === 'admin' ? 'No accounts yet: create the first one above.' : 'No accounts yet.'}</p>
  );
}

/**
 * The accounts `operator` acts on, each with links to the pages their role may open; for an admin of every
 * account, the form that creates one.
 */
export function AccountsPage({ operator }: { operator: SignedIn }) {
  const { role } = operator;
  const everyAccount = ofEveryAccount(operator);
  const [accounts, setAccounts] = useState<Account[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice] = useState(() => {
    const text = pendingNotice;
    pendingNotice = null;
    return text;
  });

  useEffect(() => {
    api
      .get<Account[]>('/api/admin/accounts')
      .then(setAccounts)
      .catch((failure) => setError(messageOf(failure)));
  }, []);

  return (
    <>
      <PageHeading title="Accounts">Accounts</PageHeading>
      <p>Each account has its own API credentials, routing policies and conversation context.</p>
      {!everyAccount && accounts && accounts.length > 0 ? (
        <p>
          You act on {accountCount(accounts.length)} only, as {article(role)}: an operator of every account
          creates accounts and chooses who acts on which.
        </p>
      ) : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {role === 'admin' && everyAccount ? (
        <CreateAccount onCreated={(account) => navigate(accountHref(account.accountId))} />
      ) : null}
      <section aria-labelledby="account-list">
        <h2 id="account-list">{everyAccount ? 'All accounts' : 'Your accounts'}</h2>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {accounts === null && !error ? <Loading what="accounts" /> : null}
        {accounts && accounts.length === 0 ? <NoAccounts operator={operator} /> : null}
        {accounts && accounts.length > 0 ? (
          <table>
            <TableHead
              caption="Accounts, with links to their pages"
              columns={['Account', 'Created', 'Status', 'Limits', 'Pages']}
            />
            <tbody>
              {accounts.map((a) => (
                <tr key={a.accountId}>
                  <th scope="row">
                    <Link href={accountHome(a.accountId, role)}>{a.accountId}</Link>
                  </th>
                  <td>{formatTime(a.createdAt)}</td>
                  <td>
                    <AccountStatus account={a} />
                  </td>
                  <td>
                    <AccountLimits account={a} />
                  </td>
                  <td>
                    <ul class="inline-list" aria-label={`Pages of account ${a.accountId}`}>
                      {accountSections(operator).map(({ section, label }) => (
                        <li key={section}>
                          <Link href={accountHref(a.accountId, section)}>{label}</Link>
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}
