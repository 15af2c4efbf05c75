import { newRecoveryCodes, recoveryCodeHash } from '../core/auth/recovery-codes.js';
import { seal, unseal } from '../core/auth/sealing.js';
import { newTotpSecret, totpStep, totpUri } from '../core/auth/totp.js';
import { AppError } from '../core/errors.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';

const aad = (username: string) => `operator-totp:${username}`;
const hashes = (codes: string[]) => codes.map((code) => recoveryCodeHash(code) as string);

/** What an operator's second factor looks like from outside. */
export interface TotpStatus {
  enabled: boolean;
  /** A secret was set up and waits for its first code. */
  pending: boolean;
  /** Recovery codes not used yet (0 when off). */
  recoveryCodesLeft: number;
}

/**
 * Operators' one-time codes (RFC 6238): set up (a pending secret, shown once), turned on by a first code,
 * asked at every sign-in after, each code accepted once. The secret is sealed under the master key. Turning
 * them on gives ten recovery codes (shown once, kept as hashes), each good for one sign-in without the app.
 */
export class OperatorTotp {
  constructor(private readonly ctx: ServiceContext) {}

  async status(username: string): Promise<TotpStatus> {
    const record = await this.ctx.store.operators.getTotp(username);
    const enabled = record?.enabledAt != null;
    return {
      enabled,
      pending: record !== null && record.enabledAt === null,
      recoveryCodesLeft: enabled ? (record?.recoveryCodes.length ?? 0) : 0,
    };
  }

  async enabled(username: string): Promise<boolean> {
    return (await this.status(username)).enabled;
  }

  /** A new pending secret (replacing a pending one), with the URI for an authenticator app. */
  async start(username: string): Promise<{ secret: string; uri: string }> {
    const secret = newTotpSecret(this.ctx.random.bytes(20));
    const stored = await this.ctx.store.operators.putPendingTotp({
      username,
      secretCipher: seal(this.ctx.masterKey, this.ctx.random.bytes(12), secret, aad(username)),
      createdAt: this.ctx.clock.now(),
    });
    if (!stored)
      throw new AppError(
        'conflict',
        'one-time codes are on already; turn them off first to set up another app',
      );
    const host = URL.canParse(this.ctx.settings.issuer) ? new URL(this.ctx.settings.issuer).host : '';
    return { secret, uri: totpUri(secret, username, `Conversation Orchestrator${host ? ` (${host})` : ''}`) };
  }

  /** Turns the pending secret on with a first code from the app; answers its recovery codes (this once). */
  async enable(username: string, code: string): Promise<string[]> {
    const record = await this.ctx.store.operators.getTotp(username);
    if (!record || record.enabledAt !== null)
      throw new AppError(
        'conflict',
        record ? 'one-time codes are on already' : 'set up one-time codes first',
      );
    const now = this.ctx.clock.now();
    const step = totpStep(this.#secret(username, record.secretCipher), code, now);
    if (step === null)
      throw new AppError('validation_failed', 'the code does not match: check the app and try again');
    const recoveryCodes = newRecoveryCodes((n) => this.ctx.random.bytes(n));
    if (!(await this.ctx.store.operators.enableTotp(username, step, now, hashes(recoveryCodes))))
      throw new AppError('conflict', 'one-time codes were turned on or reset meanwhile');
    return recoveryCodes;
  }

  /** New recovery codes in place of the old ones (which stop working), answered this once. */
  async replaceRecoveryCodes(username: string): Promise<string[]> {
    const recoveryCodes = newRecoveryCodes((n) => this.ctx.random.bytes(n));
    if (!(await this.ctx.store.operators.replaceRecoveryCodes(username, hashes(recoveryCodes))))
      throw new AppError('conflict', 'one-time codes are not on');
    return recoveryCodes;
  }

  /** Uses a recovery code once: how many are left, or null when it is not one of the operator's. */
  async acceptRecoveryCode(username: string, code: string): Promise<number | null> {
    const hash = recoveryCodeHash(code);
    return hash === null ? null : this.ctx.store.operators.useRecoveryCode(username, hash);
  }

  /** Whether `code` is the operator's current code, accepting each code once (a replay is refused). */
  async accept(username: string, code: string): Promise<boolean> {
    const record = await this.ctx.store.operators.getTotp(username);
    if (!record || record.enabledAt === null) return false;
    const step = totpStep(this.#secret(username, record.secretCipher), code, this.ctx.clock.now());
    return step !== null && (await this.ctx.store.operators.useTotpStep(username, step));
  }

  /** Removes the operator's secret, on or pending; false when there was none. */
  remove(username: string): Promise<boolean> {
    return this.ctx.store.operators.deleteTotp(username);
  }

  #secret(username: string, cipher: string): string {
    return unseal(unsealingKeys(this.ctx), cipher, aad(username));
  }
}
