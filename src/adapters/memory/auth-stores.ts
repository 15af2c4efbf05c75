import type { AccountRecord, AccountStore } from '../../ports/account-store.js';
import type { AuditEvent, AuditStore } from '../../ports/audit-store.js';
import type { ApiKeyRecord, ClientRecord, CredentialStore } from '../../ports/credential-store.js';
import type {
  OperatorRecord,
  OperatorSessionRecord,
  OperatorStore,
  OperatorTokenRecord,
} from '../../ports/operator-store.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import type { TestTokenRecord, TokenStore } from '../../ports/token-store.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, AccountRecord>();

  async createAccount(account: AccountRecord): Promise<boolean> {
    if (this.#accounts.has(account.accountId)) return false;
    this.#accounts.set(account.accountId, copy(account));
    return true;
  }

  async getAccount(accountId: string): Promise<AccountRecord | null> {
    const found = this.#accounts.get(accountId);
    return found ? copy(found) : null;
  }

  async listAccounts(): Promise<AccountRecord[]> {
    return [...this.#accounts.values()].map(copy).sort((a, b) => a.accountId.localeCompare(b.accountId));
  }
}

export class MemoryCredentialStore implements CredentialStore {
  readonly #keys = new Map<string, ApiKeyRecord>();
  readonly #clients = new Map<string, ClientRecord>();

  async replaceApiKey(
    next: Pick<ApiKeyRecord, 'accountId' | 'keyHash' | 'keyCipher' | 'createdAt'>,
    graceUntil: number | null,
  ): Promise<void> {
    for (const [hash, key] of this.#keys) {
      if (key.accountId !== next.accountId) continue;
      if (graceUntil === null) this.#keys.delete(hash);
      else key.expiresAt = key.expiresAt === null ? graceUntil : Math.min(key.expiresAt, graceUntil);
    }
    this.#keys.set(next.keyHash, { ...next, expiresAt: null, lastUsedAt: null });
  }

  async findApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    const found = this.#keys.get(keyHash);
    return found ? copy(found) : null;
  }

  async listApiKeys(accountId: string): Promise<ApiKeyRecord[]> {
    return [...this.#keys.values()]
      .filter((k) => k.accountId === accountId)
      .map(copy)
      .sort((a, b) => b.createdAt - a.createdAt);
  }

  async touchApiKey(keyHash: string, usedAt: number): Promise<void> {
    const found = this.#keys.get(keyHash);
    if (found && (found.lastUsedAt === null || found.lastUsedAt < usedAt)) found.lastUsedAt = usedAt;
  }

  async replaceClient(next: Omit<ClientRecord, 'version'>): Promise<number> {
    let version = 1;
    for (const [id, client] of this.#clients) {
      if (client.accountId !== next.accountId) continue;
      version = client.version + 1;
      this.#clients.delete(id);
    }
    this.#clients.set(next.clientId, { ...next, version });
    return version;
  }

  async findClientById(clientId: string): Promise<ClientRecord | null> {
    const found = this.#clients.get(clientId);
    return found ? copy(found) : null;
  }

  async findClientByAccount(accountId: string): Promise<ClientRecord | null> {
    for (const client of this.#clients.values()) if (client.accountId === accountId) return copy(client);
    return null;
  }
}

export class MemoryTokenStore implements TokenStore {
  readonly #revoked = new Map<string, { accountId: string; expiresAt: number }>();
  readonly #testTokens = new Map<string, TestTokenRecord>();

  async revokeToken(jti: string, accountId: string, expiresAt: number): Promise<void> {
    this.#revoked.set(jti, { accountId, expiresAt });
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.#revoked.has(jti);
  }

  async replaceTestToken(next: TestTokenRecord): Promise<TestTokenRecord | null> {
    const previous = this.#testTokens.get(next.accountId) ?? null;
    this.#testTokens.set(next.accountId, copy(next));
    return previous;
  }

  async getTestToken(accountId: string): Promise<TestTokenRecord | null> {
    const found = this.#testTokens.get(accountId);
    return found ? copy(found) : null;
  }

  async purgeExpiredTokens(now: number): Promise<number> {
    let purged = 0;
    for (const [jti, entry] of this.#revoked) {
      if (entry.expiresAt < now) {
        this.#revoked.delete(jti);
        purged++;
      }
    }
    for (const [accountId, token] of this.#testTokens) {
      if (token.expiresAt < now) {
        this.#testTokens.delete(accountId);
        purged++;
      }
    }
    return purged;
  }
}

export class MemorySigningKeyStore implements SigningKeyStore {
  readonly #keys = new Map<string, SigningKeyRecord>();

  async addSigningKey(key: SigningKeyRecord): Promise<void> {
    this.#keys.set(key.kid, copy(key));
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return [...this.#keys.values()].map(copy).sort((a, b) => a.createdAt - b.createdAt);
  }

  async retireSigningKey(kid: string, retiredAt: number, removeAfter: number): Promise<void> {
    const key = this.#keys.get(kid);
    if (key && key.retiredAt === null) Object.assign(key, { retiredAt, removeAfter });
  }

  async deleteSigningKeysRemovedBefore(now: number): Promise<number> {
    let deleted = 0;
    for (const [kid, key] of this.#keys) {
      if (key.removeAfter !== null && key.removeAfter < now) {
        this.#keys.delete(kid);
        deleted++;
      }
    }
    return deleted;
  }
}

export class MemoryOperatorStore implements OperatorStore {
  readonly #operators = new Map<string, OperatorRecord>();
  readonly #sessions = new Map<string, OperatorSessionRecord>();
  readonly #tokens = new Map<string, OperatorTokenRecord>();

  async createOperator(operator: OperatorRecord): Promise<boolean> {
    if (this.#operators.has(operator.username)) return false;
    this.#operators.set(operator.username, copy(operator));
    return true;
  }

  async getOperator(username: string): Promise<OperatorRecord | null> {
    const found = this.#operators.get(username);
    return found ? copy(found) : null;
  }

  async setOperatorPassword(username: string, passwordHash: string): Promise<boolean> {
    const found = this.#operators.get(username);
    if (!found) return false;
    found.passwordHash = passwordHash;
    return true;
  }

  async createSession(session: OperatorSessionRecord): Promise<void> {
    this.#sessions.set(session.idHash, copy(session));
  }

  async getSession(idHash: string): Promise<OperatorSessionRecord | null> {
    const found = this.#sessions.get(idHash);
    return found ? copy(found) : null;
  }

  async deleteSessions(filter: { idHash: string } | { username: string }): Promise<number> {
    if ('idHash' in filter) return this.#sessions.delete(filter.idHash) ? 1 : 0;
    let deleted = 0;
    for (const [id, session] of this.#sessions) {
      if (session.username === filter.username) {
        this.#sessions.delete(id);
        deleted++;
      }
    }
    return deleted;
  }

  async createOperatorToken(token: OperatorTokenRecord): Promise<void> {
    this.#tokens.set(token.tokenHash, copy(token));
  }

  async findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null> {
    const found = this.#tokens.get(tokenHash);
    return found ? copy(found) : null;
  }
}

export class MemoryAuditStore implements AuditStore {
  readonly #events: AuditEvent[] = [];

  async appendAudit(event: AuditEvent): Promise<void> {
    this.#events.push(copy(event));
  }

  async listAudit(filter: { accountId?: string; before?: number; limit: number }): Promise<AuditEvent[]> {
    // Newest first; events of the same millisecond in the reverse order they were appended.
    return [...this.#events]
      .reverse()
      .filter((e) => filter.accountId === undefined || e.accountId === filter.accountId)
      .filter((e) => filter.before === undefined || e.at < filter.before)
      .sort((a, b) => b.at - a.at)
      .slice(0, filter.limit)
      .map(copy);
  }
}
