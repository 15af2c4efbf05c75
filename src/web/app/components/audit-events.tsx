import { useEffect, useRef, useState } from 'preact/hooks';
import { api, messageOf } from '../api.js';
import { formatTime } from '../format.js';
import { tlsSubjectWords } from '../tls-subject.js';
import { Loading, Notice, TableHead } from './ui.js';

interface AuditEvent {
  id: string;
  at: string;
  actor: string;
  accountId: string | null;
  action: string;
  address: string | null;
  detail: Record<string, string | number | boolean | null>;
}

const PAGE_SIZE = 50;

/** Plain words for the recorded actions; an unknown one shows as recorded. */
const ACTIONS: Record<string, string> = {
  'operator.signed-in': 'signed in',
  'operator.sso-refused': 'was refused single sign-on',
  'operator-token.created': 'created an operator API token',
  'operator-token.revoked': 'revoked an operator API token',
  'operator.created': 'added an operator',
  'operator.removed': 'removed an operator',
  'operator.role-changed': "changed an operator's role",
  'operator.accounts-changed': "changed an operator's accounts",
  'operator.password-changed': 'changed their password',
  'operator.password-reset': "reset an operator's password (command line)",
  'operator.session-ended': 'ended one of their sessions',
  'operator.sessions-ended': "ended an operator's sessions",
  'operator.totp-enabled': 'turned on one-time codes',
  'operator.totp-disabled': 'turned off one-time codes',
  'operator.totp-reset': "reset an operator's one-time codes",
  'operator.recovery-codes-replaced': 'made new recovery codes',
  'operator.passkey-added': 'added a passkey',
  'operator.passkey-removed': 'removed a passkey',
  'operator.passkeys-reset': "removed an operator's passkeys",
  'backup.created': 'wrote a backup on demand',
  'master-key.rotated': 'rotated the master key (command line)',
  'policy.created': 'created a policy',
  'policy.updated': 'changed a policy',
  'policy.deleted': 'deleted a policy',
  'policies.replaced': 'replaced or reordered the policy list',
  'policies.restored': 'restored an earlier policy list',
  'custom-attributes.updated': 'changed the custom attributes',
  'account.created': 'created the account',
  'account.suspended': 'suspended the account',
  'account.resumed': 'resumed the account',
  'account.deleted': 'deleted the account',
  'account.data-removed': "removed the deleted account's data",
  'account.rate-limit-changed': "changed the account's request rate",
  'account.networks-changed': "changed the account's allowed networks",
  'account.signed-assertions-only-changed': 'changed whether the v2 password is accepted',
  'account.dpop-required-changed': 'changed whether tokens must be bound to a key (DPoP)',
  'account.certificate-required-changed':
    'changed whether tokens must be bound to a client certificate (mutual TLS)',
  'api-authorization.viewed': 'viewed the API Authorization page (key, credentials, token)',
  'api-key.copied': 'copied the API key',
  'api-key.regenerated': 'regenerated the API key',
  'credentials.copied': 'copied the v2 credentials',
  'credentials.revealed': 'revealed the v2 password',
  'credentials.regenerated': 'regenerated the v2 credentials',
  'client-key.added': 'added a key for signed client assertions',
  'client-key.removed': 'removed a key for signed client assertions',
  'test-token.copied': 'copied the token for testing',
  'test-token.issued': 'issued a token for testing',
  'context.session-deleted': 'deleted a context session',
  'context.property-deleted': 'deleted a context property',
};

/** A recorded action in plain words (the policies' history says its changes so too); an unknown one as recorded. */
export function actionWords(action: string): string {
  return ACTIONS[action] ?? action;
}

/**
 * The action in words: a sign-in says when it took a recovery code in place of the app's code, or a passkey, or was
 * a single sign-on, sessions ended by their own operator are their other ones, a key rotation says whether the
 * schedule or the command line made it, the v2 password says whether it was refused or allowed again, DPoP
 * and client certificates whether they were required or no longer, and a client key added or removed whether it
 * is a certificate subject (mutual TLS with a trusted CA's certificates) rather than a key, a restored policy list
 * which version of the history it was, a suspension its end when one was given (or changed: the same action), and
 * a resumption by the schedule that its suspension had ended.
 */
function describeAction(event: AuditEvent): string {
  if (event.action === 'operator.signed-in' && event.detail.sso === true)
    return 'signed in with single sign-on';
  if (event.action === 'operator.signed-in' && event.detail.recoveryCodeUsed === true)
    return 'signed in with a recovery code';
  if (event.action === 'operator.signed-in' && typeof event.detail.passkey === 'string')
    return 'signed in with a passkey';
  if (event.action === 'operator.sessions-ended' && event.detail.username === event.actor)
    return 'ended their other sessions';
  if (event.action === 'signing-key.rotated' && event.detail.by === 'SIGNING_KEY_ROTATION_DAYS')
    return 'rotated the token-signing key (on schedule)';
  if (event.action === 'signing-key.rotated') return 'rotated the token-signing key (command line)';
  if (event.action === 'account.signed-assertions-only-changed' && event.detail.signedAssertionsOnly === true)
    return 'refused the v2 password (signed assertions only)';
  if (
    event.action === 'account.signed-assertions-only-changed' &&
    event.detail.signedAssertionsOnly === false
  )
    return 'allowed the v2 password again';
  if (event.action === 'account.dpop-required-changed' && event.detail.dpopRequired === true)
    return 'required DPoP (tokens bound to a key)';
  if (event.action === 'account.dpop-required-changed' && event.detail.dpopRequired === false)
    return 'stopped requiring DPoP (bearer tokens accepted again)';
  if (event.action === 'account.certificate-required-changed' && event.detail.certificateRequired === true)
    return 'required a client certificate (mutual TLS)';
  if (event.action === 'account.certificate-required-changed' && event.detail.certificateRequired === false)
    return 'stopped requiring a client certificate (tokens not bound to one accepted again)';
  if (event.action === 'client-key.added' && event.detail.alg === 'tls_client_auth')
    return 'added a certificate subject (mutual TLS)';
  if (event.action === 'client-key.removed' && event.detail.alg === 'tls_client_auth')
    return 'removed a certificate subject (mutual TLS)';
  if (event.action === 'account.resumed' && event.detail.scheduled === true)
    return 'resumed the account at the end of its suspension';
  if (event.action === 'account.suspended' && typeof event.detail.until === 'string')
    return `suspended the account until ${formatTime(event.detail.until)}`;
  if (event.action === 'account.suspended' && 'until' in event.detail && event.detail.until === null)
    return 'suspended the account until resumed by hand';
  if (event.action === 'policies.restored' && typeof event.detail.version === 'number')
    return `restored an earlier policy list (version ${event.detail.version})`;
  return actionWords(event.action);
}

/** `name: value` pairs; a certificate subject's member (`tls_client_auth_san_dns`) in words (`subjectAltName DNS name`). */
function describeDetail(detail: AuditEvent['detail']): string {
  return Object.entries(detail)
    .map(
      ([key, value]) =>
        `${key.startsWith('tls_client_auth_') ? tlsSubjectWords(key) : key}: ${value === null ? '—' : String(value)}`,
    )
    .join(', ');
}

/** Which events to list: of one account, by or about one operator, both, or (neither) the whole log. */
export interface AuditSelection {
  accountId?: string | null;
  operator?: string | null;
  /** The table's name for screen readers. */
  caption?: string;
}

/**
 * The events of `/api/admin/audit` that the selection names, newest first, 50 at a time with "Show older events":
 * when, who, what, the account (unless one account is listed), the details and the address.
 */
export function AuditEvents({
  accountId = null,
  operator = null,
  caption = 'Audit events, newest first',
}: AuditSelection) {
  const [events, setEvents] = useState<AuditEvent[] | null>(null);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // Answers for a selection no longer shown are dropped, so a slow one cannot fill the list of the next.
  const shown = useRef('');
  const selection = JSON.stringify([accountId, operator]);

  /** A page: the newest, or the one after `last` (by its time and id, so that no event of the same time is skipped). */
  async function load(last?: AuditEvent) {
    const before = last?.at;
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (accountId) query.set('accountId', accountId);
    if (operator) query.set('operator', operator);
    if (last) {
      query.set('before', last.at);
      query.set('beforeId', last.id);
    }
    try {
      const page = await api.get<AuditEvent[]>(`/api/admin/audit?${query}`);
      if (shown.current !== selection) return;
      setEvents((current) => (before && current ? [...current, ...page] : page));
      setHasMore(page.length === PAGE_SIZE);
      setError(null);
    } catch (failure) {
      if (shown.current === selection) setError(messageOf(failure));
    }
  }

  useEffect(() => {
    shown.current = selection;
    setEvents(null);
    setHasMore(false);
    setError(null);
    void load();
  }, [selection]);

  async function more() {
    const last = events?.at(-1);
    if (!last) return;
    setLoadingMore(true);
    await load(last);
    setLoadingMore(false);
  }

  return (
    <>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {events === null && !error ? <Loading what="the audit events" /> : null}
      {events && events.length === 0 ? <p>Nothing recorded yet.</p> : null}
      {events && events.length > 0 ? (
        <table>
          <TableHead
            caption={caption}
            columns={['When', 'Who', 'What', accountId ? null : 'Account', 'Details', 'From']}
          />
          <tbody>
            {events.map((e) => (
              <tr key={e.id}>
                <td>
                  <time dateTime={e.at}>{formatTime(e.at, true)}</time>
                </td>
                <td>{e.actor}</td>
                <td>
                  {describeAction(e)} <span class="muted">({e.action})</span>
                </td>
                {accountId ? null : <td>{e.accountId ?? '—'}</td>}
                <td>{describeDetail(e.detail) || '—'}</td>
                <td>{e.address ?? 'command line'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {hasMore ? (
        <button type="button" class="button-secondary" onClick={more} disabled={loadingMore}>
          {loadingMore ? 'Loading…' : 'Show older events'}
        </button>
      ) : null}
    </>
  );
}
