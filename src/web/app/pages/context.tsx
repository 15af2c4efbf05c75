import { useCallback, useEffect, useState } from 'preact/hooks';
import { accountPath, api, messageOf } from '../api.js';
import { ConfirmDialog } from '../components/confirm-dialog.js';
import { type Deletion, type Session, SessionCard, sessionTitle } from '../components/session-card.js';
import { Loading, Notice, PageHeading, TableHead } from '../components/ui.js';
import { formatDuration, formatTime } from '../format.js';
import type { Role } from '../session.js';

interface Namespace {
  name: string;
  createdAt: string;
  ttlSeconds: number | null;
}

interface SessionPage {
  page: number;
  perPage: number;
  hasMore: boolean;
  sessions: Session[];
}

const PER_PAGE = 10;

function Sessions({
  accountId,
  namespace,
  canDelete,
}: {
  accountId: string;
  namespace: string;
  canDelete: boolean;
}) {
  const [page, setPage] = useState(0);
  const [data, setData] = useState<SessionPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Deletion | null>(null);
  const [busy, setBusy] = useState(false);

  const load = useCallback(() => {
    const query = new URLSearchParams({ page: String(page), perPage: String(PER_PAGE) });
    api
      .get<SessionPage>(`${accountPath(accountId, 'context', 'namespaces', namespace, 'sessions')}?${query}`)
      .then((d) => {
        setData(d);
        setError(null);
      })
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId, namespace, page]);
  useEffect(load, [load]);

  async function confirmDeletion() {
    if (!pending) return;
    setBusy(true);
    const base = accountPath(accountId, 'context', 'namespaces', namespace, 'sessions', pending.sessionId);
    try {
      await api.delete(
        pending.property === null ? base : `${base}/properties/${encodeURIComponent(pending.property)}`,
      );
      setNotice(
        pending.property === null
          ? `${sessionTitle(pending.sessionId)} was deleted.`
          : `Property ${pending.property} of ${sessionTitle(pending.sessionId).toLowerCase()} was deleted.`,
      );
      setPending(null);
      load();
    } catch (failure) {
      setError(messageOf(failure));
      setPending(null);
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="sessions-heading">
      <h2 id="sessions-heading">Sessions of namespace {namespace}</h2>
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {error ? <Notice kind="error">{error}</Notice> : null}
      {data === null && !error ? <Loading what="sessions" /> : null}
      {data && data.sessions.length === 0 ? <p>No live sessions on this page.</p> : null}
      {data?.sessions.map((s) => (
        <SessionCard key={s.sessionId} session={s} onDelete={canDelete ? setPending : null} />
      ))}
      {data && (page > 0 || data.hasMore) ? (
        <nav aria-label="Session pages" class="pager">
          <button
            type="button"
            class="button-secondary"
            disabled={page === 0}
            onClick={() => setPage(page - 1)}
          >
            Previous page
          </button>
          <span>Page {page + 1}</span>
          <button
            type="button"
            class="button-secondary"
            disabled={!data.hasMore}
            onClick={() => setPage(page + 1)}
          >
            Next page
          </button>
        </nav>
      ) : null}
      <ConfirmDialog
        open={pending !== null}
        title={pending?.property === null ? 'Delete this session?' : 'Delete this property?'}
        confirmLabel="Delete"
        busy={busy}
        onConfirm={confirmDeletion}
        onCancel={() => setPending(null)}
      >
        {pending ? (
          <p>
            {pending.property === null
              ? `${sessionTitle(pending.sessionId)} of namespace ${namespace} will be deleted with all its properties and its TTL.`
              : `Property ${pending.property} of ${sessionTitle(pending.sessionId).toLowerCase()} will be deleted.`}{' '}
            This cannot be undone.
          </p>
        ) : null}
      </ConfirmDialog>
    </section>
  );
}

/** The context browser: namespaces → sessions → properties, with their expiry; an admin may delete them. */
export function ContextPage({ accountId, role }: { accountId: string; role: Role }) {
  const [namespaces, setNamespaces] = useState<Namespace[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api
      .get<Namespace[]>(accountPath(accountId, 'context', 'namespaces'))
      .then(setNamespaces)
      .catch((failure) => setError(messageOf(failure)));
  }, [accountId]);

  return (
    <>
      <PageHeading title={`Context · ${accountId}`}>Context</PageHeading>
      <p>
        The Conversation Context Service data of account {accountId}: namespaces, their sessions, and each
        session's properties. Expired data is not shown; it is purged in the background.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      <section aria-labelledby="namespaces-heading">
        <h2 id="namespaces-heading">Namespaces</h2>
        {namespaces === null && !error ? <Loading what="namespaces" /> : null}
        {namespaces && namespaces.length === 0 ? (
          <p>No namespaces yet: programs create them through the context APIs.</p>
        ) : null}
        {namespaces && namespaces.length > 0 ? (
          <table>
            <TableHead caption="Namespaces" columns={['Namespace', 'TTL', 'Created']} actions />
            <tbody>
              {namespaces.map((n) => (
                <tr key={n.name} class={selected === n.name ? 'selected' : undefined}>
                  <th scope="row">{n.name}</th>
                  <td>{n.ttlSeconds === null ? 'none' : formatDuration(n.ttlSeconds)}</td>
                  <td>{formatTime(n.createdAt)}</td>
                  <td>
                    <button
                      type="button"
                      class="button-secondary"
                      aria-pressed={selected === n.name}
                      onClick={() => setSelected(n.name)}
                    >
                      Show sessions<span class="visually-hidden"> of {n.name}</span>
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {selected ? (
        <Sessions key={selected} accountId={accountId} namespace={selected} canDelete={role === 'admin'} />
      ) : null}
    </>
  );
}
