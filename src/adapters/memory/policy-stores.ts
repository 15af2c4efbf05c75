import type { JsonValue } from '../../core/json.js';
import type { Policy } from '../../core/policy/types.js';
import {
  type CompareAndSet,
  POLICY_HISTORY_BYTES,
  POLICY_HISTORY_LENGTH,
  type PolicyChange,
  type PolicyLogEntry,
  type PolicyLogSearch,
  type PolicyLogStore,
  type PolicyOutline,
  type PolicySet,
  type PolicyStore,
  type PolicyVersion,
  type PolicyVersionSummary,
} from '../../ports/policy-store.js';

const copy = <T>(value: T): T => structuredClone(value);

export class MemoryPolicyStore implements PolicyStore {
  readonly #sets = new Map<string, PolicySet>();
  /** Each account's history, oldest first, each list with its size as JSON. */
  readonly #history = new Map<string, SizedVersion[]>();

  async getPolicySet(accountId: string): Promise<PolicySet> {
    return copy(this.#sets.get(accountId) ?? { policies: [], customAttributes: {}, version: 0 });
  }

  async savePolicies(
    accountId: string,
    policies: Policy[],
    expectedVersion: number,
    change?: PolicyChange,
  ): Promise<CompareAndSet> {
    const saved = this.#save(accountId, expectedVersion, (set) => {
      set.policies = copy(policies);
    });
    if (saved.ok && change) {
      const history = this.#history.get(accountId) ?? [];
      const bytes = Buffer.byteLength(JSON.stringify(policies));
      history.push({
        ...change,
        version: saved.version,
        count: policies.length,
        policies: copy(policies),
        bytes,
      });
      this.#history.set(accountId, newestWithin(history));
    }
    return saved;
  }

  async listPolicyVersions(accountId: string): Promise<PolicyVersionSummary[]> {
    return (this.#history.get(accountId) ?? [])
      .map(({ policies: _, bytes: __, ...summary }) => summary)
      .reverse();
  }

  async getPolicyVersion(accountId: string, version: number): Promise<PolicyVersion | null> {
    const found = this.#history.get(accountId)?.find((v) => v.version === version);
    if (!found) return null;
    const { bytes: _, ...kept } = found;
    return copy(kept);
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

  async deletePolicySet(accountId: string): Promise<void> {
    this.#sets.delete(accountId);
    this.#history.delete(accountId);
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

/** Binary order, as the SQL stores compare ids (`localeCompare` would not agree with them). */
const byNewest = (a: PolicyLogEntry, b: PolicyLogEntry): number =>
  b.at - a.at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);

export class MemoryPolicyLogStore implements PolicyLogStore {
  #entries: PolicyLogEntry[] = [];
  readonly #ids = new Set<string>();
  readonly #outlines = new Map<string, { outline: PolicyOutline; seenAt: number }>();

  async saveOutline(outline: PolicyOutline, now: number): Promise<void> {
    const key = `${outline.accountId}\u0000${outline.id}`;
    const stored = this.#outlines.get(key);
    if (stored) stored.seenAt = Math.max(stored.seenAt, now);
    else this.#outlines.set(key, { outline: copy(outline), seenAt: now });
  }

  async getOutlines(accountId: string, ids: string[]): Promise<PolicyOutline[]> {
    const found: PolicyOutline[] = [];
    for (const id of new Set(ids)) {
      const stored = this.#outlines.get(`${accountId}\u0000${id}`);
      if (stored) found.push(copy(stored.outline));
    }
    return found;
  }

  async appendPolicyLogs(entries: PolicyLogEntry[]): Promise<void> {
    const fresh = new Set<string>();
    for (const { id } of entries) {
      // As a primary key would: a repeated id refuses the whole batch.
      if (this.#ids.has(id) || fresh.has(id)) throw new Error(`duplicate policy log id ${id}`);
      fresh.add(id);
    }
    for (const id of fresh) this.#ids.add(id);
    this.#entries.push(...entries.map(copy));
  }

  async searchPolicyLogs(filter: PolicyLogSearch): Promise<PolicyLogEntry[]> {
    return this.#entries
      .filter(
        (e) =>
          e.accountId === filter.accountId &&
          e.at >= filter.since &&
          (filter.conversationId === undefined || e.conversationId === filter.conversationId),
      )
      .sort(byNewest)
      .slice(0, filter.limit)
      .map(copy);
  }

  async purgePolicyLogsBefore(cutoff: number, limit: number): Promise<number> {
    const due = new Set(
      this.#entries
        .filter((e) => e.at < cutoff)
        .sort((a, b) => a.at - b.at)
        .slice(0, Math.max(0, limit)),
    );
    this.#entries = this.#entries.filter((e) => !due.has(e) || !this.#ids.delete(e.id));
    return due.size;
  }

  async purgePolicyOutlinesBefore(cutoff: number): Promise<number> {
    const used = new Set(this.#entries.map((e) => `${e.accountId}\u0000${e.outlineId}`));
    let deleted = 0;
    for (const [key, stored] of this.#outlines) {
      if (stored.seenAt < cutoff && !used.has(key)) {
        this.#outlines.delete(key);
        deleted++;
      }
    }
    return deleted;
  }
}

type SizedVersion = PolicyVersion & { bytes: number };

/** The newest lists of a history (oldest first) within POLICY_HISTORY_LENGTH and POLICY_HISTORY_BYTES; the newest always. */
function newestWithin(history: SizedVersion[]): SizedVersion[] {
  let bytes = 0;
  let from = history.length;
  while (from > 0 && history.length - from < POLICY_HISTORY_LENGTH) {
    bytes += (history[from - 1] as SizedVersion).bytes;
    if (from < history.length && bytes > POLICY_HISTORY_BYTES) break;
    from--;
  }
  return history.slice(from);
}
