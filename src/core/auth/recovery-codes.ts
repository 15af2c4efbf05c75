import { hashSecret } from './secrets.js';

/** How many recovery codes an operator gets at a time. */
export const RECOVERY_CODE_COUNT = 10;
/** Letters and digits that cannot be taken for one another when read back from paper (no 0/o, 1/l/i). */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
/** 16 characters of 31: 79 bits each, so that their SHA-256 hashes, if stolen, cannot be searched through. */
const LENGTH = 16;

/** What a typed recovery code may look like: its 16 characters, in any case, with spaces or dashes. */
export const RECOVERY_CODE_PATTERN = '^[A-Za-z0-9 -]{16,40}$';

/** `count` new codes from `random` (rejection sampling: every character equally likely), as `abcd-efgh-jkmn-pqrs`. */
export function newRecoveryCodes(random: (n: number) => Buffer, count = RECOVERY_CODE_COUNT): string[] {
  const codes: string[] = [];
  while (codes.length < count) {
    let code = '';
    while (code.length < LENGTH) {
      for (const byte of random(LENGTH)) {
        // 248 = 8 × 31: bytes from 248 up would favour the first letters.
        if (byte < 248 && code.length < LENGTH) code += ALPHABET[byte % ALPHABET.length];
      }
    }
    codes.push(code.match(/.{4}/g)?.join('-') ?? code);
  }
  return codes;
}

/** The form a code is hashed in: lower case, without spaces or dashes; null when it cannot be one. */
export function normalRecoveryCode(typed: string): string | null {
  const code = typed.toLowerCase().replace(/[\s-]/g, '');
  if (code.length !== LENGTH) return null;
  for (const c of code) if (!ALPHABET.includes(c)) return null;
  return code;
}

/** The stored form of a code (SHA-256, hex); null when `typed` cannot be a code. */
export function recoveryCodeHash(typed: string): string | null {
  const code = normalRecoveryCode(typed);
  return code === null ? null : hashSecret(`recovery-code:${code}`);
}
