import { collectDefaultMetrics, Registry } from 'prom-client';
import type { TrustedCa } from '../../core/auth/trusted-cas.js';
import type { ContextCacheStats } from '../../ports/context-store.js';
import type { BackupStatus } from '../../services/backups.js';
import type { PolicyLogStats } from '../../services/policy-log-writer.js';
import type { PurgeCounts } from '../../services/purge.js';
import type { App, RouteDeps } from '../types.js';

/**
 * Prometheus metrics at GET /metrics: request durations by route template and status (recorded by the
 * server's RequestLifecycle), refused credentials, the context read cache of a SQLite node, the policy log
 * and the background purges, the newest signing key's age, and the process's own (memory, event loop, GC). No label carries a credential
 * or an account id.
 */
export async function metricsRoutes(
  app: App,
  { durations, services, servedCertificate }: RouteDeps,
): Promise<void> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cache = services.ctx.store.contextCache;

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    const cacheLines = cache ? renderContextCache(cache.stats()) : '';
    const housekeeping = renderHousekeeping(services.policies.logStats(), services.purged);
    const backups = services.backups ? renderBackups(services.backups.status()) : '';
    const rate = metric(
      'orchestrator_account_rate_limited_total',
      'counter',
      'Requests refused (429) because their account was over its request rate on this node (its own, else ACCOUNT_RATE_LIMIT); the log names the accounts.',
      [['', services.accountLimits.refused]],
    );
    const issued = metric(
      'orchestrator_tokens_issued_total',
      'counter',
      "Access tokens this node issued, by how the client authenticated (method: RFC 8414's names; test_token: the web app's token for testing) and what the token is bound to (binding: none, dpop, certificate, dpop+certificate).",
      services.tokens.issuedCounts.entries(),
    );
    // The keys come from memory, or from the store after a lost bus: a store that cannot answer leaves them out,
    // never the whole scrape (which matters most during an outage).
    const signing = renderSigningKeys(await services.keyring.keys().catch(() => []));
    const ocsp = services.clients.keys.ocsp;
    const cas =
      renderClientCas(services.clients.keys.trustedCas) +
      (ocsp
        ? metric(
            'orchestrator_ocsp_answers_total',
            'counter',
            'What OCSP responders said of client certificates when asked (CLIENT_OCSP), by outcome: failed is no usable answer; no responder, a certificate that names none.',
            Object.entries(ocsp.counts).map(([outcome, count]) => [`{outcome="${outcome}"}`, count]),
          )
        : '');
    const served = servedCertificate();
    const tls = served
      ? metric(
          'orchestrator_tls_certificate_not_after_timestamp_seconds',
          'gauge',
          'When the TLS certificate this node serves HTTPS with ends (Unix time); renewed files are read on SIGHUP or within FILE_RELOAD_SECONDS.',
          [['', served.notAfter / 1000]],
        )
      : '';
    return `${durations.render()}${durations.renderRefused()}${cacheLines}${housekeeping}${backups}${rate}${issued}${signing}${cas}${tls}${await registry.metrics()}`;
  });
}

/**
 * When the newest token-signing key was made: with SIGNING_KEY_ROTATION_DAYS, `time() - this` past the period (and
 * its 10 minutes) says the scheduled rotation has stalled. Nothing before the first key.
 */
function renderSigningKeys(keys: readonly { record: { createdAt: number } }[]): string {
  if (keys.length === 0) return '';
  const newest = Math.max(...keys.map((k) => k.record.createdAt));
  return metric(
    'orchestrator_signing_key_created_timestamp_seconds',
    'gauge',
    'When the newest token-signing key was made (Unix time); it is replaced after SIGNING_KEY_ROTATION_DAYS.',
    [['', newest / 1000]],
  );
}

/**
 * The CAs of CLIENT_CA_FILE and their CRLs (CLIENT_CRL_FILE), by CA subject: `time() > next update` means every
 * certificate of that CA is refused until a later CRL is read, so alert well before. Nothing without CLIENT_CA_FILE.
 */
function renderClientCas(cas: readonly TrustedCa[]): string {
  if (cas.length === 0) return '';
  const label = (ca: TrustedCa) =>
    `{ca="${ca.subject.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))}"}`;
  const crls = cas.flatMap((ca) =>
    ca.crl ? [[label(ca), ca.crl.nextUpdate / 1000] as [string, number]] : [],
  );
  return (
    metric(
      'orchestrator_client_ca_not_after_timestamp_seconds',
      'gauge',
      'When each CA of CLIENT_CA_FILE ends (Unix time): no client certificate it issued is taken after.',
      cas.map((ca) => [label(ca), ca.notAfter / 1000]),
    ) +
    (crls.length === 0
      ? ''
      : metric(
          'orchestrator_client_crl_next_update_timestamp_seconds',
          'gauge',
          "When each CA's CRL in CLIENT_CRL_FILE is due to be replaced (its nextUpdate, Unix time): after it, that CA's certificates are refused until a later CRL is read (SIGHUP).",
          crls,
        ))
  );
}

type MetricType = 'gauge' | 'counter';

/** One metric in the Prometheus text format: its help, its type and one line per labelled value. */
function metric(name: string, type: MetricType, help: string, values: [labels: string, value: number][]) {
  const lines = values.map(([labels, value]) => `${name}${labels} ${value}\n`).join('');
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${lines}`;
}

/** What became of this node's policy log entries, and what its background purges deleted. */
function renderHousekeeping(log: PolicyLogStats, purged: PurgeCounts): string {
  return [
    metric(
      'orchestrator_policy_log_entries_total',
      'counter',
      'Policy log entries written, or dropped (queue full, or their batch failed to write).',
      [
        ['{outcome="written"}', log.written],
        ['{outcome="dropped"}', log.dropped],
      ],
    ),
    metric('orchestrator_policy_log_queued', 'gauge', 'Policy log entries waiting for their batch.', [
      ['', log.queued],
    ]),
    metric(
      'orchestrator_purged_total',
      'counter',
      'Rows deleted by the background purges: expired context documents, week-old policy log entries, audit events past AUDIT_RETENTION_DAYS, used client assertions and DPoP proofs.',
      [
        ['{what="context_documents"}', purged.contextDocuments],
        ['{what="policy_log_entries"}', purged.policyLogEntries],
        ['{what="audit_events"}', purged.auditEvents],
        ['{what="used_assertions"}', purged.usedAssertions],
      ],
    ),
  ].join('');
}

/** Scheduled backups (BACKUP_DIR): alert when the last success is older than the interval allows. */
function renderBackups(status: BackupStatus): string {
  const seconds = (ms: number | null) => (ms === null ? 0 : ms / 1000);
  return [
    metric(
      'orchestrator_backup_last_success_timestamp_seconds',
      'gauge',
      'When the newest backup began (0: none yet).',
      [['', seconds(status.lastSuccessAt)]],
    ),
    metric('orchestrator_backup_last_duration_seconds', 'gauge', 'How long the last backup took.', [
      ['', seconds(status.lastDurationMs)],
    ]),
    metric('orchestrator_backups_total', 'counter', 'Backups this node wrote, or failed to write.', [
      ['{outcome="written"}', status.written],
      ['{outcome="failed"}', status.failed],
    ]),
    ...(status.command
      ? [
          metric(
            'orchestrator_backup_command_last_success_timestamp_seconds',
            'gauge',
            'When BACKUP_COMMAND last finished well (0: never).',
            [['', seconds(status.command.lastSuccess?.at ?? null)]],
          ),
          metric('orchestrator_backup_commands_total', 'counter', 'Runs of BACKUP_COMMAND, by outcome.', [
            ['{outcome="succeeded"}', status.command.succeeded],
            ['{outcome="failed"}', status.command.failed],
          ]),
        ]
      : []),
  ].join('');
}

/** The context read cache of a SQLite node, in the Prometheus text format. */
function renderContextCache(stats: ContextCacheStats): string {
  const one = (name: string, type: MetricType, help: string, value: number) =>
    metric(name, type, help, [['', value]]);
  return [
    one(
      'orchestrator_context_cache_documents',
      'gauge',
      'Context documents held in memory.',
      stats.documents,
    ),
    one(
      'orchestrator_context_cache_chars',
      'gauge',
      'Characters counted against the cache budget (JSON, keys, a fixed overhead per document).',
      stats.chars,
    ),
    one(
      'orchestrator_context_cache_budget_chars',
      'gauge',
      'CONTEXT_CACHE_MB in characters.',
      stats.budgetChars,
    ),
    one(
      'orchestrator_context_cache_hits_total',
      'counter',
      'Context reads answered from memory.',
      stats.hits,
    ),
    one(
      'orchestrator_context_cache_misses_total',
      'counter',
      'Context reads that went to the store.',
      stats.misses,
    ),
    one(
      'orchestrator_context_cache_evictions_total',
      'counter',
      'Context documents dropped to stay within the budget.',
      stats.evictions,
    ),
  ].join('');
}
