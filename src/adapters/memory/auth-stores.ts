import type {
  AccountFlag,
  AccountLimits,
  AccountPage,
  AccountRateLimit,
  AccountRecord,
  AccountStatus,
  AccountStore,
} from '../../ports/account-store.js';
import type { AuditEvent, AuditFilter, AuditStore } from '../../ports/audit-store.js';
import type {
  ApiKeyRecord,
  ClientKeyRecord,
  ClientRecord,
  CredentialStore,
} from '../../ports/credential-store.js';
import type {
  OperatorChange,
  OperatorListing,
  OperatorPasskeyRecord,
  OperatorRecord,
  OperatorSessionRecord,
  OperatorStore,
  OperatorTokenRecord,
  OperatorTotpRecord,
  SessionFilter,
} from '../../ports/operator-store.js';
import {
  SEALED_KINDS,
  type SealedKind,
  type SealedRef,
  type SealedValue,
  type SealedValueStore,
} from '../../ports/sealed-value-store.js';
import type { SigningKeyRecord, SigningKeyStore } from '../../ports/signing-key-store.js';
import type { TestTokenRecord, TokenStore } from '../../ports/token-store.js';
import { limitsOf } from '../shared/auth-rows.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryAccountStore implements AccountStore {
  readonly #accounts = new Map<string, AccountRecord>();

  async createAccount(account: Pick<AccountRecord, 'accountId' | 'createdAt'>): Promise<boolean> {
    if (this.#accounts.has(account.accountId)) return false;
    this.#accounts.set(account.accountId, {
      accountId: account.accountId,
      createdAt: account.createdAt,
      status: 'active',
      statusChangedAt: null,
      suspendedUntil: null,
      rateLimit: null,
      allowedNetworks: null,
      signedAssertionsOnly: false,
      dpopRequired: false,
      certificateRequired: false,
    });
    return true;
  }

  async getAccount(accountId: string): Promise<AccountRecord | null> {
    const found = this.#accounts.get(accountId);
    return found ? copy(found) : null;
  }

  async listAccounts({ search, after, limit }: AccountPage = {}): Promise<AccountRecord[]> {
    const needle = search?.toLowerCase();
    const found = this.#sorted(
      (a) =>
        a.status !== 'deleted' &&
        (!needle || a.accountId.toLowerCase().includes(needle)) &&
        (after === undefined || a.accountId > after),
    );
    return limit === undefined ? found : found.slice(0, limit);
  }

  async listDeletedAccounts(): Promise<AccountRecord[]> {
    return this.#sorted((a) => a.status === 'deleted');
  }

  async changeAccountStatus(
    accountId: string,
    from: AccountStatus,
    to: AccountStatus,
    at: number,
    suspendedUntil: number | null = null,
  ): Promise<boolean> {
    const found = this.#accounts.get(accountId);
    if (found?.status !== from) return false;
    if (from !== to) found.statusChangedAt = at;
    found.status = to;
    found.suspendedUntil = to === 'suspended' ? suspendedUntil : null;
    return true;
  }

  async resumeDueAccounts(now: number): Promise<string[]> {
    const due = [...this.#accounts.values()].filter(
      (a) => a.status === 'suspended' && a.suspendedUntil !== null && a.suspendedUntil <= now,
    );
    for (const account of due) {
      account.status = 'active';
      account.statusChangedAt = now;
      account.suspendedUntil = null;
    }
    return due.map((a) => a.accountId).sort();
  }

  async removeDeletedAccount(accountId: string): Promise<boolean> {
    if (this.#accounts.get(accountId)?.status !== 'deleted') return false;
    return this.#accounts.delete(accountId);
  }

  async setAccountRateLimit(accountId: string, limit: AccountRateLimit | null): Promise<boolean> {
    const found = this.#accounts.get(accountId);
    if (!found || found.status === 'deleted') return false;
    found.rateLimit = limit === null ? null : { ...limit };
    return true;
  }

  async setAccountNetworks(accountId: string, networks: string[] | null): Promise<boolean> {
    const found = this.#accounts.get(accountId);
    if (!found || found.status === 'deleted') return false;
    found.allowedNetworks = networks === null ? null : [...networks];
    return true;
  }

  async setAccountFlag(accountId: string, flag: AccountFlag, on: boolean): Promise<boolean> {
    const found = this.#accounts.get(accountId);
    if (!found || found.status === 'deleted') return false;
    found[flag] = on;
    return true;
  }

  async listAccountLimits(): Promise<AccountLimits[]> {
    return this.#sorted(
      (a) => a.status !== 'deleted' && (a.rateLimit !== null || a.allowedNetworks !== null),
    ).map(limitsOf);
  }

  #sorted(keep: (account: AccountRecord) => boolean): AccountRecord[] {
    return [...this.#accounts.values()]
      .filter(keep)
      .map(copy)
      .sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  }
}

export class MemoryCredentialStore implements CredentialStore {
  readonly #keys = new Map<string, ApiKeyRecord>();
  readonly #clients = new Map<string, ClientRecord>();
  /** By account, then kid. */
  readonly #clientKeys = new Map<string, Map<string, ClientKeyRecord>>();

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

  async replaceClient(
    next: Omit<ClientRecord, 'version' | 'lastUsedAt' | 'previous'>,
    previousUntil: number | null = null,
  ): Promise<number> {
    let version = 1;
    let previous: ClientRecord['previous'] = null;
    for (const [id, client] of this.#clients) {
      if (client.accountId !== next.accountId) continue;
      version = client.version + 1;
      if (previousUntil !== null)
        previous = {
          clientId: client.clientId,
          secretHash: client.secretHash,
          version: client.version,
          until: previousUntil,
          lastUsedAt: client.lastUsedAt,
        };
      this.#clients.delete(id);
    }
    this.#clients.set(next.clientId, { ...next, version, lastUsedAt: null, previous });
    return version;
  }

  async touchClient(clientId: string, usedAt: number): Promise<void> {
    const found = this.#clients.get(clientId);
    if (found && (found.lastUsedAt === null || found.lastUsedAt < usedAt)) found.lastUsedAt = usedAt;
    for (const client of this.#clients.values()) {
      const previous = client.previous;
      if (previous?.clientId === clientId && (previous.lastUsedAt === null || previous.lastUsedAt < usedAt))
        previous.lastUsedAt = usedAt;
    }
  }

  async touchClientKey(accountId: string, kid: string, usedAt: number): Promise<void> {
    const found = this.#clientKeys.get(accountId)?.get(kid);
    if (found && (found.lastUsedAt == null || found.lastUsedAt < usedAt)) found.lastUsedAt = usedAt;
  }

  async findClientById(clientId: string): Promise<ClientRecord | null> {
    const found =
      this.#clients.get(clientId) ??
      [...this.#clients.values()].find((client) => client.previous?.clientId === clientId);
    return found ? copy(found) : null;
  }

  async deleteAccountCredentials(accountId: string): Promise<void> {
    for (const [hash, key] of this.#keys) if (key.accountId === accountId) this.#keys.delete(hash);
    for (const [id, client] of this.#clients) if (client.accountId === accountId) this.#clients.delete(id);
    this.#clientKeys.delete(accountId);
  }

  async listClientKeys(accountId: string): Promise<ClientKeyRecord[]> {
    return [...(this.#clientKeys.get(accountId)?.values() ?? [])]
      .map(copy)
      .sort((a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0));
  }

  async addClientKey(key: ClientKeyRecord): Promise<boolean> {
    const keys = this.#clientKeys.get(key.accountId) ?? new Map<string, ClientKeyRecord>();
    if (keys.has(key.kid)) return false;
    keys.set(key.kid, { ...copy(key), lastUsedAt: key.lastUsedAt ?? null });
    this.#clientKeys.set(key.accountId, keys);
    return true;
  }

  async deleteClientKey(accountId: string, kid: string): Promise<boolean> {
    return this.#clientKeys.get(accountId)?.delete(kid) ?? false;
  }

  async findClientByAccount(accountId: string): Promise<ClientRecord | null> {
    for (const client of this.#clients.values()) if (client.accountId === accountId) return copy(client);
    return null;
  }

  /** For MemorySealedValueStore; not part of the port. */
  sealedTables(): MemorySealedTable[] {
    return [
      sealedTable(
        'api-key',
        this.#keys,
        (k) => k.keyHash,
        (k) => k.accountId,
        'keyCipher',
      ),
      sealedTable(
        'client-secret',
        this.#clients,
        (c) => c.accountId,
        (c) => c.accountId,
        'secretCipher',
      ),
    ];
  }
}

export class MemoryTokenStore implements TokenStore {
  readonly #revoked = new Map<string, { accountId: string; expiresAt: number }>();
  readonly #testTokens = new Map<string, TestTokenRecord>();
  /** Used client assertions: `[clientId, jti]` as JSON → when they expire. */
  readonly #assertions = new Map<string, number>();

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

  async deleteTestToken(accountId: string): Promise<void> {
    this.#testTokens.delete(accountId);
  }

  async getTestToken(accountId: string): Promise<TestTokenRecord | null> {
    const found = this.#testTokens.get(accountId);
    return found ? copy(found) : null;
  }

  async useClientAssertion(clientId: string, jti: string, expiresAt: number): Promise<boolean> {
    const key = JSON.stringify([clientId, jti]);
    if (this.#assertions.has(key)) return false;
    this.#assertions.set(key, expiresAt);
    return true;
  }

  async purgeUsedAssertionsBefore(now: number, limit: number): Promise<number> {
    const due = [...this.#assertions].filter(([, expiresAt]) => expiresAt < now);
    due.sort((a, b) => a[1] - b[1]);
    for (const [key] of due.slice(0, limit)) this.#assertions.delete(key);
    return Math.min(due.length, limit);
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

  /** For MemorySealedValueStore; not part of the port. */
  sealedTables(): MemorySealedTable[] {
    return [
      sealedTable(
        'test-token',
        this.#testTokens,
        (t) => t.accountId,
        (t) => t.accountId,
        'tokenCipher',
      ),
    ];
  }
}

export class MemorySigningKeyStore implements SigningKeyStore {
  readonly #keys = new Map<string, SigningKeyRecord>();

  async addSigningKey(key: SigningKeyRecord, newestKid: string | null): Promise<boolean> {
    if ((this.#sortedKeys().at(-1)?.kid ?? null) !== newestKid) return false;
    this.#keys.set(key.kid, copy(key));
    return true;
  }

  async listSigningKeys(): Promise<SigningKeyRecord[]> {
    return this.#sortedKeys().map(copy);
  }

  #sortedKeys(): SigningKeyRecord[] {
    return [...this.#keys.values()].sort(
      (a, b) => a.createdAt - b.createdAt || (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0),
    );
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

  /** For MemorySealedValueStore; not part of the port. */
  sealedTables(): MemorySealedTable[] {
    return [
      sealedTable(
        'signing-key',
        this.#keys,
        (k) => k.kid,
        (k) => k.kid,
        'privateCipher',
      ),
    ];
  }
}

/** One kind's live rows inside a memory store. */
export interface MemorySealedTable {
  kind: SealedKind;
  rows(): { key: string; owner: string; cipher: string }[];
  swap(key: string, expected: string, next: string): boolean;
}

type StringField<R> = { [K in keyof R]: R[K] extends string ? K : never }[keyof R];

function sealedTable<R>(
  kind: SealedKind,
  records: Map<string, R>,
  keyOf: (record: R) => string,
  ownerOf: (record: R) => string,
  field: StringField<R>,
): MemorySealedTable {
  const cipherOf = (record: R) => record[field] as string;
  return {
    kind,
    rows: () => [...records.values()].map((r) => ({ key: keyOf(r), owner: ownerOf(r), cipher: cipherOf(r) })),
    swap(key, expected, next) {
      const record = [...records.values()].find((r) => keyOf(r) === key);
      if (!record || cipherOf(record) !== expected) return false;
      (record as Record<StringField<R>, string>)[field] = next;
      return true;
    },
  };
}

export class MemorySealedValueStore implements SealedValueStore {
  readonly #tables: MemorySealedTable[];

  constructor(...sources: { sealedTables(): MemorySealedTable[] }[]) {
    this.#tables = sources.flatMap((source) => source.sealedTables());
  }

  async listSealed(after: SealedRef | null, limit: number): Promise<SealedValue[]> {
    const rank = (kind: SealedKind) => SEALED_KINDS.indexOf(kind);
    const values = this.#tables.flatMap((table) =>
      table.rows().map(({ key, owner, cipher }) => ({ ref: { kind: table.kind, key }, owner, cipher })),
    );
    const order = (a: SealedRef, b: SealedRef) =>
      rank(a.kind) - rank(b.kind) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
    return values
      .filter((v) => after === null || order(v.ref, after) > 0)
      .sort((a, b) => order(a.ref, b.ref))
      .slice(0, limit);
  }

  async replaceSealed(ref: SealedRef, expected: string, next: string): Promise<boolean> {
    return this.#tables.some((table) => table.kind === ref.kind && table.swap(ref.key, expected, next));
  }
}

export class MemoryOperatorStore implements OperatorStore {
  readonly #operators = new Map<string, OperatorRecord>();
  readonly #sessions = new Map<string, OperatorSessionRecord>();
  readonly #tokens = new Map<string, OperatorTokenRecord>();
  readonly #totp = new Map<string, OperatorTotpRecord>();
  /** Passkeys by id. */
  readonly #passkeys = new Map<string, OperatorPasskeyRecord>();

  /** For MemorySealedValueStore; not part of the port. */
  sealedTables(): MemorySealedTable[] {
    return [
      sealedTable(
        'operator-totp',
        this.#totp,
        (t) => t.username,
        (t) => t.username,
        'secretCipher',
      ),
    ];
  }

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

  async updateOperator(
    username: string,
    change: OperatorChange,
    ifAccounts?: string[] | null,
  ): Promise<boolean> {
    const found = this.#operators.get(username);
    if (!found || !sameAccounts(found.accounts, ifAccounts)) return false;
    if (change.role !== undefined) found.role = change.role;
    if (change.accounts !== undefined)
      found.accounts = change.accounts === null ? null : [...change.accounts];
    return true;
  }

  async removeAccountFromOperators(accountId: string): Promise<number> {
    let changed = 0;
    for (const operator of this.#operators.values()) {
      if (!operator.accounts?.includes(accountId)) continue;
      operator.accounts = operator.accounts.filter((a) => a !== accountId);
      changed++;
    }
    return changed;
  }

  async createSession(session: OperatorSessionRecord): Promise<void> {
    this.#sessions.set(session.idHash, copy(session));
  }

  async getSession(idHash: string): Promise<OperatorSessionRecord | null> {
    const found = this.#sessions.get(idHash);
    return found ? copy(found) : null;
  }

  async touchSession(idHash: string, at: number): Promise<void> {
    const session = this.#sessions.get(idHash);
    if (session && session.lastSeenAt < at) session.lastSeenAt = at;
  }

  async deleteSessions(filter: SessionFilter): Promise<number> {
    if ('idHash' in filter) return this.#sessions.delete(filter.idHash) ? 1 : 0;
    let deleted = 0;
    for (const [idHash, session] of this.#sessions) {
      if (session.username !== filter.username) continue;
      if (filter.id !== undefined && session.id !== filter.id) continue;
      if (filter.exceptIdHash !== undefined && idHash === filter.exceptIdHash) continue;
      this.#sessions.delete(idHash);
      deleted++;
    }
    return deleted;
  }

  async deleteProviderSessions(at: { subject?: string; session?: string }): Promise<string[]> {
    if (at.subject === undefined && at.session === undefined) return [];
    const usernames: string[] = [];
    for (const [idHash, { provider, username }] of this.#sessions) {
      if (provider === null) continue;
      if (at.subject !== undefined && provider.subject !== at.subject) continue;
      if (at.session !== undefined && provider.session !== at.session) continue;
      this.#sessions.delete(idHash);
      usernames.push(username);
    }
    return usernames;
  }

  async listSessions(username: string): Promise<OperatorSessionRecord[]> {
    return [...this.#sessions.values()]
      .filter((s) => s.username === username)
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  async listOperators(): Promise<OperatorListing[]> {
    return [...this.#operators.values()]
      .sort((a, b) => (a.username < b.username ? -1 : a.username > b.username ? 1 : 0))
      .map((o) => ({
        ...copy(o),
        totpEnabled: (this.#totp.get(o.username)?.enabledAt ?? null) !== null,
        passkeys: this.#passkeysOf(o.username).length,
      }));
  }

  async deleteOperator(username: string, ifAccounts?: string[] | null): Promise<boolean> {
    const found = this.#operators.get(username);
    if (!found || !sameAccounts(found.accounts, ifAccounts)) return false;
    this.#operators.delete(username);
    this.#totp.delete(username);
    await this.deletePasskeys(username);
    await this.deleteSessions({ username });
    for (const [hash, token] of this.#tokens) if (token.username === username) this.#tokens.delete(hash);
    return true;
  }

  async createOperatorToken(token: OperatorTokenRecord): Promise<void> {
    this.#tokens.set(token.tokenHash, copy(token));
  }

  async findOperatorToken(tokenHash: string): Promise<OperatorTokenRecord | null> {
    const found = this.#tokens.get(tokenHash);
    return found ? copy(found) : null;
  }

  async listOperatorTokens(): Promise<OperatorTokenRecord[]> {
    return [...this.#tokens.values()]
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1))
      .map(copy);
  }

  async deleteOperatorToken(id: string): Promise<OperatorTokenRecord | null> {
    for (const [hash, token] of this.#tokens) {
      if (token.id !== id) continue;
      this.#tokens.delete(hash);
      return copy(token);
    }
    return null;
  }

  async purgeExpiredOperatorCredentials(
    now: number,
    tokensExpiredBefore: number,
    sessionsIdleSince: number | null = null,
  ): Promise<{ sessions: number; tokens: number }> {
    let sessions = 0;
    let tokens = 0;
    const idle = sessionsIdleSince ?? Number.MIN_SAFE_INTEGER;
    for (const [id, session] of this.#sessions)
      if ((session.expiresAt <= now || session.lastSeenAt <= idle) && this.#sessions.delete(id)) sessions++;
    for (const [hash, token] of this.#tokens)
      if (token.expiresAt !== null && token.expiresAt < tokensExpiredBefore && this.#tokens.delete(hash))
        tokens++;
    return { sessions, tokens };
  }

  async touchOperatorToken(tokenHash: string, usedAt: number): Promise<void> {
    const found = this.#tokens.get(tokenHash);
    if (found && (found.lastUsedAt === null || found.lastUsedAt < usedAt)) found.lastUsedAt = usedAt;
  }

  async getTotp(username: string): Promise<OperatorTotpRecord | null> {
    const found = this.#totp.get(username);
    return found ? copy(found) : null;
  }

  async putPendingTotp(
    record: Omit<OperatorTotpRecord, 'enabledAt' | 'lastStep' | 'recoveryCodes'>,
  ): Promise<boolean> {
    if (!this.#operators.has(record.username)) return false;
    if ((this.#totp.get(record.username)?.enabledAt ?? null) !== null) return false;
    this.#totp.set(record.username, { ...copy(record), enabledAt: null, lastStep: null, recoveryCodes: [] });
    return true;
  }

  async enableTotp(username: string, step: number, at: number, recoveryCodes: string[]): Promise<boolean> {
    const found = this.#totp.get(username);
    if (!found || found.enabledAt !== null) return false;
    found.enabledAt = at;
    found.lastStep = step;
    found.recoveryCodes = [...recoveryCodes];
    return true;
  }

  async replaceRecoveryCodes(username: string, recoveryCodes: string[]): Promise<boolean> {
    const found = this.#totp.get(username);
    if (!found || found.enabledAt === null) return false;
    found.recoveryCodes = [...recoveryCodes];
    return true;
  }

  async useRecoveryCode(username: string, hash: string): Promise<number | null> {
    const found = this.#totp.get(username);
    if (!found || found.enabledAt === null || !found.recoveryCodes.includes(hash)) return null;
    found.recoveryCodes = found.recoveryCodes.filter((h) => h !== hash);
    return found.recoveryCodes.length;
  }

  async useTotpStep(username: string, step: number): Promise<boolean> {
    const found = this.#totp.get(username);
    if (!found || found.enabledAt === null || (found.lastStep !== null && found.lastStep >= step))
      return false;
    found.lastStep = step;
    return true;
  }

  async deleteTotp(username: string): Promise<boolean> {
    return this.#totp.delete(username);
  }

  async addPasskey(passkey: OperatorPasskeyRecord): Promise<boolean> {
    if (this.#passkeys.has(passkey.id) || !this.#operators.has(passkey.username)) return false;
    this.#passkeys.set(passkey.id, copy(passkey));
    return true;
  }

  async listPasskeys(username: string): Promise<OperatorPasskeyRecord[]> {
    return this.#passkeysOf(username)
      .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map(copy);
  }

  async findPasskey(id: string): Promise<OperatorPasskeyRecord | null> {
    const found = this.#passkeys.get(id);
    return found ? copy(found) : null;
  }

  async usePasskey(username: string, id: string, counter: number, usedAt: number): Promise<boolean> {
    const found = this.#passkeys.get(id);
    if (found?.username !== username || (counter !== 0 && counter <= found.counter)) return false;
    found.counter = counter;
    found.lastUsedAt = usedAt;
    return true;
  }

  async deletePasskey(username: string, id: string): Promise<boolean> {
    return this.#passkeys.get(id)?.username === username && this.#passkeys.delete(id);
  }

  async deletePasskeys(username: string): Promise<number> {
    const theirs = this.#passkeysOf(username);
    for (const passkey of theirs) this.#passkeys.delete(passkey.id);
    return theirs.length;
  }

  #passkeysOf(username: string): OperatorPasskeyRecord[] {
    return [...this.#passkeys.values()].filter((p) => p.username === username);
  }
}

export class MemoryAuditStore implements AuditStore {
  readonly #events: AuditEvent[] = [];

  async appendAudit(event: AuditEvent): Promise<void> {
    this.#events.push(copy(event));
  }

  async listAudit(filter: AuditFilter): Promise<AuditEvent[]> {
    const { operator, accounts, before, beforeId } = filter;
    // Newest first; events of the same millisecond in the reverse order they were appended.
    const listed = [...this.#events].reverse().sort((a, b) => b.at - a.at);
    const after = listed.findIndex((e) => e.id === beforeId && e.at === before);
    return listed
      .filter((e, index) => before === undefined || e.at < before || (after >= 0 && index > after))
      .filter((e) => filter.accountId === undefined || e.accountId === filter.accountId)
      .filter((e) => operator === undefined || e.actor === operator || e.detail.username === operator)
      .filter((e) => accounts === undefined || e.accountId === null || accounts.includes(e.accountId))
      .slice(0, filter.limit)
      .map(copy);
  }

  async purgeAuditBefore(cutoff: number, limit: number): Promise<number> {
    const due = this.#events
      .map((event, index) => ({ event, index }))
      .filter(({ event }) => event.at < cutoff)
      .sort((a, b) => a.event.at - b.event.at)
      .slice(0, limit)
      .map(({ index }) => index)
      .sort((a, b) => b - a);
    for (const index of due) this.#events.splice(index, 1);
    return due.length;
  }
}

/** Whether an operator's accounts are still `expected` (undefined: whatever they are). */
function sameAccounts(accounts: string[] | null, expected: string[] | null | undefined): boolean {
  return expected === undefined || JSON.stringify(accounts) === JSON.stringify(expected);
}
