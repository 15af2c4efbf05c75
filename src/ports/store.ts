import type { AccountStore } from './account-store.js';
import type { AuditStore } from './audit-store.js';
import type { ContextCacheStats, ContextDocumentStore, ContextNamespaceStore } from './context-store.js';
import type { CredentialStore } from './credential-store.js';
import type { OperatorStore } from './operator-store.js';
import type { PolicyLogStore, PolicyStore } from './policy-store.js';
import type { SealedValueStore } from './sealed-value-store.js';
import type { SigningKeyStore } from './signing-key-store.js';
import type { TokenStore } from './token-store.js';

/** Everything durable. An adapter (memory, SQLite, PostgreSQL) implements all the parts over one database. */
export interface Store {
  accounts: AccountStore;
  credentials: CredentialStore;
  tokens: TokenStore;
  signingKeys: SigningKeyStore;
  /** Every value sealed under the master key, across the three stores above (for key rotation). */
  sealedValues: SealedValueStore;
  operators: OperatorStore;
  audit: AuditStore;
  contextDocuments: ContextDocumentStore;
  contextNamespaces: ContextNamespaceStore;
  policies: PolicyStore;
  policyLogs: PolicyLogStore;
  /** Present when the context documents are read through a cache in this process. */
  contextCache?: { stats(): ContextCacheStats };
  /** Reachable and usable right now (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}
