import { api, setCsrfToken } from './api.js';

/**
 * An admin may do everything; a viewer reads what holds no secret and changes only their own password and API
 * tokens (docs/authentication.md).
 */
export type Role = 'admin' | 'viewer';

/** The operator this browser is signed in as. */
export interface SignedIn {
  username: string;
  role: Role;
  /**
   * The accounts this operator acts on, with their role applying within them only; null for an operator of every
   * account (a platform operator), who alone creates accounts, sees the backups and manages every operator; an
   * admin of some accounts manages the operators of some of theirs.
   */
  accounts: string[] | null;
  /**
   * The server requires a second factor (OPERATOR_TOTP=required) and this operator has neither one-time codes nor
   * a passkey yet.
   */
  totpSetupRequired: boolean;
}

/** When the session ends, as the server said it with who is signed in (times in its clock, ISO 8601). */
export interface SessionEnds {
  /** OPERATOR_SESSION_HOURS. */
  sessionHours: number;
  /** OPERATOR_SESSION_IDLE_MINUTES; 0: no such limit. */
  sessionIdleMinutes: number;
  /** When the session ends at the latest, whatever it does; null: no session (an API token). */
  expiresAt: string | null;
  /** When it ends without a further request; null: no idle limit. */
  idleExpiresAt: string | null;
}

let onSessionEnds: (ends: SessionEnds) => void = () => {};

/** Told every time the server says when the session ends (each `fetchSignedIn`). */
export function setSessionEndsHandler(handler: (ends: SessionEnds) => void): void {
  onSessionEnds = handler;
}

/**
 * Who is signed in (a 401 when nobody is), keeping the session's CSRF token for the changes that follow; when the
 * session ends goes to the handler set with `setSessionEndsHandler`.
 */
export async function fetchSignedIn(): Promise<SignedIn> {
  const session = await api.get<SignedIn & SessionEnds & { csrfToken: string | null }>('/api/admin/session');
  setCsrfToken(session.csrfToken);
  onSessionEnds({
    sessionHours: session.sessionHours,
    sessionIdleMinutes: session.sessionIdleMinutes,
    expiresAt: session.expiresAt,
    idleExpiresAt: session.idleExpiresAt,
  });
  return {
    username: session.username,
    role: session.role,
    accounts: session.accounts,
    totpSetupRequired: session.totpSetupRequired,
  };
}

/** Whether `operator` acts on every account, the ones to come too (a platform operator). */
export function ofEveryAccount(operator: SignedIn): boolean {
  return operator.accounts === null;
}
