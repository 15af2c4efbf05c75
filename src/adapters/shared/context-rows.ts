import { parseProperties } from '../../core/context/properties.js';
import type { ContextDocument, NamespaceRecord, SessionTtlRecord } from '../../ports/context-store.js';
import { num, numOrNull, type Row } from './auth-rows.js';

/** Row mappers shared by the SQLite and PostgreSQL context stores, whose tables have the same columns. */
export const documentFromRow = (row: Row): ContextDocument => ({
  key: {
    accountId: String(row.account_id),
    namespace: String(row.namespace),
    sessionId: String(row.session_id),
  },
  properties: parseProperties(String(row.properties)),
  createdAt: num(row.created_at),
  updatedAt: num(row.updated_at),
  expiresAt: numOrNull(row.expires_at),
});

export const namespaceFromRow = (row: Row): NamespaceRecord => ({
  accountId: String(row.account_id),
  name: String(row.name),
  createdAt: num(row.created_at),
  ttlSeconds: numOrNull(row.ttl_seconds),
});

export const sessionTtlFromRow = (row: Row): SessionTtlRecord => ({
  accountId: String(row.account_id),
  namespace: String(row.namespace),
  sessionId: String(row.session_id),
  createdAt: num(row.created_at),
  ttlSeconds: num(row.ttl_seconds),
});
