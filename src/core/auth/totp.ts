import { Secret, TOTP } from 'otpauth';

/** RFC 6238 as authenticator apps use it: HMAC-SHA-1, 6 digits, 30-second steps. */
const PERIOD_SECONDS = 30;
const DIGITS = 6;
/** A code of the step before or after the server's counts too: clocks drift, and typing takes time. */
const WINDOW = 1;

export const TOTP_CODE_PATTERN = '^[0-9]{6}$';
const TOTP_CODE = new RegExp(TOTP_CODE_PATTERN);

function totp(secretBase32: string, label = 'operator', issuer = 'Conversation Orchestrator'): TOTP {
  return new TOTP({
    issuer,
    label,
    algorithm: 'SHA1',
    digits: DIGITS,
    period: PERIOD_SECONDS,
    secret: Secret.fromBase32(secretBase32),
  });
}

/** A new secret (160 bits, as RFC 4226 recommends) from `random`, in the base32 form apps take. */
export function newTotpSecret(random: Buffer): string {
  if (random.length < 20) throw new TypeError('a TOTP secret needs at least 20 random bytes');
  return new Secret({ buffer: Uint8Array.from(random).buffer }).base32;
}

/** The `otpauth://totp/…` URI an authenticator app reads (as a QR code or pasted). */
export function totpUri(secretBase32: string, label: string, issuer: string): string {
  return totp(secretBase32, label, issuer).toString();
}

/** The code for time `at` (ms); for tests and tools. */
export function totpCode(secretBase32: string, at: number): string {
  return totp(secretBase32).generate({ timestamp: at });
}

/**
 * The time step whose code `code` is, within one step of `now` (ms), or null. The comparison is constant-time
 * (otpauth compares with a timing-safe equality); the caller accepts each step once.
 */
export function totpStep(secretBase32: string, code: string, now: number): number | null {
  if (!TOTP_CODE.test(code)) return null;
  const delta = totp(secretBase32).validate({ token: code, timestamp: now, window: WINDOW });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD_SECONDS) + delta;
}
