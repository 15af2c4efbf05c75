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
  /** Present when the store can write a consistent copy of itself while it serves (SQLite). */
  backup?: StoreBackup;
  /** Reachable and usable right now (for /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** One file of a backup: its name in the backup's folder, its size and its SHA-256 (hex). */
export interface BackupFile {
  name: string;
  bytes: number;
  sha256: string;
}

/** Writes consistent copies of a store's files while the store goes on serving. */
export interface StoreBackup {
  /**
   * Writes a copy of each of the store's files into `folder` (which exists and holds none of them), each
   * one readable by this user only and checked readable before it resolves; `policyLogs: false` leaves
   * the policy log out. Aborting `signal` stops the copy, rejects, and leaves the files half-written for
   * the caller to remove.
   */
  writeCopy(folder: string, options: { policyLogs: boolean; signal?: AbortSignal }): Promise<BackupFile[]>;
}
