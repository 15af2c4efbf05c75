/**
 * The error catalogue: every expected failure has a stable code, an HTTP status and a fixed public title.
 * The `detail` given at the throw site is public too (it must never carry a secret); anything else that
 * goes wrong is reported as `internal` with no detail, its cause going only to the log.
 */
export const ERROR_CATALOGUE = {
  validation_failed: { status: 400, title: 'The request is not valid' },
  reserved_namespace: { status: 400, title: 'The namespace name is reserved' },
  unauthorized: { status: 401, title: 'Authentication is required' },
  mfa_required: { status: 401, title: 'A second factor is required' },
  mfa_setup_required: { status: 403, title: 'One-time codes must be set up first' },
  forbidden: { status: 403, title: 'The credential may not do this' },
  insufficient_scope: { status: 403, title: 'The token lacks the scope this needs' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  precondition_failed: { status: 412, title: 'The resource changed since it was read' },
  precondition_required: { status: 428, title: 'An If-Match header is required' },
  document_too_large: { status: 413, title: 'document too large' },
  payload_too_large: { status: 413, title: 'The request body is too large' },
  unsupported_media_type: { status: 415, title: 'Unsupported content type' },
  rate_limited: { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'The service is unavailable' },
  internal: { status: 500, title: 'Internal server error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** An expected failure, carried to the HTTP edge and answered with its catalogue status. */
export class AppError extends Error {
  override name = 'AppError';

  constructor(
    readonly code: ErrorCode,
    /** Public, human-readable detail; never a secret. */
    readonly detail?: string,
    /** Extra public fields for the problem body (e.g. `errors` for field-level validation messages). */
    readonly extra?: Record<string, unknown>,
    /** Extra response headers (e.g. Retry-After). */
    readonly headers?: Record<string, string>,
  ) {
    super(detail ?? ERROR_CATALOGUE[code].title);
  }

  get status(): number {
    return ERROR_CATALOGUE[this.code].status;
  }
}

/**
 * The store could not answer: unreachable, shutting down, out of connections, or a statement past its time
 * limit. Answered 503 with `Retry-After`, as the caller may well succeed a moment later; the cause goes to the
 * log. Adapters decide which of their failures these are.
 */
export class StoreUnavailableError extends AppError {
  override name = 'StoreUnavailableError';

  constructor(cause: unknown) {
    super('unavailable', 'the database is not answering right now; retry shortly', undefined, {
      'retry-after': '1',
    });
    this.cause = cause;
  }
}

/** A field-level validation failure, answered as 400 with the list of fields. */
export function invalid(detail: string, errors?: { field: string; message: string }[]): AppError {
  return new AppError('validation_failed', detail, errors ? { errors } : undefined);
}
