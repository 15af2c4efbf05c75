/**
 * Whether operators may sign in with single sign-on here (OPERATOR_SSO_*), and with a password too, as
 * `GET /api/admin/sso` says.
 */
export interface SsoSetup {
  enabled: boolean;
  /** OPERATOR_SSO_NAME, the words of "Sign in with …"; null when not set up. */
  name: string | null;
  /** false: operators sign in through single sign-on alone (OPERATOR_PASSWORD_SIGN_IN=false). */
  passwordSignIn: boolean;
  /** true: operators may sign in with a passkey alone (passkeys can be used here, and passwords sign in). */
  passkeySignIn: boolean;
  /** true: a sign-in through the provider sets the operator's role and accounts from their groups (OPERATOR_SSO_GROUPS). */
  rolesFromGroups: boolean;
}

/** Where the browser goes to sign in with single sign-on: a top-level navigation, which leaves for the provider. */
export const SSO_START = '/api/admin/sso/start';

const SSO_ERROR = 'sso_error';

/**
 * What each `?sso_error=` code the server sends the browser back with means to the person signing in (a Map: the
 * code comes from the address, and may be any word).
 */
const SSO_ERRORS = new Map([
  [
    'expired',
    'Your single sign-on took more than 10 minutes, or began in another browser: start it again from this page.',
  ],
  [
    'refused',
    'The sign-in provider did not sign you in (the sign-in was cancelled or refused, or its answer could not be checked): try again.',
  ],
  [
    'no_username',
    'The sign-in provider did not say your username, so the server cannot tell which operator you are: ask an admin to check the single sign-on settings.',
  ],
  [
    'no_role',
    'You are in none of the groups at the sign-in provider that may sign in here: ask an admin to add you to one.',
  ],
  [
    'unknown_operator',
    'No operator here has your username at the sign-in provider: an admin must first add an operator with the same username as at the provider.',
  ],
]);

/**
 * A code in words; one this app does not know gets a general sentence. Where passwords sign in too, the sentences
 * that leave nothing to do but wait point to the password form.
 */
export function ssoErrorInWords(code: string, passwordSignIn: boolean): string {
  const orPassword = passwordSignIn ? ', or sign in with your password' : '';
  if (code === 'unavailable')
    return `Single sign-on is not available right now (the server could not reach the sign-in provider): try again later${orPassword}.`;
  return SSO_ERRORS.get(code) ?? `Single sign-on did not sign you in: try again${orPassword}.`;
}

/**
 * The `?sso_error=` code the page was opened with (a single sign-on that did not sign anyone in), or null; it is
 * taken off the address at once, so that a reload or a bookmark does not say it again.
 */
export function takeSsoError(): string | null {
  const url = new URL(location.href);
  const code = url.searchParams.get(SSO_ERROR);
  if (code === null) return null;
  url.searchParams.delete(SSO_ERROR);
  history.replaceState(history.state, '', `${url.pathname}${url.search}${url.hash}`);
  return code;
}
