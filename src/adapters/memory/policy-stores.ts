import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import type {
  CompareAndSet,
  PolicyLogEntry,
  PolicyLogStore,
  PolicySet,
  PolicyStore,
} from '../../ports/policy-store.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryPolicyStore implements PolicyStore {
  readonly #sets = new Map<string, PolicySet>();

  async getPolicySet(accountId: string): Promise<PolicySet> {
    return copy(this.#sets.get(accountId) ?? { policies: [], customAttributes: {}, version: 0 });
  }

  async savePolicies(accountId: string, policies: Policy[], expectedVersion: number): Promise<CompareAndSet> {
    return this.#save(accountId, expectedVersion, (set) => {
      set.policies = copy(policies);
    });
  }

  async saveCustomAttributes(
    accountId: string,
    attributes: Record<string, JsonValue>,
    expectedVersion: number,
  ): Promise<CompareAndSet> {
    return this.#save(accountId, expectedVersion, (set) => {
      set.customAttributes = copy(attributes);
    });
  }

  #save(accountId: string, expectedVersion: number, change: (set: PolicySet) => void): CompareAndSet {
    const set = this.#sets.get(accountId) ?? { policies: [], customAttributes: {}, version: 0 };
    if (set.version !== expectedVersion) return { ok: false, version: set.version };
    change(set);
    set.version++;
    this.#sets.set(accountId, set);
    return { ok: true, version: set.version };
  }
}

export class MemoryPolicyLogStore implements PolicyLogStore {
  readonly #entries: PolicyLogEntry[] = [];

  async appendPolicyLog(entry: PolicyLogEntry): Promise<void> {
    this.#entries.push(copy(entry));
  }

  async searchPolicyLogs(filter: {
    accountId: string;
    conversationId?: string;
    since: number;
    limit: number;
  }): Promise<PolicyLogEntry[]> {
    return this.#entries
      .filter(
        (e) =>
          e.accountId === filter.accountId &&
          e.at >= filter.since &&
          (filter.conversationId === undefined || e.conversationId === filter.conversationId),
      )
      .sort((a, b) => b.at - a.at || b.id.localeCompare(a.id))
      .slice(0, filter.limit)
      .map(copy);
  }

  async purgePolicyLogsBefore(cutoff: number): Promise<number> {
    const before = this.#entries.length;
    const kept = this.#entries.filter((e) => e.at >= cutoff);
    this.#entries.splice(0, this.#entries.length, ...kept);
    return before - kept.length;
  }
}
