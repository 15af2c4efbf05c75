import {
  type AuthenticationResponseJSON,
  browserSupportsWebAuthn,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from '@simplewebauthn/browser';
import { api } from './api.js';

/** One of the signed-in operator's passkeys, as `GET /api/admin/passkeys` lists them. */
export interface Passkey {
  id: string;
  /** The operator's label for it, such as "Work laptop". */
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** What `GET /api/admin/passkeys` answers. */
export interface PasskeyList {
  /** False when the server cannot hold passkeys (its ISSUER is an IP address); `reason` says why. */
  available: boolean;
  reason: string | null;
  passkeys: Passkey[];
}

/** Whether this browser has WebAuthn, which passkeys need. */
export const passkeysSupported = browserSupportsWebAuthn();

/** Said wherever a passkey is asked for in a browser without WebAuthn. */
export const NO_PASSKEYS_HERE = 'This browser cannot use passkeys: use another browser, or another way.';

/** A browser prompt for a passkey that ended without one; the message says why, in words for the page. */
export class PasskeyPromptFailed extends Error {
  override name = 'PasskeyPromptFailed';
}

/**
 * What a failed `navigator.credentials` call means. The browser answers NotAllowedError alike for a prompt closed,
 * timed out or that found no passkey: WebAuthn keeps them apart from the page on purpose (its privacy
 * considerations, "Authentication Ceremony Privacy"), so that a page cannot learn which passkeys a device holds.
 */
function promptFailure(failure: unknown, adding: boolean): PasskeyPromptFailed {
  const name = failure instanceof Error ? failure.name : '';
  if (!passkeysSupported) return new PasskeyPromptFailed(NO_PASSKEYS_HERE);
  if (name === 'NotAllowedError' || name === 'AbortError') {
    return new PasskeyPromptFailed(
      adding
        ? "No passkey was made: the browser's prompt was closed or timed out. Try again."
        : "No passkey was used: the browser's prompt was closed, timed out or found none of yours. Try again, or use another way.",
    );
  }
  if (name === 'InvalidStateError') {
    return new PasskeyPromptFailed(
      'This device already holds one of your passkeys for this server: use that one, or add one on another device.',
    );
  }
  if (name === 'SecurityError') {
    return new PasskeyPromptFailed(
      'The browser refused passkeys at this address: open the web app at the address the server is set up with (ISSUER).',
    );
  }
  const said = failure instanceof Error ? failure.message : String(failure);
  return new PasskeyPromptFailed(`The browser could not ${adding ? 'make' : 'use'} the passkey: ${said}`);
}

/**
 * Adds a passkey: the server's options, which it gives only for the right password (so a wrong one is refused
 * before the browser makes anything), the browser's prompt, then the answer with the name. A prompt that fails
 * rejects with {@link PasskeyPromptFailed}; a refusal, with ApiError.
 */
export async function addPasskey(name: string, currentPassword: string): Promise<Passkey> {
  const { options } = await api.post<{ options: PublicKeyCredentialCreationOptionsJSON }>(
    '/api/admin/passkeys/options',
    { currentPassword },
  );
  let response: Awaited<ReturnType<typeof startRegistration>>;
  try {
    response = await startRegistration({ optionsJSON: options });
  } catch (failure) {
    throw promptFailure(failure, true);
  }
  return api.post<Passkey>('/api/admin/passkeys', { name, response });
}

/** The browser's prompt for one of the operator's passkeys, for a sign-in; fails with {@link PasskeyPromptFailed}. */
export async function promptForPasskey(
  options: PublicKeyCredentialRequestOptionsJSON,
): Promise<AuthenticationResponseJSON> {
  try {
    return await startAuthentication({ optionsJSON: options });
  } catch (failure) {
    throw promptFailure(failure, false);
  }
}

/** How many passkeys, in words. */
export function passkeysInWords(count: number): string {
  return count === 1 ? '1 passkey' : `${count} passkeys`;
}
