import { useState } from 'preact/hooks';
import { useChange } from '../api.js';
import { previewJson } from '../format.js';
import {
  type Action,
  type DryRunResult,
  type Policy,
  type PolicyInput,
  policyApi,
  type SampleRequest,
} from '../policy-api.js';
import { Notice, SelectField, TextField } from './ui.js';

const RESULT_WORDS: Record<string, string> = {
  TRUE: 'holds',
  FALSE: 'does not hold',
  ERROR: 'error',
  INVALID: 'invalid',
  DISABLED: 'disabled',
};

export function describeAction(action: Action): string {
  const payload = Object.entries(action.payload)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  return `${action.type} (${payload})`;
}

export interface DryRunProps {
  accountId: string;
  /** The saved policies, to offer "evaluate only this one". */
  policies?: Policy[];
  /** A draft list to evaluate instead of the saved one. */
  draft?: () => PolicyInput[];
  headingId: string;
  heading: string;
  intro: string;
}

/** Evaluates a sample conversation and shows which policy would match, and why each did or did not. */
export function DryRun({ accountId, policies, draft, headingId, heading, intro }: DryRunProps) {
  const [sample, setSample] = useState({ conversationId: '', consumerId: '', sessionId: '', visitorId: '' });
  const [only, setOnly] = useState('');
  const [result, setResult] = useState<DryRunResult | null>(null);
  const { busy, error, run } = useChange();
  const set = (field: keyof typeof sample) => (value: string) => setSample({ ...sample, [field]: value });

  async function submit(event: Event) {
    event.preventDefault();
    const request: SampleRequest = {};
    for (const [k, v] of Object.entries(sample))
      if (v.trim() !== '') request[k as keyof SampleRequest] = v.trim();
    if (only) request.policyId = only;
    await run(async () => {
      try {
        setResult(await policyApi.dryRun(accountId, request, draft ? draft() : undefined));
      } catch (failure) {
        // A failed run shows no result, only why.
        setResult(null);
        throw failure;
      }
    });
  }

  return (
    <section aria-labelledby={headingId} class="card">
      <h2 id={headingId}>{heading}</h2>
      <p>{intro}</p>
      <form onSubmit={submit}>
        <div class="row">
          <TextField
            label="Conversation ID"
            value={sample.conversationId}
            onValue={set('conversationId')}
            autoComplete="off"
          />
          <TextField
            label="Consumer ID"
            value={sample.consumerId}
            onValue={set('consumerId')}
            autoComplete="off"
          />
          <TextField
            label="Session ID"
            value={sample.sessionId}
            onValue={set('sessionId')}
            autoComplete="off"
            hint="The context session the policies read; the conversation ID when empty."
          />
          <TextField
            label="Visitor ID"
            value={sample.visitorId}
            onValue={set('visitorId')}
            autoComplete="off"
          />
          {policies && policies.length > 0 ? (
            <SelectField
              label="Evaluate"
              value={only}
              onValue={setOnly}
              options={[
                { value: '', label: 'All policies, top to bottom' },
                ...policies.map((p) => ({ value: p.id, label: `Only “${p.name}”` })),
              ]}
            />
          ) : null}
        </div>
        <button type="submit" disabled={busy}>
          {busy ? 'Running…' : 'Run dry run'}
        </button>
      </form>
      <div aria-live="polite">
        {error ? <Notice kind="error">{error}</Notice> : null}
        {result ? <DryRunOutcome result={result} /> : null}
      </div>
    </section>
  );
}

function DryRunOutcome({ result }: { result: DryRunResult }) {
  return (
    <div class="dry-run-result">
      <h3>Result</h3>
      {result.rule ? (
        <Notice kind="success">
          Policy “{result.rule.name}” would match. Its actions:{' '}
          {result.rule.actions.map(describeAction).join('; ')}.
        </Notice>
      ) : (
        <Notice kind="info">
          No policy would match (
          {result.noMatchReason === 'NO_POLICIES_ENABLED'
            ? 'no policy is enabled'
            : 'no enabled policy holds'}
          ; the API answers {result.noMatchReason ?? 'NO_MATCHED_RULES'}).
        </Notice>
      )}
      <table>
        <caption>Each policy, in order</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Policy</th>
            <th scope="col">Condition</th>
            <th scope="col">Why</th>
            <th scope="col">In a real call</th>
          </tr>
        </thead>
        <tbody>
          {result.results.map((r, i) => (
            <tr key={r.policyId}>
              <td>{i + 1}</td>
              <th scope="row">{r.name}</th>
              <td class={`result-${r.result}`}>
                {RESULT_WORDS[r.result] ?? r.result} <span class="muted">({r.result})</span>
              </td>
              <td>
                {r.reason ??
                  (r.result === 'TRUE'
                    ? 'every condition holds'
                    : r.result === 'DISABLED'
                      ? 'the policy is disabled'
                      : '—')}
              </td>
              <td>{r.reached ? 'evaluated' : 'not reached'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.attributes.length > 0 ? (
        <table>
          <caption>Attributes the policies read</caption>
          <thead>
            <tr>
              <th scope="col">Attribute</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {result.attributes.map((a) => (
              <tr key={a.name}>
                <th scope="row">
                  <code>{a.name}</code>
                </th>
                <td>
                  {a.found ? <code>{previewJson(a.value, 300)}</code> : <span class="muted">missing</span>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
