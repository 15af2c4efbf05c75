import { useEffect, useRef, useState } from 'preact/hooks';
import { compareLists, isSame, type ListComparison } from '../../../core/policy/list-diff.js';
import { messageOf } from '../api.js';
import { formatTime } from '../format.js';
import { type Policy, type PolicyVersion, type PolicyVersionSummary, policyApi } from '../policy-api.js';
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

const quoted = (policy: Policy) => `“${policy.name}”`;

/** "a", "a and b", "a, b and c". */
function inWords(parts: string[]): string {
  return parts.length <= 1 ? (parts[0] ?? '') : `${parts.slice(0, -1).join(', ')} and ${parts.at(-1)}`;
}

/** How many policies a sentence names before it says "and 4 more". */
const NAMED = 5;
/** How many moves are told one by one; past that, only how many policies moved. */
const MOVES_NAMED = 3;

/** The first `max` words, then how many more: "“A”, “B” and 3 more". */
function firstOf(words: string[], max = NAMED): string {
  return inWords(words.length > max ? [...words.slice(0, max), `${words.length - max} more`] : words);
}

/** The names, quoted: "“A”, “B” and “C”". */
const namesOf = (policies: Policy[], max = NAMED) => firstOf(policies.map(quoted), max);

/** Each policy moved, in words: "“A” moved from position 2 to 1". */
const moveWords = (comparison: ListComparison, verb: string) =>
  comparison.moved.map((m) => `${quoted(m.policy)} ${verb} from position ${m.from} to ${m.to}`);

/**
 * What restoring a list of the history would change, compared with the current one (as the page holds it):
 * "Compared with the current list, restoring it adds back “Billing”, removes “Sales” and changes “VIP” (actions
 * changed)."
 */
export function restoreWords(current: Policy[], restored: Policy[]): string {
  const comparison = compareLists(current, restored);
  if (isSame(comparison)) return 'This list is the same as the current one: restoring it changes no policy.';
  const { added, removed, changed, reordered, moved } = comparison;
  const parts: string[] = [];
  if (added.length > 0) parts.push(`adds back ${namesOf(added)}`);
  if (removed.length > 0) parts.push(`removes ${namesOf(removed)}`);
  if (changed.length > 0) {
    parts.push(`changes ${firstOf(changed.map((c) => `${quoted(c.policy)} (${c.what.join(', ')})`))}`);
  }
  if (reordered) {
    parts.push(
      moved.length <= MOVES_NAMED
        ? `changes the order (${inWords(moveWords(comparison, 'moves'))})`
        : 'changes the order',
    );
  }
  return `Compared with the current list, restoring it ${inWords(parts)}.`;
}

/** One line for each kind of change from the older list to the newer one, in words, each with a key. */
function changeLines(comparison: ListComparison): { key: string; text: string }[] {
  const { added, removed, changed, reordered, moved } = comparison;
  const lines: { key: string; text: string }[] = [];
  if (added.length > 0) lines.push({ key: 'added', text: `Added ${namesOf(added, 10)}.` });
  if (removed.length > 0) lines.push({ key: 'removed', text: `Removed ${namesOf(removed, 10)}.` });
  for (const c of changed) {
    lines.push({ key: `changed-${c.policy.id}`, text: `Changed ${quoted(c.policy)}: ${c.what.join(', ')}.` });
  }
  if (reordered) {
    lines.push({
      key: 'order',
      text:
        moved.length <= MOVES_NAMED
          ? `The order changed: ${inWords(moveWords(comparison, 'moved'))}.`
          : `The order changed: ${moved.length} policies moved.`,
    });
  }
  return lines;
}

/**
 * The policies' history: the lists saved last, newest first (when, who, what they did, how many policies). **View**
 * shows one list under the table, its heading taking the focus, and what changed from the list before it in the
 * history (the next row); with `canRestore`, **Restore this list** hands it to `onRestore`, which asks first and
 * makes the change. The page loads the history (again after each change).
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
  // The list before the one shown in the history (null for the oldest kept), read to say what changed.
  const [previous, setPrevious] = useState<PolicyVersionSummary | null>(null);
  const [previousList, setPreviousList] = useState<PolicyVersion | null>(null);
  const [previousError, setPreviousError] = useState<string | null>(null);
  // The lists read so far, by account and version: a list of the history never changes.
  const read = useRef(new Map<string, PolicyVersion>());
  // The version shown, so that a slow answer for another one cannot fill its place.
  const shown = useRef<number | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // The row whose View button takes the focus back when the list shown closes.
  const [closed, setClosed] = useState<number | null>(null);

  async function readVersion(version: number): Promise<PolicyVersion> {
    const key = `${accountId}/${version}`;
    const known = read.current.get(key);
    if (known) return known;
    const found = await policyApi.historyVersion(accountId, version);
    read.current.set(key, found);
    return found;
  }

  async function view(version: PolicyVersionSummary) {
    const index = versions?.findIndex((v) => v.version === version.version) ?? -1;
    const older = index >= 0 ? (versions?.[index + 1] ?? null) : null;
    shown.current = version.version;
    setSelected(version);
    setList(null);
    setListError(null);
    setPrevious(older);
    setPreviousList(null);
    setPreviousError(null);
    const still = () => shown.current === version.version;
    await Promise.all([
      readVersion(version.version).then(
        (found) => still() && setList(found),
        (failure) => still() && setListError(messageOf(failure)),
      ),
      older
        ? readVersion(older.version).then(
            (found) => still() && setPreviousList(found),
            (failure) => still() && setPreviousError(messageOf(failure)),
          )
        : null,
    ]);
  }

  function close() {
    if (!selected) return;
    shown.current = null;
    setClosed(selected.version);
    setSelected(null);
    setList(null);
    setListError(null);
    setPrevious(null);
    setPreviousList(null);
    setPreviousError(null);
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
          <section aria-labelledby="policy-version-changes">
            <h4 id="policy-version-changes">What changed</h4>
            {previous === null ? (
              <p>
                Version {selected.version} is the oldest list kept: there is nothing older to compare it with.
              </p>
            ) : (
              <Changes
                version={selected.version}
                previous={previous}
                list={list}
                previousList={previousList}
                error={listError ? null : previousError}
              />
            )}
          </section>
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

/** What changed from the list before in the history (`previous`) to the one shown, once both are read. */
function Changes({
  version,
  previous,
  list,
  previousList,
  error,
}: {
  version: number;
  previous: PolicyVersionSummary;
  list: PolicyVersion | null;
  previousList: PolicyVersion | null;
  error: string | null;
}) {
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!list) return null;
  if (!previousList) return <Loading what={`version ${previous.version}, to compare with`} />;
  const comparison = compareLists(previousList.policies, list.policies);
  const intro = `Compared with version ${previous.version}, the list before it`;
  if (isSame(comparison)) {
    return <p>{intro}: the same policies, unchanged, in the same order.</p>;
  }
  return (
    <>
      <p>{intro}:</p>
      <ul class="history-changes" aria-label={`Changes in version ${version}`}>
        {changeLines(comparison).map((line) => (
          <li key={line.key}>{line.text}</li>
        ))}
      </ul>
    </>
  );
}
