import { formatDuration, formatTime, previewJson } from '../format.js';
import { TableHead } from './ui.js';

/** A live context document: one session of a namespace (`__default__` for namespace-level properties). */
export interface Session {
  sessionId: string;
  properties: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string | null;
  ttlSeconds: number | null;
}

/** What the person asked to delete: a whole session, or one property of it. */
export type Deletion = { sessionId: string; property: string | null };

const DEFAULT_SESSION = '__default__';

/** How the page names a session. */
export function sessionTitle(sessionId: string): string {
  return sessionId === DEFAULT_SESSION ? 'Namespace-level properties (__default__)' : `Session ${sessionId}`;
}

/** A session with its expiry, TTL and properties, each deletable when `onDelete` is given. */
export function SessionCard({
  session,
  onDelete,
}: {
  session: Session;
  onDelete: ((d: Deletion) => void) | null;
}) {
  const names = Object.keys(session.properties).sort();
  const label = sessionTitle(session.sessionId);
  return (
    <article class="card" aria-label={label}>
      <h3>{label}</h3>
      <dl class="facts">
        <dt>Expires</dt>
        <dd>
          {session.expiresAt ? (
            <time dateTime={session.expiresAt}>{formatTime(session.expiresAt, true)}</time>
          ) : (
            'Never'
          )}
        </dd>
        <dt>Session TTL</dt>
        <dd>
          {session.ttlSeconds === null
            ? 'none (the namespace TTL applies)'
            : formatDuration(session.ttlSeconds)}
        </dd>
        <dt>Last written</dt>
        <dd>
          <time dateTime={session.updatedAt}>{formatTime(session.updatedAt, true)}</time>
        </dd>
      </dl>
      {names.length === 0 ? (
        <p>No properties.</p>
      ) : (
        <table>
          <TableHead
            caption={`Properties of ${label}`}
            columns={['Property', 'Value']}
            actions={onDelete !== null}
          />
          <tbody>
            {names.map((name) => (
              <tr key={name}>
                <th scope="row">
                  <code>{name}</code>
                </th>
                <td>
                  <pre class="value">{previewJson(session.properties[name])}</pre>
                </td>
                {onDelete ? (
                  <td>
                    <button
                      type="button"
                      class="button-secondary"
                      aria-label={`Delete property ${name} of ${label}`}
                      onClick={() => onDelete({ sessionId: session.sessionId, property: name })}
                    >
                      Delete
                    </button>
                  </td>
                ) : null}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {onDelete ? (
        <div class="actions">
          <button
            type="button"
            class="button-danger"
            onClick={() => onDelete({ sessionId: session.sessionId, property: null })}
          >
            Delete {session.sessionId === DEFAULT_SESSION ? 'namespace-level properties' : 'session'}
            <span class="visually-hidden"> {session.sessionId}</span>
          </button>
        </div>
      ) : null}
    </article>
  );
}
