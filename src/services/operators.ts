import { hashPassword, verifyPassword } from '../core/auth/password.js';
import { formatSecret, hashSecret, OPERATOR_TOKEN_PREFIX } from '../core/auth/secrets.js';
import { AppError } from '../core/errors.js';
import type { OperatorSessionRecord } from '../ports/operator-store.js';
import type { ServiceContext } from './context.js';
import type { LoginGuard } from './login-guard.js';

export const SESSION_TTL_MS = 8 * 3_600_000;
export const ADMIN_USERNAME = 'admin';
/** Compared against for an unknown operator, so both failures cost one scrypt. */
const DUMMY_PASSWORD_HASH =
  'scrypt$32768$8$1$c2FsdHNhbHRzYWx0c2FsdA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export interface OperatorIdentity {
  username: string;
  /** Present for browser sessions: the token every change must repeat in `x-csrf-token`. */
  csrfToken: string | null;
  via: 'session' | 'token';
}

/** Operators: people who sign in to the web app and the admin API. */
export class OperatorService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly guard: LoginGuard,
  ) {}

  /** On an empty store, creates `admin`; returns the password when it was generated here. */
  async bootstrap(
    configuredPassword: string | undefined,
  ): Promise<{ created: boolean; generatedPassword: string | null }> {
    if (await this.ctx.store.operators.getOperator(ADMIN_USERNAME))
      return { created: false, generatedPassword: null };
    const generated = configuredPassword ? null : this.ctx.random.bytes(18).toString('base64url');
    const password = configuredPassword ?? (generated as string);
    const created = await this.ctx.store.operators.createOperator({
      username: ADMIN_USERNAME,
      passwordHash: await hashPassword(password, this.ctx.random.bytes(16)),
      createdAt: this.ctx.clock.now(),
    });
    return { created, generatedPassword: created ? generated : null };
  }

  /** Checks a password (rate-limited) and opens a session; returns the session id and its CSRF token. */
  async signIn(
    username: string,
    password: string,
    address: string,
  ): Promise<{ sessionId: string; csrfToken: string; expiresAt: number }> {
    await this.guard.check(username, address);
    const operator = username.length <= 64 ? await this.ctx.store.operators.getOperator(username) : null;
    const ok = await verifyPassword(password, operator?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!operator || !ok) {
      await this.guard.failed(username, address);
      throw new AppError('unauthorized', 'wrong username or password');
    }
    const now = this.ctx.clock.now();
    const sessionId = this.ctx.random.bytes(32).toString('base64url');
    const csrfToken = this.ctx.random.bytes(32).toString('base64url');
    const session: OperatorSessionRecord = {
      idHash: hashSecret(sessionId),
      username,
      csrfToken,
      createdAt: now,
      expiresAt: now + SESSION_TTL_MS,
    };
    await this.ctx.store.operators.createSession(session);
    return { sessionId, csrfToken, expiresAt: session.expiresAt };
  }

  async fromSession(sessionId: string): Promise<OperatorIdentity | null> {
    if (sessionId.length !== 43) return null;
    const session = await this.ctx.store.operators.getSession(hashSecret(sessionId));
    if (!session) return null;
    if (session.expiresAt <= this.ctx.clock.now()) {
      await this.ctx.store.operators.deleteSessions({ idHash: session.idHash });
      return null;
    }
    return { username: session.username, csrfToken: session.csrfToken, via: 'session' };
  }

  async fromToken(token: string): Promise<OperatorIdentity | null> {
    if (!token.startsWith(OPERATOR_TOKEN_PREFIX) || token.length > 128) return null;
    const record = await this.ctx.store.operators.findOperatorToken(hashSecret(token));
    return record ? { username: record.username, csrfToken: null, via: 'token' } : null;
  }

  async signOut(sessionId: string): Promise<void> {
    await this.ctx.store.operators.deleteSessions({ idHash: hashSecret(sessionId) });
  }

  async createApiToken(username: string, name: string): Promise<string> {
    const token = formatSecret(OPERATOR_TOKEN_PREFIX, this.ctx.random.bytes(32));
    await this.ctx.store.operators.createOperatorToken({
      tokenHash: hashSecret(token),
      username,
      name,
      createdAt: this.ctx.clock.now(),
    });
    return token;
  }

  /** Sets a new password and ends every session of the operator. */
  async resetPassword(username: string, password: string): Promise<void> {
    if (password.length < 12)
      throw new AppError('validation_failed', 'the password must be at least 12 characters');
    const hash = await hashPassword(password, this.ctx.random.bytes(16));
    if (!(await this.ctx.store.operators.setOperatorPassword(username, hash))) {
      const created = await this.ctx.store.operators.createOperator({
        username,
        passwordHash: hash,
        createdAt: this.ctx.clock.now(),
      });
      if (!created) throw new AppError('conflict', `could not set the password of ${username}`);
    }
    await this.ctx.store.operators.deleteSessions({ username });
  }
}
