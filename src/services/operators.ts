import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { hashPassword, verifyPassword } from '../core/auth/password.js';
import { formatSecret, hashSecret, OPERATOR_TOKEN_PREFIX } from '../core/auth/secrets.js';
import { AppError } from '../core/errors.js';
import { grantOf } from '../core/sso-groups.js';
import type {
  OperatorChange,
  OperatorRecord,
  OperatorRole,
  OperatorSessionRecord,
  OperatorTokenRecord,
  ProviderSession,
  SignInMethod,
} from '../ports/operator-store.js';
import type { ServiceContext } from './context.js';
import type { LoginGuard } from './login-guard.js';
import { OperatorPasskeys, type PasskeyView } from './operator-passkeys.js';
import { OperatorTotp } from './operator-totp.js';
import { UseRecorder } from './use-recorder.js';

/** How long an operator's session lasts from its sign-in unless OPERATOR_SESSION_HOURS says otherwise. */
export const DEFAULT_SESSION_LIFETIME_MS = 8 * 3_600_000;
/** How long a session lasts without a request unless OPERATOR_SESSION_IDLE_MINUTES says otherwise. */
export const DEFAULT_SESSION_IDLE_MS = 30 * 60_000;
/**
 * A session's last request is recorded to the minute: one write a minute at most, whatever the traffic — or twice
 * within the idle limit when it is shorter (a limit of one minute would otherwise end every session a minute after
 * its sign-in, used or not).
 */
const SESSION_TOUCH_MS = 60_000;
export const ADMIN_USERNAME = 'admin';
/** What a new operator may be called: a letter or digit, then letters, digits, `.`, `_`, `@` or `-`; 64 at most. */
export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 12;
/** An operator API token lives at most this many days (when it expires at all). */
export const MAX_TOKEN_DAYS = 3650;
/** How many accounts an operator can be limited to (beyond that, every account is the likely intent). */
export const MAX_OPERATOR_ACCOUNTS = 1000;
const DAY_MS = 86_400_000;
/** Compared against for an unknown operator, so both failures cost one scrypt. */
const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface OperatorIdentity {
  username: string;
  /**
   * Read from the operator on every request, so a change of role holds at once; `viewer` for an API token made to
   * act as a viewer, whatever the operator's role.
   */
  role: OperatorRole;
  /** An API token made to act as a viewer (`viewer`); null otherwise (a session, or a token with the operator's role). */
  tokenRole: 'viewer' | null;
  /** The accounts the operator acts on; null: every account. Read on every request, as the role. */
  accounts: readonly string[] | null;
  /** Present for browser sessions: the token every change must repeat in `x-csrf-token`. */
  csrfToken: string | null;
  /** A browser session opened by single sign-on (the provider asked for what it asks; no second factor here). */
  sso: boolean;
  /** The hash of the browser session's id (null for an API token): which of the operator's sessions is this one. */
  sessionIdHash: string | null;
  /** When the browser session ends at the latest (its sign-in and OPERATOR_SESSION_HOURS); null for an API token. */
  sessionExpiresAt: number | null;
  /**
   * The browser session's last request as stored once this request is recorded (to the minute, so up to a minute
   * before this request); null for an API token. With the idle limit, it says when the server ends the session.
   */
  sessionLastSeenAt: number | null;
  via: 'session' | 'token';
}

/** Who acts on operators: a signed-in operator (their role and accounts), or the command line. */
export type OperatorManager = Pick<OperatorIdentity, 'username' | 'role' | 'accounts'>;
/** The command line: acts on every operator, as an admin of every account nobody is signed in as. */
export const COMMAND_LINE: OperatorManager = { username: '', role: 'admin', accounts: null };
/** Where a request somehow has no operator: a viewer of no account, so that it fails closed. */
export const NO_OPERATOR: OperatorManager & Pick<OperatorIdentity, 'tokenRole'> = {
  username: '',
  role: 'viewer',
  accounts: [],
  tokenRole: 'viewer',
};

/**
 * Whether `by` manages `operator` (sees them, changes them, removes them): an operator of every account manages
 * every operator; one limited to some accounts manages the operators limited to some of theirs, never one of every
 * account or of none (those are the platform's). The role is checked apart: a viewer sees, an admin changes.
 */
export function manages(
  by: Pick<OperatorIdentity, 'accounts'>,
  operator: Pick<OperatorRecord, 'accounts'>,
): boolean {
  if (by.accounts === null) return true;
  const mine = by.accounts;
  const theirs = operator.accounts;
  return theirs !== null && theirs.length > 0 && theirs.every((accountId) => mine.includes(accountId));
}

/** An operator's accounts in words, for the audit log and the command line: `every account`, `a, b` or `none`. */
export function describeAccounts(accounts: readonly string[] | null): string {
  return accounts === null ? 'every account' : accounts.join(', ') || 'none';
}

/**
 * `describeAccounts`'s words as an operator limited to `mine` may read them: a list naming an account not theirs
 * becomes `accounts of others too` (never another tenant's account id); `every account` and `none` stay.
 */
export function describedWithin(described: string, mine: readonly string[]): string {
  if (described === describeAccounts(null) || described === describeAccounts([])) return described;
  const theirs = described.split(', ').every((accountId) => mine.includes(accountId));
  return theirs ? described : 'accounts of others too';
}

/** A browser session as its operator sees it: never the cookie or the CSRF token. */
export interface SessionView {
  id: string;
  createdAt: number;
  expiresAt: number;
  /** Its last request, to the minute. */
  lastSeenAt: number;
  address: string | null;
  userAgent: string | null;
  signedInWith: SignInMethod;
  /** The session this request came with. */
  current: boolean;
}

/** A browser's User-Agent as kept with its session: printable, 200 characters at most; null when none. */
function storableUserAgent(userAgent: string | undefined): string | null {
  if (typeof userAgent !== 'string') return null;
  const printable = userAgent
    .replace(/[^\x20-\x7e]/g, '')
    .trim()
    .slice(0, 200);
  return printable === '' ? null : printable;
}

/** An operator as the admin API shows one: never the password's hash. */
export type OperatorView = Omit<OperatorRecord, 'passwordHash'>;

/** An operator API token as lists show it: never the token itself, which is shown once, at creation. */
export type OperatorTokenView = Omit<OperatorTokenRecord, 'tokenHash'>;

/**
 * The second step of a sign-in: the app's current code, one of the recovery codes, or a passkey's answer (what the
 * browser's navigator.credentials.get resolved to, as JSON).
 */
export interface SecondFactor {
  code?: string;
  recoveryCode?: string;
  passkey?: AuthenticationResponseJSON;
}

/** The second factors an operator has: one-time codes (with their recovery codes), passkeys. */
export type SecondFactorMethod = 'totp' | 'passkey';

/**
 * A single sign-on's outcome: refused, with the code the browser is sent back with and the reason to record; or
 * a session, with whether the operator was made by it and what of their role and accounts it changed.
 */
type SsoSignInCreated = { role: OperatorRole; accounts: string[] | null };

export type SsoSignIn =
  | { refused: 'unknown_operator' | 'no_role'; reason: string }
  | {
      refused: null;
      sessionId: string;
      csrfToken: string;
      expiresAt: number;
      /** The role and accounts the operator was made with by this sign-in; null: they were an operator already. */
      created: SsoSignInCreated | null;
      changed: OperatorChange;
    };

/** Whether two operators' account lists (null: every account) are the same; both are kept sorted. */
function sameAccounts(a: readonly string[] | null, b: readonly string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** What a sign-in without its second factor is told, by the methods the operator has (one, or both). */
function askFor(methods: readonly SecondFactorMethod[]): string {
  if (methods.length > 1) return 'use your passkey, or enter the 6-digit code from your authenticator app';
  return methods[0] === 'passkey'
    ? 'use your passkey to finish signing in'
    : 'enter the 6-digit code from your authenticator app';
}

/** A wrong second factor where the password was given to change something: 403. */
const forbidden = (detail: string) => new AppError('forbidden', detail);

/** Operators: people who sign in to the web app and the admin API. */
export class OperatorService {
  /** Token hash → the minute its last use was recorded, so a busy token costs one write a minute. */
  readonly #tokenUses: UseRecorder;
  /** One-time codes, a second factor of sign-in (for operators who turned them on). */
  readonly totp: OperatorTotp;
  /** Passkeys, the other second factor (for operators who added some). */
  readonly passkeys: OperatorPasskeys;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly guard: LoginGuard,
  ) {
    this.totp = new OperatorTotp(ctx);
    this.passkeys = new OperatorPasskeys(ctx);
    this.#tokenUses = new UseRecorder(
      ctx,
      'operator API token',
      (tokenHash, minute) => ctx.store.operators.touchOperatorToken(tokenHash, minute),
      10_000,
    );
  }

  /**
   * On a store without operators, creates `admin`; returns the password when it was generated here. A store
   * whose `admin` was removed while others remain gets no new `admin`.
   */
  async bootstrap(
    configuredPassword: string | undefined,
  ): Promise<{ created: boolean; generatedPassword: string | null }> {
    if ((await this.ctx.store.operators.listOperators()).length > 0)
      return { created: false, generatedPassword: null };
    const generated = configuredPassword ? null : this.ctx.random.bytes(18).toString('base64url');
    const password = configuredPassword ?? (generated as string);
    const created = await this.ctx.store.operators.createOperator({
      username: ADMIN_USERNAME,
      passwordHash: await hashPassword(password, this.ctx.random.bytes(16)),
      role: 'admin',
      accounts: null,
      createdAt: this.ctx.clock.now(),
    });
    return { created, generatedPassword: created ? generated : null };
  }

  /**
   * Checks a password and, for an operator with a second factor, a passkey's answer, the one-time code or a recovery
   * code (all rate-limited as one guard), then opens a session; returns the session id and its CSRF token, after a
   * recovery code how many are left, after a passkey its name. Without a second factor where one is needed,
   * `mfa_required` (401) says so only once the password is right, with the operator's `methods` and, when they have
   * passkeys, the browser's options for one (`passkeyOptions`, a new challenge each time).
   */
  async signIn(
    username: string,
    password: string,
    address: string,
    factor: SecondFactor = {},
    userAgent?: string,
  ): Promise<{
    sessionId: string;
    csrfToken: string;
    expiresAt: number;
    recoveryCodesLeft?: number;
    passkey?: string;
  }> {
    if (this.ctx.settings.operatorPasswordSignIn === false)
      throw new AppError(
        'forbidden',
        'password sign-in is turned off here: sign in with single sign-on (OPERATOR_PASSWORD_SIGN_IN=false)',
      );
    await this.guard.check(username, address);
    const operator = username.length <= 64 ? await this.ctx.store.operators.getOperator(username) : null;
    const ok = await verifyPassword(password, operator?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!operator || !ok) {
      await this.guard.failed(username, address);
      throw new AppError('unauthorized', 'wrong username or password');
    }
    const origin = { address, userAgent };
    const methods = await this.secondFactors(username);
    if (methods.length === 0) return this.#openSession(username, origin);
    const given = [factor.code, factor.recoveryCode, factor.passkey].filter((f) => f !== undefined).length;
    if (given > 1)
      throw new AppError('validation_failed', 'give one second factor: a code, a recovery code or a passkey');
    const refuse = (detail: string) => this.#mfaRequired(username, methods, detail);
    if (given === 0) throw await refuse(askFor(methods));
    if (factor.passkey !== undefined) {
      const passkey = await this.passkeys.accept(username, factor.passkey);
      if (passkey === null) {
        await this.guard.failed(username, address);
        throw await refuse('the passkey was not accepted: try again or use another way');
      }
      return { ...(await this.#openSession(username, origin)), passkey };
    }
    const left = await this.#secondFactor(username, factor, address, refuse);
    return {
      ...(await this.#openSession(username, origin)),
      ...(left === null ? {} : { recoveryCodesLeft: left }),
    };
  }

  /**
   * Opens a session for the operator a single sign-on provider named (OperatorSso checked its answer); the provider
   * asked for what it asks, so no second factor is asked here. A username operators cannot have is refused.
   *
   * With OPERATOR_SSO_GROUPS, the person's groups decide: in none of its groups, refused (`no_role`); else they are
   * made an operator if need be, and their role and accounts set to what the groups give (`created`, `changed`),
   * at every sign-in. Without it, someone who is no operator here is refused (`unknown_operator`) or, with
   * OPERATOR_SSO_NEW_OPERATORS=viewer, made an operator at once: a viewer of no account, who sees nothing until an
   * admin gives them accounts.
   */
  async signInWithSso(
    username: string,
    groups: readonly string[],
    provider: ProviderSession,
    address: string,
    userAgent?: string,
  ): Promise<SsoSignIn> {
    if (!USERNAME_PATTERN.test(username))
      return { refused: 'unknown_operator', reason: 'not a username operators can have' };
    const sso = this.ctx.settings.operatorSso;
    const grants = sso?.groups ?? null;
    const grant = grants === null ? null : grantOf(grants, groups);
    if (grants !== null && grant === null)
      return { refused: 'no_role', reason: 'in none of the groups of OPERATOR_SSO_GROUPS' };
    // What a newcomer is made: what their groups give, else (OPERATOR_SSO_NEW_OPERATORS=viewer) a viewer of no account.
    const given = grant
      ? { role: grant.role, accounts: await this.#existingAccounts(grant.accounts) }
      : { role: 'viewer' as const, accounts: [] };
    let current = await this.ctx.store.operators.getOperator(username);
    let created: SsoSignInCreated | null = null;
    if (current === null) {
      if (grant === null && sso?.newOperators !== 'viewer')
        return { refused: 'unknown_operator', reason: 'no operator of this username' };
      if (await this.#madeBySso(username, given)) created = given;
      // Made meanwhile by another sign-in of theirs, on this node or another: theirs all the same.
      else current = await this.ctx.store.operators.getOperator(username);
    }
    let changed: OperatorChange = {};
    if (grant !== null && created === null) {
      if (current === null) return { refused: 'unknown_operator', reason: 'removed during the sign-in' };
      changed = {
        ...(current.role === given.role ? {} : { role: given.role }),
        ...(sameAccounts(current.accounts, given.accounts) ? {} : { accounts: given.accounts }),
      };
      if (Object.keys(changed).length > 0) await this.ctx.store.operators.updateOperator(username, changed);
    }
    const session = await this.#openSession(username, { address, userAgent }, 'sso', provider);
    return { refused: null, ...session, created, changed };
  }

  /** Makes the operator single sign-on named; false when they exist already (another sign-in made them first). */
  async #madeBySso(username: string, { role, accounts }: SsoSignInCreated): Promise<boolean> {
    try {
      await this.createOperator(username, null, role, accounts);
      return true;
    } catch (error) {
      if (!(error instanceof AppError && error.code === 'conflict')) throw error;
      return false;
    }
  }

  /**
   * The accounts of `accounts` that exist (null: every account). OPERATOR_SSO_GROUPS may name an account before it
   * is made, or after it is deleted: the operator has it from their first sign-in after it exists.
   */
  async #existingAccounts(accounts: string[] | null): Promise<string[] | null> {
    if (accounts === null) return null;
    const found = await Promise.all(accounts.map((id) => this.ctx.store.accounts.getAccount(id)));
    return accounts.filter((_, i) => found[i] && found[i].status !== 'deleted');
  }

  /**
   * Whether operators may sign in with a passkey alone here: not where they sign in through single sign-on alone
   * (OPERATOR_PASSWORD_SIGN_IN=false: the provider is then the only way in), nor where passkeys cannot be used.
   */
  get passkeyAloneOffered(): boolean {
    return this.ctx.settings.operatorPasswordSignIn !== false && this.passkeys.availability.available;
  }

  /** The browser's options to sign in with a passkey alone (see OperatorPasskeys.passwordlessOptions). */
  async passkeyAloneOptions(): Promise<PublicKeyCredentialRequestOptionsJSON> {
    this.#passkeyAloneAllowed();
    const options = await this.passkeys.passwordlessOptions();
    if (options === null)
      throw new AppError('conflict', this.passkeys.availability.reason ?? 'passkeys cannot be used here');
    return options;
  }

  #passkeyAloneAllowed(): void {
    if (this.ctx.settings.operatorPasswordSignIn === false)
      throw new AppError(
        'forbidden',
        'sign-in here is through single sign-on alone (OPERATOR_PASSWORD_SIGN_IN=false)',
      );
  }

  /**
   * Signs in with a passkey alone (no username, no password): the passkey names its operator, and its authenticator
   * verified the person (PIN or biometrics), so it counts as two factors, OPERATOR_TOTP=required included. A refused
   * answer counts in the sign-in guard for that passkey from that address, and for the address.
   */
  async signInWithPasskey(
    response: AuthenticationResponseJSON,
    address: string,
    userAgent?: string,
  ): Promise<{ username: string; passkey: string; sessionId: string; csrfToken: string; expiresAt: number }> {
    this.#passkeyAloneAllowed();
    // Counted per passkey and address: a forged answer cannot succeed (it needs the passkey's private key), so a
    // count of the passkey's own would only let anyone who knows its id (not a secret) lock its operator out.
    const guardKey = `passkey:${address}:${response.id}`;
    await this.guard.check(guardKey, address);
    const accepted = await this.passkeys.acceptPasswordless(response);
    if (accepted === null) {
      await this.guard.failed(guardKey, address);
      throw new AppError(
        'unauthorized',
        'the passkey was not accepted: it is not registered here, its answer does not verify, it did not verify you (a PIN or biometrics), or its request expired or was used; start again',
      );
    }
    const session = await this.#openSession(accepted.username, { address, userAgent }, 'passkey');
    return { username: accepted.username, passkey: accepted.name, ...session };
  }

  /** The second factors the operator has, one-time codes first; none: the password alone signs them in. */
  async secondFactors(username: string): Promise<SecondFactorMethod[]> {
    const [totp, passkeys] = await Promise.all([this.totp.enabled(username), this.passkeys.has(username)]);
    return [...(totp ? (['totp'] as const) : []), ...(passkeys ? (['passkey'] as const) : [])];
  }

  /** The `mfa_required` answer: what the operator has, and the browser's options for a passkey when they have one. */
  async #mfaRequired(username: string, methods: SecondFactorMethod[], detail: string): Promise<AppError> {
    const passkeyOptions = methods.includes('passkey') ? await this.passkeys.signInOptions(username) : null;
    return new AppError('mfa_required', detail, { methods, ...(passkeyOptions ? { passkeyOptions } : {}) });
  }

  /**
   * Checks a one-time code, or uses a recovery code; a wrong one counts in the sign-in guard and is answered with
   * what `refuse` makes of its reason. How many recovery codes are left after one was used, else null.
   */
  async #secondFactor(
    username: string,
    factor: SecondFactor,
    address: string,
    refuse: (detail: string) => AppError | Promise<AppError>,
  ): Promise<number | null> {
    if (factor.code !== undefined && factor.recoveryCode !== undefined)
      throw new AppError('validation_failed', 'give a code or a recovery code, not both');
    if (factor.recoveryCode !== undefined) {
      const left = await this.totp.acceptRecoveryCode(username, factor.recoveryCode);
      if (left !== null) return left;
      await this.guard.failed(username, address);
      throw await refuse('the recovery code is wrong or was used already');
    }
    if (!(await this.totp.accept(username, factor.code ?? ''))) {
      await this.guard.failed(username, address);
      throw await refuse('the code is wrong or was used already: enter the next one');
    }
    return null;
  }

  /**
   * With OPERATOR_TOTP=required, whether this signed-in operator has yet to turn one-time codes on (and may only
   * do that). API tokens are separate credentials and never asked.
   */
  async mustSetUpTotp(identity: Pick<OperatorIdentity, 'username' | 'via' | 'sso'>): Promise<boolean> {
    if (this.ctx.settings.operatorTotp !== 'required' || identity.via !== 'session' || identity.sso)
      return false;
    // Asked on every request of such a session: one-time codes first, the passkeys only without them.
    if (await this.totp.enabled(identity.username)) return false;
    return !(await this.passkeys.has(identity.username));
  }

  /**
   * The browser's options to add a passkey for yourself, once the password is proved (a session alone does not add a
   * way in); their challenge, made for you alone and good once for 5 minutes, is the proof `passkeys.register` takes.
   */
  async passkeyOptions(
    username: string,
    password: string,
    address: string,
  ): Promise<PublicKeyCredentialCreationOptionsJSON> {
    await this.#proveOwnPassword(username, password, address);
    return this.passkeys.registrationOptions(username);
  }

  /** Removes one of your passkeys, proving the password. */
  async removePasskey(username: string, password: string, id: string, address: string): Promise<PasskeyView> {
    await this.#proveOwnPassword(username, password, address);
    const passkey = (await this.passkeys.list(username)).find((p) => p.id === id);
    if (!passkey || !(await this.passkeys.remove(username, id)))
      throw new AppError('not_found', 'you have no passkey by this id');
    return passkey;
  }

  /** An admin removes every passkey of an operator they manage (a lost device); how many. */
  async resetPasskeys(username: string, by: OperatorManager): Promise<number> {
    if (username === by.username)
      throw new AppError('conflict', 'remove your own passkeys one by one, with your password');
    await this.#managed(username, by);
    const removed = await this.passkeys.removeAll(username);
    if (removed === 0) throw new AppError('not_found', `${username} has no passkeys`);
    return removed;
  }

  /**
   * Turns one-time codes off for yourself, proving both the password and a current code (or a recovery code).
   * With OPERATOR_TOTP=required, the operator is then where a new one starts: only setting them up is open (the
   * way to move to another phone).
   */
  async disableTotp(
    username: string,
    password: string,
    factor: SecondFactor,
    address: string,
  ): Promise<void> {
    await this.#proveOwnPassword(username, password, address);
    await this.#secondFactor(username, factor, address, forbidden);
    await this.totp.remove(username);
  }

  /** New recovery codes for yourself (the old ones stop working), proving the password and a current code. */
  async replaceRecoveryCodes(
    username: string,
    password: string,
    code: string,
    address: string,
  ): Promise<string[]> {
    if (!(await this.totp.enabled(username))) throw new AppError('conflict', 'turn one-time codes on first');
    await this.#proveOwnPassword(username, password, address);
    await this.#secondFactor(username, { code }, address, forbidden);
    return this.totp.replaceRecoveryCodes(username);
  }

  /**
   * An admin removes the one-time codes of an operator they manage (a lost phone); that operator signs in with the
   * password alone.
   */
  async resetTotp(username: string, by: OperatorManager): Promise<void> {
    if (username === by.username)
      throw new AppError('conflict', 'turn your own one-time codes off with your password and a code');
    await this.#managed(username, by);
    if (!(await this.totp.remove(username)))
      throw new AppError('not_found', `${username} has no one-time codes set up`);
  }

  /** How long a session lasts from its sign-in (OPERATOR_SESSION_HOURS). */
  get sessionLifetimeMs(): number {
    return this.ctx.settings.operatorSessions?.lifetimeMs ?? DEFAULT_SESSION_LIFETIME_MS;
  }

  /** The session cookie's Max-Age, in seconds: as long as the session may last. */
  get sessionCookieSeconds(): number {
    return Math.floor(this.sessionLifetimeMs / 1000);
  }

  /** How long a session lasts without a request (OPERATOR_SESSION_IDLE_MINUTES); 0: as long as its lifetime. */
  get sessionIdleMs(): number {
    return this.ctx.settings.operatorSessions?.idleMs ?? DEFAULT_SESSION_IDLE_MS;
  }

  /**
   * When the browser session of `identity` ends: at the latest (`expiresAt`), and without a further request
   * (`idleExpiresAt`: its last request as recorded plus OPERATOR_SESSION_IDLE_MINUTES, never after `expiresAt`), as
   * `#ended` decides. Null for an API token, and `idleExpiresAt` null without an idle limit.
   */
  sessionEnds(identity: Pick<OperatorIdentity, 'sessionExpiresAt' | 'sessionLastSeenAt'>): {
    expiresAt: number | null;
    idleExpiresAt: number | null;
  } {
    const { sessionExpiresAt: expiresAt, sessionLastSeenAt: lastSeenAt } = identity;
    const idle = this.sessionIdleMs;
    if (expiresAt === null) return { expiresAt: null, idleExpiresAt: null };
    return {
      expiresAt,
      idleExpiresAt: idle > 0 && lastSeenAt !== null ? Math.min(lastSeenAt + idle, expiresAt) : null,
    };
  }

  /** Whether the session has ended at `now`: its lifetime over, or idle too long. */
  #ended(session: OperatorSessionRecord, now: number): boolean {
    const idle = this.sessionIdleMs;
    return session.expiresAt <= now || (idle > 0 && now - session.lastSeenAt >= idle);
  }

  /**
   * The operator of a session that has not ended, as of its last recorded request; `recordActivity` records this one
   * once the request is allowed (a refused request does not keep a session alive).
   */
  async fromSession(sessionId: string): Promise<OperatorIdentity | null> {
    if (sessionId.length !== 43) return null;
    const session = await this.ctx.store.operators.getSession(hashSecret(sessionId));
    if (!session) return null;
    const now = this.ctx.clock.now();
    if (this.#ended(session, now)) {
      await this.ctx.store.operators.deleteSessions({ idHash: session.idHash });
      return null;
    }
    const operator = await this.ctx.store.operators.getOperator(session.username);
    if (!operator) return null;
    return {
      username: session.username,
      role: operator.role,
      tokenRole: null,
      accounts: operator.accounts,
      csrfToken: session.csrfToken,
      sso: session.signedInWith === 'sso',
      sessionIdHash: session.idHash,
      sessionExpiresAt: session.expiresAt,
      sessionLastSeenAt: session.lastSeenAt,
      via: 'session',
    };
  }

  /**
   * Records an allowed request of a session's (at most every minute, or every half idle limit when that is shorter):
   * the identity as of this request. Off the request's path: a failed write only makes the session look idle sooner.
   */
  recordActivity(identity: OperatorIdentity): OperatorIdentity {
    const { sessionIdHash, sessionLastSeenAt } = identity;
    if (sessionIdHash === null || sessionLastSeenAt === null) return identity;
    const now = this.ctx.clock.now();
    const idle = this.sessionIdleMs;
    if (now - sessionLastSeenAt < (idle > 0 ? Math.min(SESSION_TOUCH_MS, idle / 2) : SESSION_TOUCH_MS))
      return identity;
    this.ctx.store.operators
      .touchSession(sessionIdHash, now)
      .catch((error: unknown) =>
        this.ctx.log.warn({ err: error }, "could not record an operator session's last request"),
      );
    return { ...identity, sessionLastSeenAt: now };
  }

  async fromToken(token: string): Promise<OperatorIdentity | null> {
    if (!token.startsWith(OPERATOR_TOKEN_PREFIX) || token.length > 128) return null;
    const tokenHash = hashSecret(token);
    const record = await this.ctx.store.operators.findOperatorToken(tokenHash);
    const now = this.ctx.clock.now();
    if (!record || (record.expiresAt !== null && record.expiresAt <= now)) return null;
    const operator = await this.ctx.store.operators.getOperator(record.username);
    if (!operator) return null;
    this.#tokenUses.record(tokenHash, now);
    return {
      username: record.username,
      role: record.role ?? operator.role,
      tokenRole: record.role,
      accounts: operator.accounts,
      csrfToken: null,
      sso: false,
      sessionIdHash: null,
      sessionExpiresAt: null,
      sessionLastSeenAt: null,
      via: 'token',
    };
  }

  async signOut(sessionId: string): Promise<void> {
    await this.ctx.store.operators.deleteSessions({ idHash: hashSecret(sessionId) });
  }

  /**
   * A new API token of `username`, shown this once; `expiresInDays` null: it does not expire. `role` `viewer`: it
   * acts as a viewer whatever the operator's role (null: with the operator's role, as it is at each request). A
   * token made to act as a viewer makes only such tokens (`by`), so that it never leads to more.
   */
  async createApiToken(
    username: string,
    name: string,
    expiresInDays: number | null,
    role: 'viewer' | null = null,
    by: Pick<OperatorIdentity, 'tokenRole'> = { tokenRole: null },
  ): Promise<OperatorTokenView & { token: string }> {
    if (by.tokenRole === 'viewer' && role !== 'viewer')
      throw new AppError(
        'forbidden',
        'a token that acts as a viewer makes only tokens that act as viewers: give role viewer',
      );
    if (
      expiresInDays !== null &&
      !(Number.isInteger(expiresInDays) && expiresInDays >= 1 && expiresInDays <= MAX_TOKEN_DAYS)
    )
      throw new AppError(
        'validation_failed',
        `expiresInDays must be a whole number from 1 to ${MAX_TOKEN_DAYS}`,
      );
    const token = formatSecret(OPERATOR_TOKEN_PREFIX, this.ctx.random.bytes(32));
    const createdAt = this.ctx.clock.now();
    const record: OperatorTokenRecord = {
      id: this.ctx.random.bytes(16).toString('hex'),
      tokenHash: hashSecret(token),
      username,
      name,
      createdAt,
      expiresAt: expiresInDays === null ? null : createdAt + expiresInDays * DAY_MS,
      lastUsedAt: null,
      role,
    };
    await this.ctx.store.operators.createOperatorToken(record);
    const { tokenHash: _, ...view } = record;
    return { ...view, token };
  }

  /**
   * API tokens, oldest first: their own and those of the operators `by` manages (an operator of every account: every
   * operator's). Other operators may be another tenant's people.
   */
  async listApiTokens(by: OperatorManager): Promise<OperatorTokenView[]> {
    const seen = await this.#seenUsernames(by);
    return (await this.ctx.store.operators.listOperatorTokens())
      .filter((t) => seen === null || seen.has(t.username))
      .map(({ tokenHash: _, ...view }) => view);
  }

  /**
   * Revokes a token at once, on every node (tokens are looked up on each request, never cached). An admin
   * revokes their own and those of the operators they manage; a viewer only their own.
   */
  async revokeApiToken(id: string, by: OperatorManager): Promise<OperatorTokenView> {
    if (by.accounts !== null || by.role !== 'admin') {
      const token = (await this.ctx.store.operators.listOperatorTokens()).find((t) => t.id === id);
      if (token && token.username !== by.username) {
        // A token of someone they do not manage is not theirs to know of: as a token that does not exist.
        const seen = await this.#seenUsernames(by);
        if (seen !== null && !seen.has(token.username))
          throw new AppError('not_found', `no operator API token ${id}`);
        if (by.role !== 'admin')
          throw new AppError(
            'forbidden',
            "a viewer revokes only their own tokens; ask an admin to revoke another's",
          );
      }
    }
    const deleted = await this.ctx.store.operators.deleteOperatorToken(id);
    if (!deleted) throw new AppError('not_found', `no operator API token ${id}`);
    this.#tokenUses.forget(deleted.tokenHash);
    const { tokenHash: _, ...view } = deleted;
    return view;
  }

  /** The operators `by` sees: themselves and those they manage (an operator of every account: every operator). */
  async listOperators(
    by: OperatorManager = COMMAND_LINE,
  ): Promise<(OperatorView & { totpEnabled: boolean; passkeys: number })[]> {
    return (await this.ctx.store.operators.listOperators())
      .filter((o) => o.username === by.username || manages(by, o))
      .map(({ passwordHash: _, ...view }) => view);
  }

  /**
   * Changes the role, the accounts or both of an operator `by` manages, at once (read on every request); nobody
   * changes their own. Accounts must exist, and be `by`'s to give (see `#grantable`).
   */
  async changeOperator(username: string, change: OperatorChange, by: OperatorManager): Promise<OperatorView> {
    if (username === by.username)
      throw new AppError('conflict', 'you cannot change your own role or accounts; ask another admin');
    if (change.role === undefined && change.accounts === undefined)
      throw new AppError('validation_failed', 'give a role, accounts, or both');
    const target = await this.#managed(username, by);
    const accounts = change.accounts === undefined ? undefined : await this.#grantable(change.accounts, by);
    const operators = this.ctx.store.operators;
    const done = await operators.updateOperator(
      username,
      {
        ...(change.role === undefined ? {} : { role: change.role }),
        ...(accounts === undefined ? {} : { accounts }),
      },
      ...this.#unchanged(target, by),
    );
    const changed = done ? await operators.getOperator(username) : null;
    if (!changed) throw await this.#lost(username);
    const { passwordHash: _, ...view } = changed;
    return view;
  }

  /**
   * Refuses, as for an operator who does not exist, an operator `by` neither is nor manages (their audit events,
   * say, are not `by`'s to read).
   */
  async requireSeen(username: string, by: OperatorManager): Promise<void> {
    if (username !== by.username) await this.#managed(username, by);
  }

  /**
   * The operator `username` if `by` manages them; otherwise, as for one that does not exist, not found (an
   * operator limited to some accounts does not learn of another tenant's people).
   */
  async #managed(username: string, by: OperatorManager): Promise<OperatorRecord> {
    const found = await this.ctx.store.operators.getOperator(username);
    if (!found || !manages(by, found)) throw new AppError('not_found', `no operator ${username}`);
    return found;
  }

  /**
   * For an operator limited to some accounts, what the store must still find for a change or a removal to be
   * made: the target's accounts as they were when checked (someone of every account may widen them meanwhile).
   */
  #unchanged(target: OperatorRecord, by: OperatorManager): [] | [string[] | null] {
    return by.accounts === null ? [] : [target.accounts];
  }

  /** Why a checked change or removal was not made: the operator went, or their accounts changed meanwhile. */
  async #lost(username: string): Promise<AppError> {
    return (await this.ctx.store.operators.getOperator(username))
      ? new AppError('conflict', `${username} was changed by someone else meanwhile; look again and retry`)
      : new AppError('not_found', `no operator ${username}`);
  }

  /**
   * Accounts `by` may give an operator: anything for an operator of every account; for one limited to some
   * accounts, at least one and only theirs (another account is refused as one that does not exist), never every
   * account. Then checked as stored (`#checkAccounts`).
   */
  async #grantable(accounts: string[] | null, by: OperatorManager): Promise<string[] | null> {
    const mine = by.accounts;
    if (mine !== null) {
      if (accounts === null)
        throw new AppError(
          'forbidden',
          `only an operator of every account gives every account; ${by.username} gives some of their accounts`,
        );
      if (accounts.length === 0)
        throw new AppError(
          'validation_failed',
          'accounts: give at least one of your accounts (to take every account away, remove the operator)',
        );
      const other = accounts.find((accountId) => !mine.includes(accountId));
      if (other !== undefined) throw new AppError('validation_failed', `accounts: no account ${other}`);
    }
    return this.#checkAccounts(accounts);
  }

  /** Who `by` sees the tokens and sessions of: null, everyone; else themselves and the operators they manage. */
  async #seenUsernames(by: OperatorManager): Promise<Set<string> | null> {
    if (by.accounts === null) return null;
    return new Set((await this.listOperators(by)).map((o) => o.username));
  }

  /**
   * A new operator; returns the password when it was generated here (to be shown once). `accountList` absent:
   * every account, for an operator of every account; one limited to some accounts must give some of theirs.
   */
  async createOperator(
    username: string,
    password: string | null,
    role: OperatorRole,
    accountList?: string[] | null,
    by: OperatorManager = COMMAND_LINE,
  ): Promise<OperatorView & { generatedPassword: string | null }> {
    if (!USERNAME_PATTERN.test(username))
      throw new AppError(
        'validation_failed',
        'username must be 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit',
      );
    if (password !== null) checkPassword(password);
    if (accountList === undefined && by.accounts !== null)
      throw new AppError(
        'validation_failed',
        'accounts: give the accounts of yours the new operator acts on',
      );
    const accounts = await this.#grantable(accountList ?? null, by);
    const generated = password === null ? this.ctx.random.bytes(18).toString('base64url') : null;
    const createdAt = this.ctx.clock.now();
    const created = await this.ctx.store.operators.createOperator({
      username,
      passwordHash: await hashPassword(password ?? (generated as string), this.ctx.random.bytes(16)),
      role,
      accounts,
      createdAt,
    });
    if (!created) throw new AppError('conflict', `the operator ${username} exists already`);
    return { username, role, accounts, createdAt, generatedPassword: generated };
  }

  /**
   * An operator's accounts as stored: null (every account) as it is, else sorted without repeats, each an account
   * that exists now. A deleted account's id is refused: it may one day name another tenant's account (and the
   * deletion takes it out of every operator's list).
   */
  async #checkAccounts(accounts: string[] | null): Promise<string[] | null> {
    if (accounts === null) return null;
    const unique = [...new Set(accounts)].sort();
    if (unique.length > MAX_OPERATOR_ACCOUNTS)
      throw new AppError(
        'validation_failed',
        `an operator is limited to at most ${MAX_OPERATOR_ACCOUNTS} accounts; give null for every account`,
      );
    for (const accountId of unique) {
      const found = await this.ctx.store.accounts.getAccount(accountId);
      if (!found || found.status === 'deleted')
        throw new AppError('validation_failed', `accounts: no account ${accountId}`);
    }
    return unique;
  }

  /**
   * Removes an operator `by` manages, with their sessions and their API tokens, at once. Nobody removes
   * themselves, so a signed-in operator always leaves at least one behind.
   */
  async removeOperator(username: string, by: OperatorManager): Promise<void> {
    if (username === by.username)
      throw new AppError('conflict', 'you cannot remove yourself; ask another operator');
    const target = await this.#managed(username, by);
    if (!(await this.ctx.store.operators.deleteOperator(username, ...this.#unchanged(target, by))))
      throw await this.#lost(username);
  }

  /**
   * An operator changes their own password, proving the current one (rate-limited like a sign-in). Every session
   * of theirs ends; the returned one replaces the caller's. Their API tokens stay: they are listed and revoked
   * on their own.
   */
  async changePassword(
    username: string,
    current: string,
    next: string,
    address: string,
    userAgent?: string,
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: number }> {
    checkPassword(next);
    await this.#proveOwnPassword(username, current, address);
    await this.resetPassword(username, next);
    return this.#openSession(username, { address, userAgent });
  }

  /** An admin (or the command line) ends every session of an operator they manage (a lost laptop); how many ended. */
  async endEverySession(username: string, by: OperatorManager = COMMAND_LINE): Promise<number> {
    await this.#managed(username, by);
    return this.endSessions(username, null);
  }

  /** The operator's sessions that have not expired, newest first; `current` marks the caller's own. */
  async listSessions(identity: Pick<OperatorIdentity, 'username' | 'sessionIdHash'>): Promise<SessionView[]> {
    const now = this.ctx.clock.now();
    return (await this.ctx.store.operators.listSessions(identity.username))
      .filter((s) => !this.#ended(s, now))
      .map(({ idHash, id, createdAt, expiresAt, lastSeenAt, address, userAgent, signedInWith }) => ({
        id,
        createdAt,
        expiresAt,
        lastSeenAt,
        address,
        userAgent,
        signedInWith,
        current: idHash === identity.sessionIdHash,
      }));
  }

  /** Ends one of the operator's own sessions, by its public id (the current one too: a sign-out). */
  async endSession(username: string, id: string): Promise<void> {
    if ((await this.ctx.store.operators.deleteSessions({ username, id })) === 0)
      throw new AppError('not_found', `you have no session ${id}`);
  }

  /**
   * Ends every session of the operator but the caller's own (`keepIdHash`; null, from an API token: every one);
   * how many ended.
   */
  async endSessions(username: string, keepIdHash: string | null): Promise<number> {
    return this.ctx.store.operators.deleteSessions({
      username,
      ...(keepIdHash === null ? {} : { exceptIdHash: keepIdHash }),
    });
  }

  /**
   * Ends the single sign-on sessions the provider's back-channel logout names (OperatorSso checked its token): those of
   * a person there, of one session there, or of that session of that person. The usernames whose sessions ended,
   * with how many each.
   */
  async endProviderSessions(at: { subject?: string; session?: string }): Promise<Map<string, number>> {
    const ended = new Map<string, number>();
    for (const username of await this.ctx.store.operators.deleteProviderSessions(at))
      ended.set(username, (ended.get(username) ?? 0) + 1);
    return ended;
  }

  /** Sets a new password and ends every session of the operator. */
  async resetPassword(username: string, password: string): Promise<void> {
    checkPassword(password);
    const hash = await hashPassword(password, this.ctx.random.bytes(16));
    if (!(await this.ctx.store.operators.setOperatorPassword(username, hash))) {
      if (!USERNAME_PATTERN.test(username))
        throw new AppError('validation_failed', `${JSON.stringify(username)} cannot name a new operator`);
      // The command line's way back in: an operator it makes is an admin.
      const created = await this.ctx.store.operators.createOperator({
        username,
        passwordHash: hash,
        role: 'admin',
        accounts: null,
        createdAt: this.ctx.clock.now(),
      });
      if (!created) throw new AppError('conflict', `could not set the password of ${username}`);
    }
    await this.ctx.store.operators.deleteSessions({ username });
  }

  /** A signed-in operator proves their password again (rate-limited like a sign-in). */
  async #proveOwnPassword(username: string, password: string, address: string): Promise<void> {
    await this.guard.check(username, address);
    const operator = await this.ctx.store.operators.getOperator(username);
    if (!operator || !(await verifyPassword(password, operator.passwordHash))) {
      await this.guard.failed(username, address);
      throw new AppError('forbidden', 'the current password is wrong');
    }
  }

  async #openSession(
    username: string,
    origin: { address: string; userAgent?: string | undefined },
    signedInWith: SignInMethod = 'password',
    provider: ProviderSession | null = null,
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: number }> {
    const now = this.ctx.clock.now();
    const sessionId = this.ctx.random.bytes(32).toString('base64url');
    const csrfToken = this.ctx.random.bytes(32).toString('base64url');
    const session: OperatorSessionRecord = {
      idHash: hashSecret(sessionId),
      id: this.ctx.random.bytes(16).toString('hex'),
      username,
      csrfToken,
      createdAt: now,
      expiresAt: now + this.sessionLifetimeMs,
      lastSeenAt: now,
      address: origin.address.slice(0, 64),
      userAgent: storableUserAgent(origin.userAgent),
      signedInWith,
      provider,
    };
    await this.ctx.store.operators.createSession(session);
    return { sessionId, csrfToken, expiresAt: session.expiresAt };
  }
}

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new AppError(
      'validation_failed',
      `the password must be at least ${MIN_PASSWORD_LENGTH} characters`,
    );
}
