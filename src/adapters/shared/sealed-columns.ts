import {
  SEALED_KINDS,
  type SealedKind,
  type SealedRef,
  type SealedValue,
} from '../../ports/sealed-value-store.js';

/** Where each kind of sealed value lives in the SQL schema (the same in SQLite and PostgreSQL). */
export const SEALED_COLUMNS: Record<
  SealedKind,
  { table: string; key: string; owner: string; cipher: string }
> = {
  'api-key': { table: 'api_keys', key: 'key_hash', owner: 'account_id', cipher: 'key_cipher' },
  'client-secret': { table: 'clients', key: 'account_id', owner: 'account_id', cipher: 'secret_cipher' },
  'test-token': { table: 'test_tokens', key: 'account_id', owner: 'account_id', cipher: 'token_cipher' },
  'signing-key': { table: 'signing_keys', key: 'kid', owner: 'kid', cipher: 'private_cipher' },
  'operator-totp': { table: 'operator_totp', key: 'username', owner: 'username', cipher: 'secret_cipher' },
};

export interface SealedRow {
  key: string;
  owner: string;
  cipher: string;
}

/**
 * Keyset paging over the sealed kinds' tables one after another: each page of one table reads its key index from
 * the cursor on, so a rotation over many accounts costs one indexed range read per batch.
 */
export async function listSealedAcross(
  after: SealedRef | null,
  limit: number,
  page: (kind: SealedKind, afterKey: string | null, limit: number) => SealedRow[] | Promise<SealedRow[]>,
): Promise<SealedValue[]> {
  const out: SealedValue[] = [];
  const start = after ? SEALED_KINDS.indexOf(after.kind) : 0;
  for (const kind of SEALED_KINDS.slice(start)) {
    if (out.length >= limit) break;
    const afterKey = after && kind === after.kind ? after.key : null;
    for (const row of await page(kind, afterKey, limit - out.length)) {
      out.push({ ref: { kind, key: row.key }, owner: row.owner, cipher: row.cipher });
    }
  }
  return out;
}
