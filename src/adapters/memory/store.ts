import type { Store } from '../../ports/store.js';
import {
  MemoryAccountStore,
  MemoryAuditStore,
  MemoryCredentialStore,
  MemoryOperatorStore,
  MemorySigningKeyStore,
  MemoryTokenStore,
} from './auth-stores.js';
import { MemoryContextStore } from './context-store.js';
import { MemoryPolicyLogStore, MemoryPolicyStore } from './policy-stores.js';

/** Everything in this process's memory: for tests and for trying things out; nothing survives a restart. */
export function createMemoryStore(): Store {
  const context = new MemoryContextStore();
  return {
    accounts: new MemoryAccountStore(),
    credentials: new MemoryCredentialStore(),
    tokens: new MemoryTokenStore(),
    signingKeys: new MemorySigningKeyStore(),
    operators: new MemoryOperatorStore(),
    audit: new MemoryAuditStore(),
    contextDocuments: context,
    contextNamespaces: context,
    policies: new MemoryPolicyStore(),
    policyLogs: new MemoryPolicyLogStore(),
    ping: async () => true,
    close: async () => {},
  };
}
