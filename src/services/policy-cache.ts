import { createHash } from 'node:crypto';
import { BoundedMap } from '../core/bounded-map.js';
import { checkNamespace } from '../core/context/rules.js';
import type { JsonValue } from '../core/json.js';
import { type CompiledPolicy, collectAttributes, compilePolicies } from '../core/policy/index.js';
import type { PolicyOutline, PolicySet } from '../ports/policy-store.js';
import type { ServiceContext } from './context.js';
import type { ContextReads } from './policy-attributes.js';

/** An account's policies ready to evaluate: parsed, compiled, and what evaluating them will read. */
export interface CompiledPolicySet {
  accountId: string;
  version: number;
  compiled: CompiledPolicy[];
  customAttributes: Record<string, JsonValue>;
  /** What enabled policies read from the CCS: `orchestrator.intent` gives {orchestrator: [intent]}. */
  context: ContextReads;
  /** The ordered ids and names, as the policy log keeps them. */
  outline: PolicyOutline;
}

/** Attribute sources that are not CCS namespaces. */
const NOT_CONTEXT = new Set(['conversation', 'custom']);

/**
 * The CCS reads a list of attribute names needs: each namespace with the property names read in it.
 * Reserved namespaces (`sde`, ...) can hold no data and are left out.
 */
export function contextReads(attributes: string[]): ContextReads {
  const reads: ContextReads = new Map();
  for (const name of attributes) {
    const dot = name.indexOf('.');
    const namespace = name.slice(0, dot);
    if (NOT_CONTEXT.has(namespace) || checkNamespace(namespace) !== 'ok') continue;
    const properties = reads.get(namespace) ?? [];
    properties.push(name.slice(dot + 1));
    reads.set(namespace, properties);
  }
  return reads;
}

/** Compiles a stored set; `policies` may be a draft that was never saved (dry run). */
export function compilePolicySet(accountId: string, set: PolicySet): CompiledPolicySet {
  const compiled = compilePolicies(set.policies);
  const entries = compiled.map((c) => ({ policyId: c.id, name: c.name }));
  const id = createHash('sha256').update(JSON.stringify(entries)).digest('base64url').slice(0, 32);
  return {
    accountId,
    version: set.version,
    compiled,
    customAttributes: set.customAttributes,
    context: contextReads(collectAttributes(compiled)),
    outline: { id, accountId, policies: entries },
  };
}

/**
 * Compiled policy sets by account, so a next-action call neither reads nor parses the policy list.
 * Every change is published on the bus (`policies`, account id) and drops the entry on every node; a
 * `reset` drops them all, and while the bus is unhealthy the cache is bypassed.
 */
export class PolicyCache {
  readonly #sets = new BoundedMap<string, CompiledPolicySet>(1000);
  readonly #loading = new Map<string, Promise<CompiledPolicySet>>();
  /** Bumped by every invalidation: a load that started before one must not fill the cache. */
  #generation = 0;

  constructor(private readonly ctx: ServiceContext) {
    ctx.bus.subscribe((event) => {
      if (event.type === 'reset') this.clear();
      else if (event.topic === 'policies') this.invalidate(event.key);
    });
  }

  /** The account's compiled set: at once (no promise) when it is cached. */
  get(accountId: string): CompiledPolicySet | Promise<CompiledPolicySet> {
    if (!this.ctx.bus.healthy()) return this.#load(accountId);
    const cached = this.#sets.get(accountId);
    if (cached) return cached;
    const pending = this.#loading.get(accountId);
    if (pending) return pending;
    // One load per account at a time, however many requests wait for it.
    const loading = this.#fill(accountId).finally(() => {
      if (this.#loading.get(accountId) === loading) this.#loading.delete(accountId);
    });
    this.#loading.set(accountId, loading);
    return loading;
  }

  invalidate(accountId: string): void {
    this.#generation++;
    this.#sets.delete(accountId);
    this.#loading.delete(accountId);
  }

  clear(): void {
    this.#generation++;
    this.#sets.clear();
    this.#loading.clear();
  }

  async #fill(accountId: string): Promise<CompiledPolicySet> {
    const generation = this.#generation;
    const set = await this.#load(accountId);
    if (generation === this.#generation && this.ctx.bus.healthy()) this.#sets.set(accountId, set);
    return set;
  }

  async #load(accountId: string): Promise<CompiledPolicySet> {
    return compilePolicySet(accountId, await this.ctx.store.policies.getPolicySet(accountId));
  }
}
