export const SCOPES = [
  'context:read',
  'context:write',
  'next-actions',
  'policies:read',
  'policies:write',
] as const;
export type Scope = (typeof SCOPES)[number];

/** Granted when a client asks for no scope: everything but changing policies. */
export const DEFAULT_SCOPES: Scope[] = ['context:read', 'context:write', 'next-actions', 'policies:read'];

export const isScope = (value: string): value is Scope => (SCOPES as readonly string[]).includes(value);

/**
 * Parses a requested `scope` parameter (RFC 6749 §3.3: space-delimited, order irrelevant).
 * Returns the scopes to grant, or the first unknown one.
 */
export function parseScopeParameter(
  scope: string | undefined,
): { ok: true; scopes: Scope[] } | { ok: false; unknown: string } {
  if (scope === undefined || scope.trim() === '') return { ok: true, scopes: [...DEFAULT_SCOPES] };
  const granted = new Set<Scope>();
  for (const part of scope.split(' ')) {
    if (part === '') continue;
    if (!isScope(part)) return { ok: false, unknown: part };
    granted.add(part);
  }
  return { ok: true, scopes: SCOPES.filter((s) => granted.has(s)) };
}
