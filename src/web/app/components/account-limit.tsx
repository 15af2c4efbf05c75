import type { ComponentChildren } from 'preact';
import { useRef, useState } from 'preact/hooks';
import type { Account, AccountState } from '../account.js';
import { ApiError, accountPath, api, type FieldError, useChange } from '../api.js';
import { Notice } from './ui.js';

/**
 * What a form of a limit says once a change is done (null: a change begins, the last notice goes); `buttonGone`:
 * the button pressed went with what it removed.
 */
export type LimitChanged = (notice: string | null, buttonGone: boolean) => void;

/**
 * The state of a limit's form: what is typed, first and after each change `typedOf` the account; `put` sets the
 * limit at `/api/admin/accounts/{acct}/{path}` and `remove` takes it away, each saying its `notice` once done. A
 * change is busy while it runs; a refusal shows at the fields `fieldsOf` names (by default the server's field
 * errors), else above the form.
 */
export function useLimitForm<T>(
  { accountId, state, account, onChanged }: LimitFormProps,
  path: string,
  typedOf: (account: Account) => T,
  fieldsOf: (failure: ApiError) => FieldError[] = (failure) => failure.errors,
) {
  const [typed, setTyped] = useState(() => typedOf(account));
  const [errors, setErrors] = useState<FieldError[]>([]);
  const { busy, error, run } = useChange();

  async function change(call: () => Promise<Account>, notice: string, buttonGone: boolean): Promise<void> {
    await run(async () => {
      setErrors([]);
      onChanged(null, false);
      try {
        const next = await call();
        state.changed(next);
        setTyped(typedOf(next));
        onChanged(notice, buttonGone);
      } catch (failure) {
        const atFields = failure instanceof ApiError ? fieldsOf(failure) : [];
        if (atFields.length === 0) throw failure;
        setErrors(atFields);
      }
    });
  }

  const url = accountPath(accountId, path);
  return {
    typed,
    setTyped,
    errors,
    setErrors,
    /** What `LimitForm` shows of the change under way. */
    progress: { error, busy },
    put: (body: unknown, notice: string) => change(() => api.put<Account>(url, body), notice, false),
    // The button pressed goes with what it removed.
    remove: (notice: string) => change(() => api.delete<Account>(url), notice, true),
  };
}

/** A limit's form: its fields, its save button and, while the account has its own, the button that removes it. */
export function LimitForm({
  onSave,
  progress: { error, busy },
  save,
  remove,
  children,
}: {
  onSave: (event: Event) => void;
  progress: { error: string | null; busy: boolean };
  /** The save button's text. */
  save: string;
  /** The button that removes the account's own, when it has one. */
  remove: { label: string; onClick: () => void } | null;
  children: ComponentChildren;
}) {
  return (
    <form onSubmit={onSave} noValidate>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {children}
      <div class="actions">
        <button type="submit" disabled={busy}>
          {busy ? 'Saving…' : save}
        </button>
        {remove ? (
          <button type="button" class="button-secondary" onClick={remove.onClick} disabled={busy}>
            {remove.label}
          </button>
        ) : null}
      </div>
    </form>
  );
}

/** What the form of a limit is given. */
export interface LimitFormProps {
  accountId: string;
  state: AccountState;
  account: Account;
  onChanged: LimitChanged;
}

/** What the page gives the section of a limit. */
export interface LimitSectionProps {
  accountId: string;
  state: AccountState;
}

/**
 * A section of the account's limits: what holds `now`, what the limit does (`about`), and its `Form`, with the
 * notice of the last change; or, for an operator who may not change it, why (`readOnly`) in place of the form.
 * The button that was pressed may be gone with what it removed: the focus then goes back to the section's heading.
 */
export function LimitSection({
  accountId,
  state,
  readOnly,
  id,
  title,
  now,
  about,
  Form,
}: LimitSectionProps & {
  /** Why the signed-in operator reads the limit without its form; absent, they change it. */
  readOnly?: string;
  id: string;
  title: string;
  now: (account: Account) => ComponentChildren;
  about: ComponentChildren;
  Form: (props: LimitFormProps) => ComponentChildren;
}) {
  const [notice, setNotice] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  const { account } = state;
  if (!account) return null;

  const changed: LimitChanged = (text, buttonGone) => {
    setNotice(text);
    if (buttonGone) heading.current?.focus();
  };
  return (
    <section aria-labelledby={id} class="card">
      <h2 id={id} ref={heading} tabIndex={-1}>
        {title}
      </h2>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {now(account)}
      <p>
        {about} A change holds from the account's next request, on every node.
        {readOnly ? ` ${readOnly}` : null}
      </p>
      {readOnly ? null : <Form accountId={accountId} state={state} account={account} onChanged={changed} />}
    </section>
  );
}
