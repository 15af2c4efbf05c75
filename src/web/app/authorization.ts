/** What the API Authorization page shows (`GET /api/admin/accounts/{acct}/api-authorization`). */
export interface Authorization {
  testToken: { token: string; expiresAt: string } | null;
  /**
   * `lastUsedAt`: when the client last authenticated, to the minute; null: not since these credentials were made.
   * `previous`: the user ID these replaced, while it and its password still work (a regeneration with a grace period):
   * until `expiresAt`, with its last use (to the minute; null: never); its password is not kept. Null: none.
   */
  credentials: {
    userId: string;
    password: string;
    lastUsedAt: string | null;
    previous: { userId: string; expiresAt: string; lastUsedAt: string | null } | null;
  } | null;
  apiKey: {
    key: string;
    createdAt: string;
    lastUsedAt: string | null;
    previous: { createdAt: string; expiresAt: string; lastUsedAt: string | null }[];
  } | null;
  loginUrl: string;
  tokenUrl: string;
  /** MTLS_BASE_URL: where clients that present a certificate call (its `/oauth/token`); null: ISSUER. */
  mtlsBaseUrl: string | null;
}
