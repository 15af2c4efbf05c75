import type { Account, RateLimit, RateScope } from '../account.js';
import type { FieldError } from '../api.js';
import {
  LimitForm,
  type LimitFormProps,
  LimitSection,
  type LimitSectionProps,
  useLimitForm,
} from './account-limit.js';
import { fieldError, TextField, WHOLE_NUMBER_INPUT } from './ui.js';

const COUNT = new Intl.NumberFormat(undefined);

/** Digits only; the server judges the range and says why it refuses one. */
const WHOLE_NUMBER = /^\d+$/;

/** Where the rate holds, as the server counts it. */
const WHERE: Record<RateScope, string> = { cluster: 'for all nodes together', node: 'on each node' };

/** "500 requests a second, bursts of 1,000, for all nodes together". */
export function rateInWords({ perSecond, burst }: RateLimit, scope: RateScope): string {
  const requests = perSecond === 1 ? 'request' : 'requests';
  return `${COUNT.format(perSecond)} ${requests} a second, bursts of ${COUNT.format(burst)}, ${WHERE[scope]}`;
}

/** The rate that holds for `account`, short for a table cell: "500/s (own)", "server's 100/s"; null: no limit. */
export function rateInShort({ rateLimit, effectiveRateLimit: rate }: Account): string | null {
  if (!rate) return null;
  const perSecond = `${COUNT.format(rate.perSecond)}/s`;
  return rateLimit ? `${perSecond} (own)` : `server's ${perSecond}`;
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
      Now: <strong>{rate ? rateInWords(rate, account.rateScope) : 'No limit'}</strong> — {whose}.
    </p>
  );
}

type RateField = keyof RateLimit;

/** The form's fields, and what each says of a value that is not a whole number. */
const FIELDS: { name: RateField; label: string; hint: string; refused: string; optional?: true }[] = [
  {
    name: 'perSecond',
    label: 'Requests a second',
    hint: '0 to 1,000,000; 0: no limit for this account.',
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
function RateForm(props: LimitFormProps) {
  const { typed, setTyped, errors, setErrors, progress, put, remove } = useLimitForm(
    props,
    'rate-limit',
    (a) => typedOf(a.rateLimit),
  );

  function save(event: Event) {
    event.preventDefault();
    const trimmed = { perSecond: typed.perSecond.trim(), burst: typed.burst.trim() };
    const refused = typedErrors(trimmed);
    setErrors(refused);
    if (refused.length > 0) return;
    const body = {
      perSecond: Number(trimmed.perSecond),
      ...(trimmed.burst ? { burst: Number(trimmed.burst) } : {}),
    };
    void put(body, "Saved: the account's own rate holds from its next request, on every node.");
  }

  const putServersBack = () =>
    remove("The server's rate holds again for this account, from its next request on every node.");

  return (
    <LimitForm
      onSave={save}
      progress={progress}
      save="Save rate"
      remove={props.account.rateLimit ? { label: "Use the server's rate", onClick: putServersBack } : null}
    >
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
    </LimitForm>
  );
}

/**
 * *Request rate*: what holds for the account, where it is counted and whose rate it is; an admin of every account sets
 * the account's own or puts the server's back, an admin of some accounts reads it.
 */
export function RequestRateSection({
  everyAccount,
  ...props
}: LimitSectionProps & {
  /** The signed-in admin acts on every account: only such an admin changes an account's rate. */
  everyAccount: boolean;
}) {
  return (
    <LimitSection
      {...props}
      readOnly={everyAccount ? undefined : 'An operator of every account changes it.'}
      id="request-rate"
      title="Request rate"
      now={(account) => <RateInForce account={account} />}
      about={
        <>
          Every call made with the account's credentials counts: its v1 key, its v2 tokens, its client
          authentication at the OAuth endpoints.{' '}
          {props.state.account?.rateScope === 'node'
            ? 'The rate holds on each server node on its own (with three nodes, up to three times as many calls in all)'
            : 'The rate holds for all server nodes together: they share one count of the calls'}
          ; over it, a call is answered <code>429</code> with <code>Retry-After</code>.
        </>
      }
      Form={RateForm}
    />
  );
}
