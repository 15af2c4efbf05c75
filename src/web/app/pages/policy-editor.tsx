import { useEffect, useState } from 'preact/hooks';
import { ApiError, type FieldError, messageOf } from '../api.js';
import { DryRun } from '../components/dry-run.js';
import { ActionFields, ConditionFields } from '../components/policy-fields.js';
import {
  CheckField,
  ClosedPage,
  Link,
  Loading,
  Notice,
  PageHeading,
  RadioFields,
  TextAreaField,
  TextField,
} from '../components/ui.js';
import { policyApi } from '../policy-api.js';
import {
  changedPaths,
  draftOf,
  emptyAction,
  emptyCondition,
  emptyDraft,
  errorsFor,
  fieldAnchor,
  formFields,
  normaliseField,
  type PolicyDraft,
  policyOf,
} from '../policy-form.js';
import { accountHref, navigate } from '../router.js';

/** The two forms of a condition. */
const CONDITION_FORMS: { value: PolicyDraft['form']; label: string }[] = [
  { value: 'conditions', label: 'Conditions: every one must hold' },
  { value: 'expression', label: 'Expression' },
];

/** Creates or edits one policy: its name, a condition in either form, and its actions. */
export function PolicyEditorPage({ accountId, policyId }: { accountId: string; policyId: string | null }) {
  const [draft, setDraft] = useState<PolicyDraft | null>(policyId === null ? emptyDraft() : null);
  const [etag, setEtag] = useState<string | null>(null);
  const [fieldErrors, setFieldErrors] = useState<FieldError[]>([]);
  /** Fields changed since the last save: the server's messages about them no longer apply. */
  const [edited, setEdited] = useState<Set<string>>(new Set());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (policyId === null) return;
    policyApi
      .get(accountId, policyId)
      .then(({ data, etag: tag }) => {
        setDraft(draftOf(data));
        setEtag(tag);
      })
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId, policyId]);

  const title = policyId === null ? 'New policy' : 'Edit policy';
  if (!draft) {
    return (
      <>
        <PageHeading title={`${title} · ${accountId}`}>{title}</PageHeading>
        {error ? <Notice kind="error">{error}</Notice> : <Loading what="the policy" />}
      </>
    );
  }

  const current = fieldErrors.filter((e) => !edited.has(normaliseField(e.field)));
  const { by } = errorsFor(current, formFields(draft));
  const update = (change: Partial<PolicyDraft>) => {
    const next = { ...draft, ...change };
    setEdited(new Set([...edited, ...changedPaths(draft, next)]));
    setDraft(next);
  };
  const replaceAt = <T,>(list: T[], index: number, item: T) => list.map((x, i) => (i === index ? item : x));

  async function save(event: Event) {
    event.preventDefault();
    if (!draft) return;
    setBusy(true);
    setError(null);
    setFieldErrors([]);
    setEdited(new Set());
    try {
      const input = policyOf(draft);
      if (policyId === null) await policyApi.create(accountId, input);
      else await policyApi.replace(accountId, policyId, input, etag);
      navigate(accountHref(accountId, 'policies'));
    } catch (failure) {
      if (failure instanceof ApiError && failure.errors.length > 0) setFieldErrors(failure.errors);
      setError(
        failure instanceof ApiError && failure.status === 412
          ? 'Someone else changed this policy since you opened it. Reload the page to see their version.'
          : `The policy was not saved: ${messageOf(failure)}`,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <>
      <PageHeading title={`${title} · ${accountId}`}>{title}</PageHeading>
      <p>
        <Link href={accountHref(accountId, 'policies')}>Back to the policies</Link>
      </p>
      {error ? (
        <div class="notice notice-error" role="alert">
          <p>{error}</p>
          {current.length > 0 ? (
            <ul>
              {current.map((e) => {
                const anchor = fieldAnchor(normaliseField(e.field));
                return (
                  <li key={`${e.field}:${e.message}`}>
                    {anchor.id ? <a href={`#${anchor.id}`}>{anchor.label}</a> : anchor.label}: {e.message}
                  </li>
                );
              })}
            </ul>
          ) : null}
        </div>
      ) : null}
      <form onSubmit={save} class="card" aria-labelledby="policy-form-heading" noValidate>
        <h2 id="policy-form-heading">Policy</h2>
        <TextField
          id="policy-name"
          label="Name"
          value={draft.name}
          onValue={(name) => update({ name })}
          error={by.get('name')}
          maxLength={200}
          autoComplete="off"
        />
        <CheckField
          type="checkbox"
          id="policy-enabled"
          label="Enabled (a disabled policy is never matched)"
          checked={draft.enabled}
          onChecked={(enabled) => update({ enabled })}
        />

        <fieldset>
          <legend>Condition</legend>
          <RadioFields options={CONDITION_FORMS} value={draft.form} onValue={(form) => update({ form })} />
          {by.get('conditions') ? <p class="field-error">{by.get('conditions')}</p> : null}
          {draft.form === 'conditions' ? (
            <>
              {draft.conditions.map((row, i) => (
                <ConditionFields
                  key={row.key}
                  row={row}
                  index={i}
                  errors={by}
                  onChange={(changed) => update({ conditions: replaceAt(draft.conditions, i, changed) })}
                  onRemove={
                    draft.conditions.length > 1
                      ? () => update({ conditions: draft.conditions.filter((_, j) => j !== i) })
                      : null
                  }
                />
              ))}
              <button
                type="button"
                class="button-secondary"
                onClick={() => update({ conditions: [...draft.conditions, emptyCondition()] })}
              >
                Add a condition
              </button>
            </>
          ) : (
            <TextAreaField
              id="policy-expression"
              label="Expression"
              value={draft.expression}
              onValue={(expression) => update({ expression })}
              error={by.get('expression')}
              hint={
                <>
                  For example <code>bot.intent == 'billing' and not (custom.closed)</code>. Operators: and,
                  or, not, == != &lt; &lt;= &gt; &gt;= in, + - * / % ^, || (joins text), sqrt(),
                  isTimeRange(), isDateRange().
                </>
              }
            />
          )}
        </fieldset>

        <fieldset>
          <legend>Actions</legend>
          {by.get('actions') ? <p class="field-error">{by.get('actions')}</p> : null}
          {draft.actions.map((row, i) => (
            <ActionFields
              key={row.key}
              row={row}
              index={i}
              errors={by}
              onChange={(changed) => update({ actions: replaceAt(draft.actions, i, changed) })}
              onRemove={
                draft.actions.length > 1
                  ? () => update({ actions: draft.actions.filter((_, j) => j !== i) })
                  : null
              }
            />
          ))}
          <button
            type="button"
            class="button-secondary"
            onClick={() => update({ actions: [...draft.actions, emptyAction()] })}
          >
            Add an action
          </button>
        </fieldset>

        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Saving…' : policyId === null ? 'Create policy' : 'Save policy'}
          </button>
          <Link href={accountHref(accountId, 'policies')}>Cancel</Link>
        </div>
      </form>
      <DryRun
        accountId={accountId}
        draft={() => [{ ...policyOf(draft), enabled: true }]}
        headingId="draft-dry-run"
        heading="Dry run this policy"
        intro="Evaluates this policy as written above — saved or not, and as if it were enabled — against a sample conversation, with the account's custom attributes and context. Nothing is saved or logged."
      />
    </>
  );
}

/** At the new-policy address, a viewer learns that adding a policy needs an admin. */
export function NewPolicyNeedsAdmin({ accountId }: { accountId: string }) {
  return (
    <ClosedPage title={`New policy · ${accountId}`} heading="New policy">
      Adding a policy needs an admin operator, and you are signed in as a viewer. The{' '}
      <Link href={accountHref(accountId, 'policies')}>policies</Link> of account {accountId} are open to you
      to read and to dry run.
    </ClosedPage>
  );
}
