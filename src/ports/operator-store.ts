/** What an operator may do: `admin` everything; `viewer` read what holds no secret (docs/authentication.md). */
export type OperatorRole = 'admin' | 'viewer';

export interface OperatorRecord {
  username: string;
  passwordHash: string;
  role: OperatorRole;
  /**
   * The accounts the operator acts on, with their role; null: every account (and what belongs to no account:
   * operators, backups, the audit log). An empty list: none.
   */
  accounts: string[] | null;
  createdAt: number;
}

/** What an admin changes of another operator at once; what is left out stays. */
export interface OperatorChange {
  role?: OperatorRole;
  accounts?: string[] | null;
}

/** An operator as lists show them: with whether they sign in with a one-time code too, and their passkeys. */
export type OperatorListing = OperatorRecord & { totpEnabled: boolean; passkeys: number };

/**
 * A passkey (a WebAuthn credential) an operator registered as a second factor. Nothing in it is secret: the private
 * key never leaves the authenticator; `publicKey` checks its signatures.
 */
export interface OperatorPasskeyRecord {
  /** The credential id the authenticator chose (base64url), unique across operators. */
  id: string;
  username: string;
  /** The operator's label for it ("Work laptop"). */
  name: string;
  /** The COSE public key, base64url. */
  publicKey: string;
  /** The authenticator's signature counter at its last use (0 for those that keep none). */
  counter: number;
  /** How the browser may reach it (`internal`, `usb`, `hybrid`…), as it reported them. */
  transports: string[];
  createdAt: number;
  lastUsedAt: number | null;
}

/**
 * An operator's TOTP secret (RFC 6238), sealed under the master key. Pending (`enabledAt` null) from setup until
 * a first code confirms it; `lastStep` is the time step of the last code accepted, so no code counts twice.
 */
export interface OperatorTotpRecord {
  username: string;
  secretCipher: string;
  createdAt: number;
  enabledAt: number | null;
  lastStep: number | null;
  /** SHA-256 hashes of the recovery codes not used yet (recovery-codes.ts); empty while pending. */
  recoveryCodes: string[];
}

/** A signed-in browser session; the id is stored only as a hash. */
export interface OperatorSessionRecord {
  idHash: string;
  /** Public: names the session in lists and when it is ended (32 hex digits); not the cookie. */
  id: string;
  username: string;
  csrfToken: string;
  createdAt: number;
  expiresAt: number;
  /** Its last request, to the minute (OPERATOR_SESSION_IDLE_MINUTES ends it after so long without one). */
  lastSeenAt: number;
  /** Where it signed in from, and its browser (200 characters at most); null for sessions from before. */
  address: string | null;
  userAgent: string | null;
  /**
   * How it signed in: with the password (and a second factor when the operator has one), single sign-on, or a
   * passkey alone (its person verified by the authenticator).
   */
  signedInWith: SignInMethod;
  /**
   * A single sign-on session's person and session at the provider, so that the provider's back-channel logout
   * ends it: their `sub`, and the ID token's `sid` (null when the provider sent none); null for other sessions.
   */
  provider: ProviderSession | null;
}

export interface ProviderSession {
  subject: string;
  session: string | null;
}

export type SignInMethod = 'password' | 'sso' | 'passkey';

/**
 * Which sessions to delete: one by its hash (sign-out), every one of an operator, one of an operator by its
 * public id, or every one of an operator but one (by its hash).
 */
export type SessionFilter = { idHash: string } | { username: string; id?: string; exceptIdHash?: string };

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
  /** `viewer`: the token acts as a viewer whatever its operator's role; null: with its operator's role. */
  role: 'viewer' | null;
}

export interface OperatorStore {
  createOperator(operator: OperatorRecord): Promise<boolean>;
  getOperator(username: string): Promise<OperatorRecord | null>;
  setOperatorPassword(username: string, passwordHash: string): Promise<boolean>;
  /**
   * Changes the role and/or the accounts; false when there is no such operator or, given `ifAccounts`, when its
   * accounts are no longer exactly those (someone changed them meanwhile: the change is not made).
   */
  updateOperator(username: string, change: OperatorChange, ifAccounts?: string[] | null): Promise<boolean>;
  /**
   * Takes an account out of every operator's accounts (an account being deleted: its id may one day name
   * another tenant's account); how many operators had it.
   */
  removeAccountFromOperators(accountId: string): Promise<number>;
  createSession(session: OperatorSessionRecord): Promise<void>;
  getSession(idHash: string): Promise<OperatorSessionRecord | null>;
  /** Records the session's last request (`at`), unless a later one is recorded already. */
  touchSession(idHash: string, at: number): Promise<void>;
  /** Deletes the sessions the filter names; how many. */
  deleteSessions(filter: SessionFilter): Promise<number>;
  /**
   * Deletes the single sign-on sessions of a person at the provider (`subject`), of one session there (`session`),
   * or, given both, of that session of that person (OpenID Connect Back-Channel Logout 1.0 §2.7); the username of
   * each session deleted.
   */
  deleteProviderSessions(at: { subject?: string; session?: string }): Promise<string[]>;
  /** An operator's sessions, unexpired or not, newest first. */
  listSessions(username: string): Promise<OperatorSessionRecord[]>;
  /** Every operator, by username. */
  listOperators(): Promise<OperatorListing[]>;
  /**
   * Removes an operator with their sessions, API tokens, TOTP secret and passkeys, at once; false when there was none or,
   * given `ifAccounts`, when its accounts are no longer exactly those (then nothing is removed).
   */
  deleteOperator(username: string, ifAccounts?: string[] | null): Promise<boolean>;
  createOperatorToken(token: OperatorTokenRecord): Promise<void>;
  findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null>;
  /** Every operator's API tokens, oldest first. */
  listOperatorTokens(): Promise<OperatorTokenRecord[]>;
  /** Deletes one token by its public id; returns it, or null when there was none. */
  deleteOperatorToken(id: string): Promise<OperatorTokenRecord | null>;
  /**
   * Housekeeping: deletes the sessions that expired at or before `now` and the API tokens that expired before
   * `tokensExpiredBefore`; returns how many of each.
   */
  purgeExpiredOperatorCredentials(
    now: number,
    tokensExpiredBefore: number,
    /** Sessions whose last request was at or before this ended too (OPERATOR_SESSION_IDLE_MINUTES); null: none. */
    sessionsIdleSince?: number | null,
  ): Promise<{ sessions: number; tokens: number }>;
  /** Records a use; never moves `lastUsedAt` back. */
  touchOperatorToken(tokenHash: string, usedAt: number): Promise<void>;
  getTotp(username: string): Promise<OperatorTotpRecord | null>;
  /**
   * Stores a pending secret, replacing a pending one; false when the operator has an enabled secret (or is
   * unknown).
   */
  putPendingTotp(
    record: Omit<OperatorTotpRecord, 'enabledAt' | 'lastStep' | 'recoveryCodes'>,
  ): Promise<boolean>;
  /**
   * Turns a pending secret on, with the step of the code that confirmed it and the hashes of its recovery codes;
   * false when none was pending.
   */
  enableTotp(username: string, step: number, at: number, recoveryCodes: string[]): Promise<boolean>;
  /** Replaces the recovery codes of an enabled secret; false when the operator has none enabled. */
  replaceRecoveryCodes(username: string, recoveryCodes: string[]): Promise<boolean>;
  /**
   * Uses a recovery code once: removes `hash` from an enabled secret's codes, atomically (two nodes given the same
   * code: one wins). How many codes are left, or null when `hash` was not one of them.
   */
  useRecoveryCode(username: string, hash: string): Promise<number | null>;
  /** Accepts a code's step once: true when `step` is after the last accepted one of an enabled secret. */
  useTotpStep(username: string, step: number): Promise<boolean>;
  /** Removes the operator's secret, enabled or pending; false when there was none. */
  deleteTotp(username: string): Promise<boolean>;
  /** Adds a passkey; false when its id is registered already (to anyone) or the operator is unknown. */
  addPasskey(passkey: OperatorPasskeyRecord): Promise<boolean>;
  /** The operator's passkeys, oldest first. */
  listPasskeys(username: string): Promise<OperatorPasskeyRecord[]>;
  /** The passkey of this id, whoever's it is (a sign-in with a passkey alone names no one first); null if none. */
  findPasskey(id: string): Promise<OperatorPasskeyRecord | null>;
  /**
   * Records a use of the operator's passkey `id`: its new counter and the time. Atomic: false when it is not theirs,
   * or when the authenticator keeps a counter (`counter` > 0) that is not above the stored one (a cloned
   * authenticator, or two sign-ins with one answer: one wins).
   */
  usePasskey(username: string, id: string, counter: number, usedAt: number): Promise<boolean>;
  /** Removes one of the operator's passkeys; false when they have none by that id. */
  deletePasskey(username: string, id: string): Promise<boolean>;
  /** Removes every passkey of the operator; how many. */
  deletePasskeys(username: string): Promise<number>;
}
