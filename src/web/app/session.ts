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
  /** The server requires one-time codes (OPERATOR_TOTP=required) and this operator has yet to set them up. */
  totpSetupRequired: boolean;
}

/** Who is signed in (a 401 when nobody is), keeping the session's CSRF token for the changes that follow. */
export async function fetchSignedIn(): Promise<SignedIn> {
  const session = await api.get<SignedIn & { csrfToken: string | null }>('/api/admin/session');
  setCsrfToken(session.csrfToken);
  return { username: session.username, role: session.role, totpSetupRequired: session.totpSetupRequired };
}
