/** What the API Authorization page shows (`GET /api/admin/accounts/{acct}/api-authorization`). */
export interface Authorization {
  testToken: { token: string; expiresAt: string } | null;
  credentials: { userId: string; password: string } | null;
  apiKey: {
    key: string;
    createdAt: string;
    lastUsedAt: string | null;
    previous: { createdAt: string; expiresAt: string; lastUsedAt: string | null }[];
  } | null;
  loginUrl: string;
  tokenUrl: string;
}
