/** What the API Authorization page shows (`GET /api/admin/accounts/{acct}/api-authorization`). */
export interface Authorization {
  testToken: { token: string; expiresAt: string } | null;
  /** `lastUsedAt`: when the client last authenticated, to the minute; null: not since these credentials were made. */
  credentials: { userId: string; password: string; lastUsedAt: string | null } | null;
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
