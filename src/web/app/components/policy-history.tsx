import { useEffect, useRef, useState } from 'preact/hooks';
import { messageOf } from '../api.js';
import { formatTime } from '../format.js';
import { type PolicyVersion, type PolicyVersionSummary, policyApi } from '../policy-api.js';
import { actionWords } from './audit-events.js';
import { Loading, Notice, TableHead } from './ui.js';

/** Who saved a list: an operator by username, a client of the v2 API by its id. */
export function authorOf(actor: string): string {
  return actor.startsWith('client:') ? `v2 API client ${actor.slice('client:'.length)}` : actor;
}

/** "version 12, saved 3 Mar 2025, 10:04:05 by admin". */
export function versionWords(version: PolicyVersionSummary): string {
  return `version ${version.version}, saved ${formatTime(version.at, true)} by ${authorOf(version.actor)}`;
}

/** "1 policy", "3 policies". */
export const policyCount = (count: number) => `${count} ${count === 1 ? 'policy' : 'policies'}`;

/**
 * The policies' history: the lists saved last, newest first (when, who, what they did, how many policies). **View**
 * shows one list under the table, its heading taking the focus; with `canRestore`, **Restore this list** hands it to
 * `onRestore`, which asks first and makes the change. The page loads the history (again after each change).
 */
export function PolicyHistory({
  accountId,
  versions,
  error,
  canRestore,
  busy,
  onRestore,
}: {
  accountId: string;
  /** Null while loading. */
  versions: PolicyVersionSummary[] | null;
  error: string | null;
  canRestore: boolean;
  busy: boolean;
  onRestore: (version: PolicyVersion) => void;
}) {
  const [selected, setSelected] = useState<PolicyVersionSummary | null>(null);
  const [list, setList] = useState<PolicyVersion | null>(null);
  const [listError, setListError] = useState<string | null>(null);
  // The version shown, so that a slow answer for another one cannot fill its place.
  const shown = useRef<number | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // The row whose View button takes the focus back when the list shown closes.
  const [closed, setClosed] = useState<number | null>(null);

  async function view(version: PolicyVersionSummary) {
    shown.current = version.version;
    setSelected(version);
    setList(null);
    setListError(null);
    try {
      const found = await policyApi.historyVersion(accountId, version.version);
      if (shown.current === version.version) setList(found);
    } catch (failure) {
      if (shown.current === version.version) setListError(messageOf(failure));
    }
  }

  function close() {
    if (!selected) return;
    shown.current = null;
    setClosed(selected.version);
    setSelected(null);
    setList(null);
    setListError(null);
  }

  useEffect(() => {
    if (selected) heading.current?.focus();
  }, [selected]);
  useEffect(() => {
    if (closed === null) return;
    document.getElementById(`history-view-${closed}`)?.focus();
    setClosed(null);
  }, [closed]);

  return (
    <section aria-labelledby="policy-history" class="card">
      <h2 id="policy-history">History</h2>
      <p>
        Each change of the list keeps it whole, as saved: the last 50 lists, newest first.{' '}
        {canRestore
          ? 'Restoring one makes it the current list again, with its policies as they were then; the custom attributes stay as they are.'
          : 'An admin can make one the current list again.'}
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {versions === null && !error ? <Loading what="the history" /> : null}
      {versions && versions.length === 0 ? <p>No change of the list is kept yet.</p> : null}
      {versions && versions.length > 0 ? (
        <table>
          <TableHead
            caption="Lists of policies saved, newest first"
            columns={['Version', 'When', 'Who', 'What', 'Policies']}
            actions
          />
          <tbody>
            {versions.map((v) => (
              <tr key={v.version} class={selected?.version === v.version ? 'selected' : undefined}>
                <th scope="row">{v.version}</th>
                <td>
                  <time dateTime={v.at}>{formatTime(v.at, true)}</time>
                </td>
                <td>{authorOf(v.actor)}</td>
                <td>{actionWords(v.action)}</td>
                <td>{v.count}</td>
                <td>
                  <button
                    type="button"
                    id={`history-view-${v.version}`}
                    class="button-secondary"
                    aria-pressed={selected?.version === v.version}
                    onClick={() => view(v)}
                  >
                    View<span class="visually-hidden"> version {v.version}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {selected ? (
        <section aria-labelledby="policy-version" class="history-version">
          <h3 id="policy-version" ref={heading} tabIndex={-1}>
            The list of version {selected.version}
          </h3>
          <p>
            Saved <time dateTime={selected.at}>{formatTime(selected.at, true)}</time> by{' '}
            {authorOf(selected.actor)}, who {actionWords(selected.action)}: {policyCount(selected.count)}.
          </p>
          {listError ? <Notice kind="error">{listError}</Notice> : null}
          {list === null && !listError ? <Loading what={`version ${selected.version}`} /> : null}
          {list && list.policies.length === 0 ? <p>No policies in this list.</p> : null}
          {list && list.policies.length > 0 ? (
            <ol class="history-list" aria-label={`Policies of version ${selected.version}, in order`}>
              {list.policies.map((p) => (
                <li key={p.id}>
                  <span class="history-policy-name">{p.name}</span>{' '}
                  <span class={`badge ${p.enabled ? 'badge-on' : 'badge-off'}`}>
                    {p.enabled ? 'Enabled' : 'Disabled'}
                  </span>
                </li>
              ))}
            </ol>
          ) : null}
          <div class="actions">
            {canRestore ? (
              <button
                type="button"
                id="restore-version"
                disabled={busy || list === null}
                onClick={() => {
                  if (list) onRestore(list);
                }}
              >
                Restore this list
              </button>
            ) : null}
            <button type="button" class="button-secondary" onClick={close}>
              Close<span class="visually-hidden"> version {selected.version}</span>
            </button>
          </div>
        </section>
      ) : null}
    </section>
  );
}
