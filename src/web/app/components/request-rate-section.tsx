import { useRef, useState } from 'preact/hooks';
import type { Account, AccountState, RateLimit } from '../account.js';
import { ApiError, accountPath, api, type FieldError, messageOf } from '../api.js';
import { fieldError, Notice, TextField, WHOLE_NUMBER_INPUT } from './ui.js';

const COUNT = new Intl.NumberFormat(undefined);

/** Digits only; the server judges the range and says why it refuses one. */
const WHOLE_NUMBER = /^\d+$/;

/** "500 requests a second, bursts of 1,000, on each node". */
function rateInWords({ perSecond, burst }: RateLimit): string {
  const requests = perSecond === 1 ? 'request' : 'requests';
  return `${COUNT.format(perSecond)} ${requests} a second, bursts of ${COUNT.format(burst)}, on each node`;
}

/** What holds for the account, and whose rate it is. */
function RateInForce({ account }: { account: Account }) {
  const own = account.rateLimit;
  const rate = account.effectiveRateLimit;
  let whose = "this account's own rate";
  if (own?.perSecond === 0) whose = "this account's own choice, whatever the server's rate";
  else if (!own) whose = rate ? "the server's rate (ACCOUNT_RATE_LIMIT)" : 'the server sets none';
  return (
    <p id="request-rate-now">
      Now: <strong>{rate ? rateInWords(rate) : 'No limit'}</strong> — {whose}.
    </p>
  );
}

type RateField = keyof RateLimit;

/** The form's fields, and what each says of a value that is not a whole number. */
const FIELDS: { name: RateField; label: string; hint: string; refused: string; optional?: true }[] = [
  {
    name: 'perSecond',
    label: 'Requests a second',
    hint: '0 to 1,000,000 on each node; 0: no limit for this account.',
    refused: 'Enter a whole number of requests a second, 0 for no limit.',
  },
  {
    name: 'burst',
    label: 'Burst (optional)',
    hint: 'The calls it may make at once, 1 to 10,000,000. Empty: the rate (at least 1).',
    refused: 'Enter a whole number of requests, or leave it empty.',
    optional: true,
  },
];

/** The fields showing `rate` (empty for none). */
function typedOf(rate: RateLimit | null): Record<RateField, string> {
  return { perSecond: rate ? String(rate.perSecond) : '', burst: rate ? String(rate.burst) : '' };
}

/** The errors of the fields as typed, before asking the server. */
function typedErrors(typed: Record<RateField, string>): FieldError[] {
  return FIELDS.filter(
    ({ name, optional }) => !WHOLE_NUMBER.test(typed[name]) && !(optional && typed[name] === ''),
  ).map(({ name, refused }) => ({ field: name, message: refused }));
}

/** Sets the account's own rate, or puts the server's back; `onChanged` says what was done. */
function RateForm({
  accountId,
  state,
  account,
  onChanged,
}: {
  accountId: string;
  state: AccountState;
  account: Account;
  /** `buttonGone`: the button pressed went with the account's own rate. */
  onChanged: (notice: string, buttonGone: boolean) => void;
}) {
  const own = account.rateLimit;
  const [typed, setTyped] = useState(() => typedOf(own));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function change(call: () => Promise<Account>): Promise<Account | null> {
    setBusy(true);
    setError(null);
    setErrors([]);
    try {
      const next = await call();
      state.changed(next);
      setTyped(typedOf(next.rateLimit));
      return next;
    } catch (failure) {
      if (failure instanceof ApiError && failure.errors.length > 0) setErrors(failure.errors);
      else setError(messageOf(failure));
      return null;
    } finally {
      setBusy(false);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    const trimmed = { perSecond: typed.perSecond.trim(), burst: typed.burst.trim() };
    const refused = typedErrors(trimmed);
    setErrors(refused);
    if (refused.length > 0) return;
    const body = {
      perSecond: Number(trimmed.perSecond),
      ...(trimmed.burst ? { burst: Number(trimmed.burst) } : {}),
    };
    if (await change(() => api.put<Account>(accountPath(accountId, 'rate-limit'), body)))
      onChanged("Saved: the account's own rate holds from its next request, on every node.", false);
  }

  async function putServersBack() {
    if (await change(() => api.delete<Account>(accountPath(accountId, 'rate-limit'))))
      onChanged("The server's rate holds again for this account, from its next request on every node.", true);
  }

  return (
    <form onSubmit={save} noValidate>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <div class="row">
        {FIELDS.map(({ name, label, hint }) => (
          <TextField
            key={name}
            label={label}
            value={typed[name]}
            onValue={(value) => setTyped((current) => ({ ...current, [name]: value }))}
            {...WHOLE_NUMBER_INPUT}
            hint={hint}
            error={fieldError(errors, name, `body.${name}`)}
          />
        ))}
      </div>
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : 'Save rate'}
        </button>
        {own ? (
          <button type="button" class="button-secondary" onClick={putServersBack} disabled={busy}>
            Use the server's rate
          </button>
        ) : null}
      </div>
    </form>
  );
}

/**
 * *Request rate*: what holds for the account on each node and whose rate it is; an admin of every account sets
 * the account's own or puts the server's back.
 */
export function RequestRateSection({
  accountId,
  state,
  everyAccount,
}: {
  accountId: string;
  state: AccountState;
  /** Only an operator of every account changes an account's rate. */
  everyAccount: boolean;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const { account } = state;
  if (!account) return null;

  // The button that was pressed may be gone with the rate it removed: the focus goes back to the section.
  const changed = (text: string, buttonGone: boolean) => {
    setNotice(text);
    if (buttonGone) heading.current?.focus();
  };

  return (
    <section aria-labelledby="request-rate" class="card">
      <h2 id="request-rate" ref={heading} tabIndex={-1}>
        Request rate
      </h2>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      <RateInForce account={account} />
      <p>
        Every call made with the account's credentials counts: its v1 key, its v2 tokens, its client
        authentication at the OAuth endpoints. The rate holds on each server node on its own (with three
        nodes, up to three times as many calls in all); over it, a call is answered <code>429</code> with{' '}
        <code>Retry-After</code>. A change holds from the account's next request, on every node.
        {everyAccount ? null : ' An operator of every account changes it.'}
      </p>
      {everyAccount ? (
        <RateForm accountId={accountId} state={state} account={account} onChanged={changed} />
      ) : null}
    </section>
  );
}
