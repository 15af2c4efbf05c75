import type { Store } from '../../ports/store.js';
import {
  MemoryAccountStore,
  MemoryAuditStore,
  MemoryCredentialStore,
  MemoryOperatorStore,
  MemorySealedValueStore,
  MemorySigningKeyStore,
  MemoryTokenStore,
} from './auth-stores.js';
import { MemoryContextStore } from './context-store.js';
import { MemoryPolicyLogStore, MemoryPolicyStore } from './policy-stores.js';

/** Everything in this process's memory: for tests and for trying things out; nothing survives a restart. */
export function createMemoryStore(): Store {
  const context = new MemoryContextStore();
  const credentials = new MemoryCredentialStore();
  const tokens = new MemoryTokenStore();
  const signingKeys = new MemorySigningKeyStore();
  const operators = new MemoryOperatorStore();
  return {
    accounts: new MemoryAccountStore(),
    credentials,
    tokens,
    signingKeys,
    sealedValues: new MemorySealedValueStore(credentials, tokens, signingKeys, operators),
    operators,
    audit: new MemoryAuditStore(),
    contextDocuments: context,
    contextNamespaces: context,
    policies: new MemoryPolicyStore(),
    policyLogs: new MemoryPolicyLogStore(),
    ping: async () => true,
    close: async () => {},
  };
}
