import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
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

/** "Suspended since …, until …" stands out; "Active" does not. */
function AccountStatus({ account }: { account: Account }) {
  if (account.status !== 'suspended') return <span class="muted">Active</span>;
  const since = account.statusChangedAt;
  const until = account.suspendedUntil;
  return (
    <>
      <span class="badge badge-warning">Suspended</span>
      {since ? (
        <>
          {' '}
          since <time dateTime={since}>{formatTime(since)}</time>
        </>
      ) : null}
      {until ? (
        <>
          , until <time dateTime={until}>{formatTime(until)}</time>
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

/** How many accounts the list asks for at a time; "Show more accounts" adds the next as many. */
const PAGE_SIZE = 100;
/** How long the search waits after the last key before asking the server (Enter asks at once). */
const SEARCH_DELAY_MS = 250;
/** What the server searches ids for: a part of one (letters, digits, "_" or "-"); anything else matches none. */
const SEARCHABLE = /^[A-Za-z0-9_-]{1,64}$/;

/** The accounts listed for `term` ("" for none): the pages loaded so far, and the path of the next page, if any. */
interface Listed {
  term: string;
  accounts: Account[];
  next: string | null;
  /** Announce how many are listed without a search: after "Show more accounts", or once the search was cleared. */
  count: boolean;
}

/** "“acme”", for the status line. */
const quoted = (term: string) => `“${term}”`;

/** What the status line says of the accounts listed; nothing for the first page of every account. */
function statusOf({ term, accounts, next, count }: Listed): string {
  const n = accounts.length;
  if (term === '') return count && n > 0 ? `${accountCount(n)} listed${next ? '; more follow' : ''}.` : '';
  if (!SEARCHABLE.test(term))
    return `No account matches ${quoted(term)}: account IDs hold only letters, digits, “_” and “-”.`;
  if (n === 0) return `No account matches ${quoted(term)}.`;
  if (next) return `More than ${accountCount(n)} match ${quoted(term)}; the first ${n} are listed.`;
  return `${accountCount(n)} ${n === 1 ? 'matches' : 'match'} ${quoted(term)}.`;
}

/**
 * The accounts `operator` acts on, a page at a time ("Show more accounts"), found by a part of their id, each with
 * links to the pages their role may open; for an admin of every account, the form that creates one.
 */
export function AccountsPage({ operator }: { operator: SignedIn }) {
  const { role } = operator;
  const everyAccount = ofEveryAccount(operator);
  /** What the search field holds; `searched`, what the list was last asked for (trimmed, after the delay). */
  const [query, setQuery] = useState('');
  const [searched, setSearched] = useState('');
  const [listed, setListed] = useState<Listed | null>(null);
  /** The first page without a search: how many accounts it held, and whether more follow. */
  const [total, setTotal] = useState<{ count: number; more: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  /** The row whose link takes the focus once "Show more accounts" added it (the first of those added). */
  const [focusRow, setFocusRow] = useState<number | null>(null);
  // Answers for a search no longer asked for are dropped, so that a slow one cannot fill the list of the next.
  const asked = useRef<string | null>(null);
  const rows = useRef<HTMLTableSectionElement>(null);
  const moreButton = useRef<HTMLButtonElement>(null);
  const [notice] = useState(() => {
    const text = pendingNotice;
    pendingNotice = null;
    return text;
  });

  useEffect(() => {
    const term = query.trim();
    if (term === searched) return;
    // Cleared: the first page again at once.
    const timer = setTimeout(() => setSearched(term), term === '' ? 0 : SEARCH_DELAY_MS);
    return () => clearTimeout(timer);
  }, [query, searched]);

  useEffect(() => {
    const previous = asked.current;
    asked.current = searched;
    setError(null);
    const count = searched === '' && previous !== null && previous !== '';
    // No id holds anything else: said without asking the server.
    if (searched !== '' && !SEARCHABLE.test(searched)) {
      setListed({ term: searched, accounts: [], next: null, count });
      return;
    }
    const params = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (searched) params.set('search', searched);
    api
      .page<Account>(`/api/admin/accounts?${params}`)
      .then(({ items, next }) => {
        if (asked.current !== searched) return;
        setListed({ term: searched, accounts: items, next, count });
        if (searched === '') setTotal({ count: items.length, more: next !== null });
      })
      .catch((failure) => {
        if (asked.current !== searched) return;
        setListed(null);
        setError(messageOf(failure));
      });
  }, [searched]);

  useEffect(() => {
    if (focusRow === null) return;
    rows.current?.rows[focusRow]?.querySelector('a')?.focus();
    setFocusRow(null);
  }, [focusRow]);

  async function showMore() {
    const from = listed;
    if (!from?.next) return;
    setLoadingMore(true);
    setError(null);
    try {
      const { items, next } = await api.page<Account>(from.next);
      if (asked.current !== from.term) return;
      setListed({ ...from, accounts: [...from.accounts, ...items], next, count: true });
      setFocusRow(items.length > 0 ? from.accounts.length : null);
    } catch (failure) {
      if (asked.current !== from.term) return;
      setError(messageOf(failure));
      // The button was disabled while it loaded: it has the focus again, to try once more.
      setTimeout(() => moreButton.current?.focus());
    } finally {
      setLoadingMore(false);
    }
  }

  const accounts = listed?.accounts ?? null;
  // While a new search is on its way, the rows of the last one stay, marked busy.
  const searching = listed !== null && listed.term !== searched && error === null;
  const status = listed ? statusOf(listed) : '';
  // Known to the operator by a count of the first page (or, with more pages, of their accounts).
  const yours = total?.more && operator.accounts ? operator.accounts.length : total?.count;

  return (
    <>
      <PageHeading title="Accounts">Accounts</PageHeading>
      <p>Each account has its own API credentials, routing policies and conversation context.</p>
      {!everyAccount && yours ? (
        <p>
          You act on {accountCount(yours)} only, as {article(role)}: an operator of every account creates
          accounts and chooses who acts on which.
        </p>
      ) : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {role === 'admin' && everyAccount ? (
        <CreateAccount onCreated={(account) => navigate(accountHref(account.accountId))} />
      ) : null}
      <section aria-labelledby="account-list">
        <h2 id="account-list">{everyAccount ? 'All accounts' : 'Your accounts'}</h2>
        {error ? <Notice kind="error">{error}</Notice> : null}
        {(total && total.count > 0) || query !== '' || searched !== '' ? (
          <search aria-label="Accounts">
            <form
              class="inline-form"
              onSubmit={(event) => {
                event.preventDefault();
                setSearched(query.trim());
              }}
            >
              <TextField
                type="search"
                label="Find an account"
                value={query}
                onValue={setQuery}
                hint="Part of its ID, whatever the case: the list shows the accounts whose ID holds it."
                maxLength={64}
                autoComplete="off"
                spellcheck={false}
              />
            </form>
          </search>
        ) : null}
        <p role="status" class={status ? undefined : 'visually-hidden'}>
          {status}
        </p>
        {accounts === null && !error ? <Loading what="accounts" /> : null}
        {listed && listed.term === '' && listed.accounts.length === 0 ? (
          <NoAccounts operator={operator} />
        ) : null}
        {accounts && accounts.length > 0 ? (
          <table aria-busy={searching ? 'true' : undefined}>
            <TableHead
              caption="Accounts, with links to their pages"
              columns={['Account', 'Created', 'Status', 'Limits', 'Pages']}
            />
            <tbody ref={rows}>
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
        {listed?.next ? (
          <button
            type="button"
            class="button-secondary"
            ref={moreButton}
            onClick={showMore}
            disabled={loadingMore}
          >
            {loadingMore ? 'Loading…' : 'Show more accounts'}
          </button>
        ) : null}
      </section>
    </>
  );
}
