/** What an operator may do: `admin` everything; `viewer` read what holds no secret (docs/authentication.md). */
export type OperatorRole = 'admin' | 'viewer';

export interface OperatorRecord {
  username: string;
  passwordHash: string;
  role: OperatorRole;
  createdAt: number;
}

/** A signed-in browser session; the id is stored only as a hash. */
export interface OperatorSessionRecord {
  idHash: string;
  username: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
}

/** A bearer token an operator made for automation; stored only as a hash. */
export interface OperatorTokenRecord {
  /** Public: names the token in lists and when it is revoked (32 hex digits). */
  id: string;
  tokenHash: string;
  username: string;
  name: string;
  createdAt: number;
  /** null: does not expire. */
  expiresAt: number | null;
  /** To the minute; null until first used. */
  lastUsedAt: number | null;
}

export interface OperatorStore {
  createOperator(operator: OperatorRecord): Promise<boolean>;
  getOperator(username: string): Promise<OperatorRecord | null>;
  setOperatorPassword(username: string, passwordHash: string): Promise<boolean>;
  /** False when there is no such operator. */
  setOperatorRole(username: string, role: OperatorRole): Promise<boolean>;
  createSession(session: OperatorSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<OperatorSessionRecord | null>;
  /** Deletes one session, or with a username and no id every session of that operator. */
  deleteSessions(filter: { idHash: string } | { username: string }): Promise<number>;
  /** Every operator, by username. */
  listOperators(): Promise<OperatorRecord[]>;
  /** Removes an operator with their sessions and API tokens, at once; false when there was none. */
  deleteOperator(username: string): Promise<boolean>;
  createOperatorToken(token: OperatorTokenRecord): Promise<void>;
  findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null>;
  /** Every operator's API tokens, oldest first. */
  listOperatorTokens(): Promise<OperatorTokenRecord[]>;
  /** Deletes one token by its public id; returns it, or null when there was none. */
  deleteOperatorToken(id: string): Promise<OperatorTokenRecord | null>;
  /** Records a use; never moves `lastUsedAt` back. */
  touchOperatorToken(tokenHash: string, usedAt: number): Promise<void>;
}
