import { useEffect, useState } from 'preact/hooks';
import type { Role } from './session.js';

export type AccountSection = 'api-authorization' | 'policies' | 'context' | 'policy-logs' | 'audit';

export type Route =
  | { name: 'sign-in' }
  | { name: 'accounts' }
  | { name: 'audit' }
  | { name: 'operator-tokens' }
  | { name: 'operators' }
  | { name: 'backups' }
  | { name: 'account'; accountId: string; section: AccountSection }
  | { name: 'policy-editor'; accountId: string; policyId: string | null }
  | { name: 'not-found' };

const SECTIONS: readonly AccountSection[] = [
  'api-authorization',
  'policies',
  'context',
  'policy-logs',
  'audit',
];
const CHANGE = 'orchestrator:navigate';

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** The page a path shows; the server answers index.html for each of these (src/http/routes/web.ts). */
export function parseRoute(pathname: string): Route {
  const parts = pathname.split('/').filter(Boolean).map(decode);
  if (parts.some((p) => p === null)) return { name: 'not-found' };
  const [first, accountId, section, policyId, ...rest] = parts as string[];
  if (first === undefined) return { name: 'accounts' };
  if (first === 'sign-in' && accountId === undefined) return { name: 'sign-in' };
  if (first === 'audit' && accountId === undefined) return { name: 'audit' };
  if (first === 'operator-tokens' && accountId === undefined) return { name: 'operator-tokens' };
  if (first === 'operators' && accountId === undefined) return { name: 'operators' };
  if (first === 'backups' && accountId === undefined) return { name: 'backups' };
  if (first !== 'accounts') return { name: 'not-found' };
  if (accountId === undefined) return { name: 'accounts' };
  if (section === undefined) return { name: 'account', accountId, section: 'api-authorization' };
  if (section === 'policies' && policyId !== undefined && rest.length === 0) {
    return { name: 'policy-editor', accountId, policyId: policyId === 'new' ? null : policyId };
  }
  if (policyId === undefined && (SECTIONS as readonly string[]).includes(section)) {
    return { name: 'account', accountId, section: section as AccountSection };
  }
  return { name: 'not-found' };
}

export function accountHref(
  accountId: string,
  section: AccountSection | string = 'api-authorization',
): string {
  return `/accounts/${encodeURIComponent(accountId)}/${section}`;
}

/** Where a link to an account leads: its secrets for an admin, its policies for a viewer. */
export function accountHome(accountId: string, role: Role): string {
  return accountHref(accountId, role === 'admin' ? 'api-authorization' : 'policies');
}

export function policyHref(accountId: string, policyId: string | null): string {
  return `${accountHref(accountId, 'policies')}/${policyId === null ? 'new' : encodeURIComponent(policyId)}`;
}

export function navigate(path: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  window.dispatchEvent(new Event(CHANGE));
}

/** The current path, updated on navigation and on the browser's back and forward. */
export function usePath(): string {
  const [path, setPath] = useState(location.pathname);
  useEffect(() => {
    const update = () => setPath(location.pathname);
    window.addEventListener('popstate', update);
    window.addEventListener(CHANGE, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(CHANGE, update);
    };
  }, []);
  return path;
}
