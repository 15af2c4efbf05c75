/**
 * Admin routes about the caller alone (their session, password, one-time codes and API tokens) and the accounts
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
];

/** Every admin route of the OpenAPI document but sign-in, as `METHOD /path` with the path's `{params}`. */
export function adminRoutes(spec: { paths: Record<string, Record<string, unknown>> }) {
  return Object.entries(spec.paths)
    .filter(([path]) => path.startsWith('/api/admin/') && path !== '/api/admin/login')
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
