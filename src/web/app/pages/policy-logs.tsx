import { useEffect, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { Loading, Notice, PageHeading, TableHead, TextField } from '../components/ui.js';
import { formatTime } from '../format.js';
import { type PolicyLogEntry, policyApi } from '../policy-api.js';

/** Every evaluation of the last 7 days with each policy's result, searchable by conversation id. */
export function PolicyLogsPage({ accountId }: { accountId: string }) {
  const [conversationId, setConversationId] = useState('');
  const [searched, setSearched] = useState('');
  const [entries, setEntries] = useState<PolicyLogEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setEntries(null);
    policyApi
      .logs(accountId, searched)
      .then((found) => {
        setEntries(found);
        setError(null);
      })
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId, searched]);

  return (
    <>
      <PageHeading title={`Policy logs · ${accountId}`}>Policy logs</PageHeading>
      <p>
        Each next-action evaluation of the last 7 days, newest first, with every policy's result and the
        reason it failed.
      </p>
      <search aria-label="Policy logs">
        <form
          class="inline-form"
          onSubmit={(event) => {
            event.preventDefault();
            setSearched(conversationId.trim());
          }}
        >
          <TextField
            label="Conversation ID"
            value={conversationId}
            onValue={setConversationId}
            autoComplete="off"
            spellcheck={false}
          />
          <button type="submit">Search</button>
        </form>
      </search>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {entries === null && !error ? <Loading what="the policy log" /> : null}
      {entries && entries.length === 0 ? (
        <p role="status">
          {searched
            ? `No evaluation for conversation ${searched} in the last 7 days.`
            : 'No evaluation in the last 7 days.'}
        </p>
      ) : null}
      {entries?.map((entry) => (
        <article class="card" key={entry.id} aria-labelledby={`log-${entry.id}`}>
          <h2 id={`log-${entry.id}`} class="log-heading">
            <time dateTime={entry.at}>{formatTime(entry.at, true)}</time> · conversation{' '}
            {entry.conversationId ?? '(none)'}
          </h2>
          <p class="muted">Evaluation {entry.evaluationId}</p>
          <table>
            <TableHead caption="Policy results of this evaluation" columns={['Policy', 'Result', 'Reason']} />
            <tbody>
              {entry.results.map((r, i) => (
                <tr key={`${r.policyId ?? i}`}>
                  <th scope="row">
                    {r.name ?? '(deleted policy)'}
                    {r.policyId !== null && r.policyId === entry.matchedPolicyId ? (
                      <strong> — matched</strong>
                    ) : null}
                  </th>
                  <td class={`result-${r.result}`}>{r.result}</td>
                  <td>{r.reason ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </article>
      ))}
    </>
  );
}
