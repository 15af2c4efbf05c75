import { masterKeyId, seal, sealedKeyId, UnsealError, unseal } from '../core/auth/sealing.js';
import type { Random } from '../ports/random.js';
import type { SealedRef, SealedValue, SealedValueStore } from '../ports/sealed-value-store.js';
import type { ServiceContext } from './context.js';

/** The keys `unseal` may use: the current one, and during a rotation the previous one. */
export function unsealingKeys(ctx: Pick<ServiceContext, 'masterKey' | 'previousMasterKey'>): Buffer[] {
  return ctx.previousMasterKey ? [ctx.masterKey, ctx.previousMasterKey] : [ctx.masterKey];
}

/** The associated data each service binds its values with (`api-key:<acct>`, …, `signing-key:<kid>`). */
const associatedData = (value: SealedValue) => `${value.ref.kind}:${value.owner}`;

export interface ResealOptions {
  /** Values read and written per batch (default 200). */
  batchSize?: number;
  /** Full passes before giving up on values that keep changing under it (default 5). */
  maxPasses?: number;
  /** Called after each batch; a throw stops the run there (the next run resumes where it stopped). */
  afterBatch?: (progress: ResealReport) => void | Promise<void>;
}

export interface ResealReport {
  /** Id of the key every value is being moved to (as in the sealed format). */
  keyId: string;
  /** Values re-sealed by this run. */
  resealed: number;
  /** Values found already under the new key in the first pass (an earlier run, or a node that sealed them). */
  alreadyUnderNewKey: number;
  /** Values that changed between read and write; read again in the next pass. */
  conflicts: number;
  /** Values no given key opens (kind and owner only): they cannot be moved and must be regenerated. */
  unreadable: { kind: SealedRef['kind']; owner: string }[];
  /** True when a full pass found every value under the new key. */
  complete: boolean;
}

/**
 * Moves every sealed value to `target`, batch by batch. Each write is a compare-and-set on the cipher that
 * was read, so a secret regenerated meanwhile is never overwritten; values already under `target` are
 * skipped, so an interrupted run is resumed by running it again. Passes repeat until one finds nothing left
 * to move: values sealed by a node still on an older key during a pass are caught by the next.
 */
export async function resealUnderMasterKey(
  store: SealedValueStore,
  random: Random,
  keys: { target: Buffer; others: readonly Buffer[] },
  options: ResealOptions = {},
): Promise<ResealReport> {
  const batchSize = options.batchSize ?? 200;
  const report: ResealReport = {
    keyId: masterKeyId(keys.target),
    resealed: 0,
    alreadyUnderNewKey: 0,
    conflicts: 0,
    unreadable: [],
    complete: false,
  };
  const openWith = [keys.target, ...keys.others];
  for (let pass = 1; pass <= (options.maxPasses ?? 5); pass++) {
    let moved = 0;
    const unreadable: ResealReport['unreadable'] = [];
    for await (const batch of sealedBatches(store, batchSize)) {
      for (const value of batch) {
        if (sealedKeyId(value.cipher) === report.keyId) {
          if (pass === 1) report.alreadyUnderNewKey++;
          continue;
        }
        const plaintext = tryUnseal(openWith, value);
        if (plaintext === null) {
          unreadable.push({ kind: value.ref.kind, owner: value.owner });
          continue;
        }
        moved++;
        const next = seal(keys.target, random.bytes(12), plaintext, associatedData(value));
        if (await store.replaceSealed(value.ref, value.cipher, next)) report.resealed++;
        else report.conflicts++;
      }
      await options.afterBatch?.(report);
    }
    report.unreadable = unreadable;
    if (moved === 0) {
      report.complete = unreadable.length === 0;
      return report;
    }
  }
  return report;
}

function tryUnseal(keys: readonly Buffer[], value: SealedValue): string | null {
  try {
    return unseal(keys, value.cipher, associatedData(value));
  } catch (error) {
    if (error instanceof UnsealError) return null;
    throw error;
  }
}

/**
 * The sealed values none of `keys` opens (kind and owner only), read `batchSize` at a time: empty when the
 * keys open every secret the store holds.
 */
export async function unopenedSealedValues(
  store: SealedValueStore,
  keys: readonly Buffer[],
  batchSize = 200,
): Promise<{ kind: SealedRef['kind']; owner: string }[]> {
  const unopened: { kind: SealedRef['kind']; owner: string }[] = [];
  for await (const batch of sealedBatches(store, batchSize))
    for (const value of batch)
      if (tryUnseal(keys, value) === null) unopened.push({ kind: value.ref.kind, owner: value.owner });
  return unopened;
}

/** Every sealed value of the store, `batchSize` at a time, in the store's stable order (keyset paging). */
async function* sealedBatches(store: SealedValueStore, batchSize: number): AsyncGenerator<SealedValue[]> {
  let cursor: SealedRef | null = null;
  for (;;) {
    const batch = await store.listSealed(cursor, batchSize);
    yield batch;
    const last = batch.at(-1);
    if (batch.length < batchSize || !last) return;
    cursor = last.ref;
  }
}
