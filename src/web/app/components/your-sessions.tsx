import { useState } from 'preact/hooks';
import { api, messageOf, useLoaded } from '../api.js';
import { browserOf, formatTime } from '../format.js';
import { Loading, Notice, TableHead } from './ui.js';

/** One of the signed-in operator's sessions, as `GET /api/admin/sessions` lists them. */
interface OperatorSession {
  /** Names the session in these calls; it is not the cookie. */
  id: string;
  createdAt: string;
  /** When it ends at the latest; sooner when unused for the idle limit. */
  expiresAt: string;
  /** Its last request, to the minute. */
  lastSeenAt: string;
  address: string | null;
  /** As the browser said it when signing in. */
  userAgent: string | null;
  /** How the operator signed in: their password (with any second factor), single sign-on, or a passkey alone. */
  signedInWith: 'password' | 'sso' | 'passkey';
  /** The session of this browser. */
  current: boolean;
}

/** What the calls that end several sessions answer. */
export interface Ended {
  ended: number;
}

export function sessionsInWords(count: number): string {
  return count === 1 ? '1 session' : `${count} sessions`;
}

const SIGNED_IN_WITH: Record<OperatorSession['signedInWith'], string> = {
  password: 'Password',
  sso: 'Single sign-on',
  passkey: 'Passkey',
};

/** The browser in a few words, the whole user agent one click away. */
function Browser({ userAgent }: { userAgent: string | null }) {
  if (userAgent === null) return <span class="muted">not known</span>;
  const short = browserOf(userAgent);
  if (short === userAgent) return <>{userAgent}</>;
  return (
    <details>
      <summary>{short}</summary>
      <span class="muted">{userAgent}</span>
    </details>
  );
}

function SessionTable({
  sessions,
  busy,
  onEnd,
}: {
  sessions: OperatorSession[];
  busy: boolean;
  onEnd: (session: OperatorSession) => void;
}) {
  return (
    <table>
      <TableHead
        caption="Your sessions, newest first"
        columns={['Signed in', 'Signed in with', 'Last active', 'Until', 'From', 'Browser']}
        actions
      />
      <tbody>
        {sessions.map((s) => (
          <tr key={s.id}>
            <th scope="row">
              <time dateTime={s.createdAt}>{formatTime(s.createdAt)}</time>
            </th>
            <td>{SIGNED_IN_WITH[s.signedInWith]}</td>
            <td>
              <time dateTime={s.lastSeenAt}>{formatTime(s.lastSeenAt)}</time>
            </td>
            <td>
              <time dateTime={s.expiresAt}>{formatTime(s.expiresAt)}</time>
            </td>
            <td>{s.address ?? <span class="muted">not known</span>}</td>
            <td>
              <Browser userAgent={s.userAgent} />
            </td>
            <td>
              {s.current ? (
                <span class="badge badge-on">This browser</span>
              ) : (
                <button type="button" class="button-secondary" disabled={busy} onClick={() => onEnd(s)}>
                  End<span class="visually-hidden"> the session signed in on {formatTime(s.createdAt)}</span>
                </button>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** How long sessions last here, as `GET /api/admin/session` says (OPERATOR_SESSION_HOURS, _IDLE_MINUTES). */
interface SessionLimits {
  sessionHours: number;
  sessionIdleMinutes: number;
}

/** The sessions' limits in a sentence (the server's defaults until they are known). */
export function sessionLimitsInWords({ sessionHours, sessionIdleMinutes }: SessionLimits): string {
  const hours = sessionHours === 1 ? '1 hour' : `${sessionHours} hours`;
  if (sessionIdleMinutes === 0) return `Each sign-in is a session of ${hours}.`;
  const idle = sessionIdleMinutes === 1 ? '1 minute' : `${sessionIdleMinutes} minutes`;
  return `Each sign-in is a session of ${hours} at most, ended sooner by ${idle} without any use.`;
}

/**
 * The signed-in operator's sessions: when and where each began, how (password or single sign-on), when last used,
 * and which browser; ending one, or all but this one, holds at once on every server node. This one ends with Sign
 * out.
 */
export function YourSessions() {
  const { data: sessions, error, setError, reload } = useLoaded<OperatorSession[]>('/api/admin/sessions');
  const { data: limits } = useLoaded<SessionLimits>('/api/admin/session');
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function end(path: string, said: (answer: Ended | undefined) => string) {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const answer = await api.delete<Ended | undefined>(path);
      await reload();
      setNotice(said(answer));
    } catch (failure) {
      setError(messageOf(failure));
    } finally {
      setBusy(false);
    }
  }

  const others = sessions?.filter((s) => !s.current).length ?? 0;
  return (
    <section aria-labelledby="your-sessions" class="card">
      <h2 id="your-sessions">Your sessions</h2>
      <p>
        {sessionLimitsInWords(limits ?? { sessionHours: 8, sessionIdleMinutes: 30 })} End one you do not
        recognise, or one left open on a computer you no longer use: it stops at once, on every server node,
        and whoever uses it is asked to sign in. Sign out to end this one. Your API tokens are not sessions:
        they go on working.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {notice ? <Notice kind="success">{notice}</Notice> : null}
      {sessions === null && !error ? <Loading what="your sessions" /> : null}
      {sessions && sessions.length > 0 ? (
        <SessionTable
          sessions={sessions}
          busy={busy}
          onEnd={(s) =>
            void end(
              `/api/admin/sessions/${encodeURIComponent(s.id)}`,
              () => `The session signed in on ${formatTime(s.createdAt)} has ended.`,
            )
          }
        />
      ) : null}
      {others > 0 ? (
        <button
          type="button"
          class="button-danger"
          disabled={busy}
          onClick={() =>
            void end('/api/admin/sessions', (answer) =>
              answer?.ended
                ? `${sessionsInWords(answer.ended)} ended; this one goes on.`
                : 'There was no other session to end.',
            )
          }
        >
          End every other session
        </button>
      ) : null}
    </section>
  );
}
