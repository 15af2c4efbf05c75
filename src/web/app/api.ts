import { useCallback, useEffect, useState } from 'preact/hooks';
/** One field the server refused, e.g. `conditions[0].attribute` or `body.accountId`. */
export interface FieldError {
  field: string;
  message: string;
}

/** A refusal from the admin API, carrying the RFC 9457 problem's detail, stable code and field errors. */
export class ApiError extends Error {
  override name = 'ApiError';

  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: FieldError[],
    /** Seconds from `Retry-After`, on 429. */
    readonly retryAfter: number | null,
    /** The problem's `code` (`mfa_required`, `conflict`…), when the body had one. */
    readonly code: string | null = null,
    /** The whole problem body, for the fields some refusals add (`reusableAt`, `methods`, `passkeyOptions`…). */
    readonly problem: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

/** The CSRF token of the session, repeated in `x-csrf-token` on every change. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the server says the session has ended (401 outside sign-in). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

/**
 * A call the server answered with success: when this tab sent it (its own clock), and the server's clock then at
 * the latest (its `Date` header, to the second, plus a second; null without one).
 */
export interface Answered {
  sentAt: number;
  serverTime: number | null;
}

let onAnswered: (answered: Answered) => void = () => {};

/** Called after every call the server answered with success: each one keeps the session from going idle. */
export function setAnsweredHandler(handler: (answered: Answered) => void): void {
  onAnswered = handler;
}

/** The server's clock when it answered, at the latest: `Date` says the second it was in. */
function serverTimeOf(response: Response): number | null {
  const date = Date.parse(response.headers.get('date') ?? '');
  return Number.isNaN(date) ? null : date + 1000;
}

let onSetupRequired: () => void = () => {};

/**
 * Called when the server holds a call back until a second factor is set up (403 `mfa_setup_required`, with
 * OPERATOR_TOTP=required): after this operator turned their codes off, or removed their last passkey, say.
 */
export function setSetupRequiredHandler(handler: () => void): void {
  onSetupRequired = handler;
}

async function problemOf(response: Response): Promise<ApiError> {
  let detail = response.statusText || `HTTP ${response.status}`;
  let errors: FieldError[] = [];
  let code: string | null = null;
  let problem: Record<string, unknown> = {};
  try {
    const body = (await response.json()) as { detail?: unknown; errors?: unknown; code?: unknown };
    if (typeof body === 'object' && body !== null) problem = body;
    if (typeof body.detail === 'string') detail = body.detail;
    if (Array.isArray(body.errors)) errors = body.errors as FieldError[];
    if (typeof body.code === 'string') code = body.code;
  } catch {
    // Not JSON: keep the status text.
  }
  const retry = Number(response.headers.get('retry-after'));
  return new ApiError(
    response.status,
    detail,
    errors,
    Number.isFinite(retry) && retry > 0 ? retry : null,
    code,
    problem,
  );
}

/** A response body with its entity tag, for changes that must send `If-Match`. */
export interface Tagged<T> {
  data: T;
  etag: string | null;
}

/** The sign-in calls, whose 401 refuses the sign-in rather than ends a session. */
function isSignIn(path: string): boolean {
  return path === '/api/admin/login' || path.startsWith('/api/admin/login/');
}

/** What `send` answers: the body, its entity tag and the address of the next page (`Link`, `rel="next"`), if any. */
interface Answer<T> extends Tagged<T> {
  next: string | null;
}

/**
 * The reference of `rel="next"` in a `Link` header (RFC 8288), resolved against the address that answered (`accounts?…`
 * is relative to it), as a path of this app's origin; null without one, or when it leads elsewhere.
 */
export function nextLink(header: string | null, answeredAt: string): string | null {
  if (!header) return null;
  for (const [, reference = '', parameters = ''] of header.matchAll(/<([^>]*)>([^,]*)/g)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(parameters);
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (!relations.includes('next')) continue;
    const base = new URL(answeredAt, location.href);
    const next = new URL(reference, base);
    return next.origin === base.origin ? `${next.pathname}${next.search}` : null;
  }
  return null;
}

async function send<T>(
  method: string,
  path: string,
  body?: unknown,
  extra: Record<string, string> = {},
): Promise<Answer<T>> {
  const headers: Record<string, string> = { accept: 'application/json', ...extra };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const sentAt = Date.now();
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (!response.ok) {
    const error = await problemOf(response);
    // A refused sign-in (a password, or a passkey alone at /api/admin/login/passkey) is no session that ended.
    if (response.status === 401 && !isSignIn(path)) onUnauthorized();
    if (error.code === 'mfa_setup_required') onSetupRequired();
    throw error;
  }
  onAnswered({ sentAt, serverTime: serverTimeOf(response) });
  const etag = response.headers.get('etag');
  const next = nextLink(response.headers.get('link'), response.url || path);
  if (response.status === 204) return { data: undefined as T, etag, next };
  const type = response.headers.get('content-type') ?? '';
  return {
    data: (type.includes('json') ? await response.json() : await response.text()) as T,
    etag,
    next,
  };
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return (await send<T>(method, path, body)).data;
}

export const api = {
  get: <T>(path: string) => call<T>('GET', path),
  post: <T>(path: string, body?: unknown) => call<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => call<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => call<T>('PATCH', path, body),
  delete: <T>(path: string) => call<T>('DELETE', path),
  /** The same calls, answering the body with its ETag and sending `If-Match` when given one. */
  tagged: <T>(method: string, path: string, body?: unknown, ifMatch?: string | null): Promise<Tagged<T>> =>
    send<T>(method, path, body, ifMatch ? { 'if-match': ifMatch } : {}),
  /** A page of a list: its items, and the path of the next page when the server's `Link` header names one. */
  page: async <T>(path: string): Promise<Page<T>> => {
    const { data, next } = await send<T[]>('GET', path);
    return { items: data, next };
  },
};

/** A page of a list (`api.page`): `next` is the path of the page after it, null when it is the last. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** `/api/admin/accounts/{accountId}/...`, each segment encoded. */
export function accountPath(accountId: string, ...segments: string[]): string {
  return ['/api/admin/accounts', accountId, ...segments]
    .map((s, i) => (i === 0 ? s : encodeURIComponent(s)))
    .join('/');
}

/** What a failure means to the person reading the page. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 429) {
      return `Too many attempts. Try again${error.retryAfter ? ` in ${error.retryAfter} seconds` : ' later'}.`;
    }
    return error.detail;
  }
  if (error instanceof TypeError)
    return 'The server could not be reached. Check the connection and try again.';
  return error instanceof Error ? error.message : String(error);
}

export type CopyAction =
  | 'api-key.copied'
  | 'credentials.copied'
  | 'test-token.copied'
  | 'credentials.revealed';

/** Records in the audit log that a secret was copied or revealed. */
export function recordSecretUse(accountId: string, action: CopyAction): Promise<void> {
  return api.post<void>(accountPath(accountId, 'audit-events'), { action });
}

/**
 * A change the page waits on: `busy` while it runs, `error` with what it failed with (cleared when the next one
 * starts, and by `setError` when the page closes what showed it). `run` resolves true when the change succeeded.
 * A form that says some refusals on its fields catches those within the change and throws the others, which
 * `error` says; a refusal caught so counts as done, and `run` resolves true.
 */
export function useChange() {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  async function run(change: () => Promise<void>): Promise<boolean> {
    setBusy(true);
    setError(null);
    try {
      await change();
      return true;
    } catch (failure) {
      setError(messageOf(failure));
      return false;
    } finally {
      setBusy(false);
    }
  }
  return { busy, error, setError, run };
}

/**
 * What `GET path` answers, loaded when the page opens and again on `reload()`; a failure is said in `error`, which
 * the page may also set for its own changes.
 */
export function useLoaded<T>(path: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const reload = useCallback(async () => {
    try {
      setData(await api.get<T>(path));
    } catch (failure) {
      setError(messageOf(failure));
    }
  }, [path]);
  useEffect(() => {
    void reload();
  }, [reload]);
  return { data, error, setError, reload };
}
