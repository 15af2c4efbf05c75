export interface OperatorRecord {
  username: string;
  passwordHash: string;
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
  tokenHash: string;
  username: string;
  name: string;
  createdAt: number;
}

export interface OperatorStore {
  createOperator(operator: OperatorRecord): Promise<boolean>;
  getOperator(username: string): Promise<OperatorRecord | null>;
  setOperatorPassword(username: string, passwordHash: string): Promise<boolean>;
  createSession(session: OperatorSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<OperatorSessionRecord | null>;
  /** Deletes one session, or with a username and no id every session of that operator. */
  deleteSessions(filter: { idHash: string } | { username: string }): Promise<number>;
  createOperatorToken(token: OperatorTokenRecord): Promise<void>;
  findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null>;
}
