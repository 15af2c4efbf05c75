/**
 * Admin routes about the caller alone (their session, password, one-time codes, passkeys and API tokens) and the accounts
 * list, which answers only what the caller may see: open to every operator, whatever their role or accounts.
 */
export const OWN_ROUTES: readonly string[] = [
  'POST /api/admin/logout',
  'GET /api/admin/session',
  'GET /api/admin/accounts',
  'POST /api/admin/password',
  'GET /api/admin/operator-tokens',
  'POST /api/admin/operator-tokens',
  'DELETE /api/admin/operator-tokens/{id}',
  'GET /api/admin/totp',
  'POST /api/admin/totp/setup',
  'POST /api/admin/totp/enable',
  'POST /api/admin/totp/disable',
  'POST /api/admin/totp/recovery-codes',
  'GET /api/admin/passkeys',
  'POST /api/admin/passkeys/options',
  'POST /api/admin/passkeys',
  'POST /api/admin/passkeys/{id}/remove',
  'GET /api/admin/sessions',
  'DELETE /api/admin/sessions/{id}',
  'DELETE /api/admin/sessions',
];

/**
 * Operator routes open to every operator, whatever their accounts, that act only on the operators the caller
 * manages (an operator limited to some accounts: those limited to some of theirs). The role still applies.
 */
export const MANAGED_ROUTES: readonly string[] = [
  'GET /api/admin/operators',
  'POST /api/admin/operators',
  'PATCH /api/admin/operators/{username}',
  'DELETE /api/admin/operators/{username}',
  'DELETE /api/admin/operators/{username}/sessions',
  'DELETE /api/admin/operators/{username}/totp',
  'DELETE /api/admin/operators/{username}/passkeys',
];

/**
 * Whether a sweep of the admin routes should not call `key` as `how`: it would end the very sessions the sweep
 * goes on with (sign-out from the session; ending every other session, which from an API token is every one).
 * Those have tests of their own.
 */
export function endsSweepSessions(key: string, how: 'token' | 'session'): boolean {
  return (key === 'POST /api/admin/logout' && how === 'session') || key === 'DELETE /api/admin/sessions';
}

/**
 * Admin routes anyone may call: the sign-in (with a passkey alone too: the passkey's answer is the credential), and
 * single sign-on's (whose callback checks the provider's answer, and whose back-channel logout its signature).
 */
export const PUBLIC_ADMIN_PATHS: readonly string[] = [
  '/api/admin/login',
  '/api/admin/login/passkey/options',
  '/api/admin/login/passkey',
  '/api/admin/sso',
  '/api/admin/sso/start',
  '/api/admin/sso/callback',
  '/api/admin/sso/back-channel-logout',
];

/** Every admin route of the OpenAPI document but the public ones, as `METHOD /path` with the path's `{params}`. */
export function adminRoutes(spec: { paths: Record<string, Record<string, unknown>> }) {
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith('/api/admin/') && !PUBLIC_ADMIN_PATHS.includes(path))
    .flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => ({
        key: `${method.toUpperCase()} ${path}`,
        method: method.toUpperCase() as 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
        path,
        /** The path with `accountId` for its account, a token-like id for `{id}`, and `x1` for the rest. */
        url: (accountId: string) =>
          path
            .replace('{accountId}', accountId)
            .replace('{id}', 'f'.repeat(32))
            .replace(/\{[^}]+\}/g, 'x1'),
      })),
    );
}
