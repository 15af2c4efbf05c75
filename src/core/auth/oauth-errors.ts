/** RFC 6749 §5.2 error codes (plus RFC 7009 / RFC 6750 ones we answer). */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'unsupported_token_type'
  | 'server_error'
  | 'temporarily_unavailable'
  /** RFC 9449 §5: the DPoP proof of a token request is not valid. */
  | 'invalid_dpop_proof'
  /** RFC 9449 §8: the proof must carry the nonce the `DPoP-Nonce` header gives. */
  | 'use_dpop_nonce';

const STATUS: Record<OAuthErrorCode, number> = {
  invalid_request: 400,
  invalid_client: 401,
  invalid_grant: 400,
  unauthorized_client: 400,
  unsupported_grant_type: 400,
  invalid_scope: 400,
  unsupported_token_type: 400,
  server_error: 500,
  temporarily_unavailable: 503,
  invalid_dpop_proof: 400,
  use_dpop_nonce: 400,
};

/** An OAuth endpoint's expected failure: a code and a public description, answered as RFC 6749 §5.2 JSON. */
export class OAuthError extends Error {
  override name = 'OAuthError';

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    readonly headers: Record<string, string> = {},
    readonly statusOverride?: number,
  ) {
    super(description);
  }

  get status(): number {
    return this.statusOverride ?? STATUS[this.error];
  }
}

/** RFC 6749 §5.2: a failed client authentication by Basic answers 401 with a Basic challenge. */
export function invalidClient(why?: string): OAuthError {
  return new OAuthError(
    'invalid_client',
    why ? `client authentication failed: ${why}` : 'client authentication failed',
    {
      'www-authenticate': 'Basic realm="conversation-orchestrator", charset="UTF-8"',
    },
  );
}
