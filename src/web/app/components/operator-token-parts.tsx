import { useId } from 'preact/hooks';
import { formatTime } from '../format.js';
import type { Role } from '../session.js';
import { FieldErrorText, RadioFields, TableHead } from './ui.js';

/** What a token acts as: `viewer` whatever its operator's role, or (null) its operator's role at each request. */
export type TokenRole = 'viewer' | null;

/** An operator API token as the admin API lists it, never the token itself. */
export interface OperatorToken {
  id: string;
  name: string;
  username: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  role: TokenRole;
}

type RoleChoice = 'own' | 'viewer';

const ROLE_HINT =
  'With your role, the token does what you may do at each request, and follows a change of your role. As a ' +
  'viewer, it reads what a viewer reads and never a secret, whatever your role: for a dashboard or a monitoring ' +
  'script.';

/** The choice of what a new token may do, for an admin (a viewer's tokens act as a viewer either way). */
export function TokenRoleChoice({
  ownRole,
  value,
  onValue,
  error,
}: {
  ownRole: Role;
  value: TokenRole;
  onValue: (role: TokenRole) => void;
  error?: string | undefined;
}) {
  const hint = useId();
  const errorId = useId();
  const options: { value: RoleChoice; label: string }[] = [
    { value: 'own', label: `With your role (${ownRole})` },
    { value: 'viewer', label: 'As a viewer: reads, never a secret' },
  ];
  return (
    <fieldset aria-describedby={error ? `${hint} ${errorId}` : hint}>
      <legend>Acts as</legend>
      <p class="hint" id={hint}>
        {ROLE_HINT}
      </p>
      <RadioFields
        options={options}
        value={value === 'viewer' ? 'viewer' : 'own'}
        onValue={(choice) => onValue(choice === 'viewer' ? 'viewer' : null)}
      />
      <FieldErrorText id={errorId} error={error} />
    </fieldset>
  );
}

function Expires({ at }: { at: string | null }) {
  if (at === null) return <>never</>;
  return (
    <>
      <time dateTime={at}>{formatTime(at)}</time>
      {new Date(at).getTime() <= Date.now() ? (
        <>
          {' '}
          <span class="badge badge-off">expired</span>
        </>
      ) : null}
    </>
  );
}

/** Every operator's tokens, with Revoke on those `mayRevoke` allows; the page passes the one to confirm. */
export function TokenTable({
  tokens,
  mayRevoke,
  onRevoke,
}: {
  tokens: OperatorToken[];
  mayRevoke: (t: OperatorToken) => boolean;
  onRevoke: (t: OperatorToken) => void;
}) {
  return (
    <table>
      <TableHead
        caption="Operator API tokens, oldest first"
        columns={['Name', 'Operator', 'Acts as', 'Created', 'Expires', 'Last used']}
        actions
      />
      <tbody>
        {tokens.map((t) => (
          <tr key={t.id}>
            <th scope="row">{t.name}</th>
            <td>{t.username}</td>
            <td>{t.role === 'viewer' ? 'viewer' : "its operator's role"}</td>
            <td>
              <time dateTime={t.createdAt}>{formatTime(t.createdAt)}</time>
            </td>
            <td>
              <Expires at={t.expiresAt} />
            </td>
            <td>
              {t.lastUsedAt ? <time dateTime={t.lastUsedAt}>{formatTime(t.lastUsedAt)}</time> : 'never used'}
            </td>
            <td>
              {mayRevoke(t) ? (
                <button type="button" class="button-danger" onClick={() => onRevoke(t)}>
                  Revoke<span class="visually-hidden"> token {t.name}</span>
                </button>
              ) : null}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
