import type { X509Certificate } from 'node:crypto';
import type { TrustedCa } from '../core/auth/trusted-cas.js';
import { BoundedMap } from '../core/bounded-map.js';
import { LogThrottle } from '../core/log-throttle.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';

/** CLIENT_OCSP: `prefer` takes a certificate when its responder cannot be asked; `require` does not. */
export type OcspMode = 'prefer' | 'require';

/** The certificate-checking module, loaded when CLIENT_OCSP is on (ASN.1 parsing is not for every start). */
let loaded: Promise<typeof import('../core/auth/ocsp.js')> | undefined;
const ocspModule = () => {
  loaded ??= import('../core/auth/ocsp.js');
  return loaded;
};

/** A responder that does not answer in this long is not waited for. */
export const OCSP_TIMEOUT_MS = 3_000;
/** An answer larger than this is not read. */
const MAX_ANSWER_BYTES = 64 * 1024;
/** A good answer is asked again after this at the latest (sooner when the responder says so): revocations show. */
export const GOOD_KEPT_MS = 60 * 60_000;
/** No usable answer (or `unknown`): the responder is asked again after this, not at each request. */
export const FAILURE_KEPT_MS = 60_000;

/** What a responder said, as kept: null a certificate taken; a string, why it is not; and until when. */
interface Verdict {
  refusal: string | null;
  outcome: 'good' | 'revoked' | 'unknown' | 'failed' | 'no responder';
  until: number;
}

/** Asks a responder by HTTP POST (RFC 6960 Appendix A.1), reading at most 64 KB of its answer. */
async function askByHttp(url: string, request: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/ocsp-request', accept: 'application/ocsp-response' },
    body: request,
    signal,
    redirect: 'error',
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the responder answered HTTP ${response.status}`);
  }
  // Read as it comes, and no further than the limit (a responder need not say its length).
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel();
      throw new Error('the answer is too large');
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

/**
 * CLIENT_OCSP: asks the OCSP responder a trusted CA's certificate names (RFC 6960) whether it still vouches for
 * it, when a client authenticates with it (`tls_client_auth`), beside the CA's CRL. Answers are kept (a good one
 * an hour at most, or to the responder's nextUpdate if sooner; a revocation, or a certificate naming no responder,
 * until the certificate's end; none or `unknown` a minute), so
 * a responder is asked once per certificate and hour, not per request; one question at a time per certificate.
 * Verified: the CA's own signature or that of a responder certificate the CA issued for it, about this very
 * certificate, current. `prefer`: only a verified `revoked` refuses; `require`: only a verified `good` takes.
 */
export class OcspChecker {
  readonly #verdicts = new BoundedMap<string, Verdict>(10_000);
  /**
   * Revocations learnt, kept apart until the certificate's own end: never pushed out by other answers, nor replaced
   * by a later failure to ask (a revocation is for good).
   */
  readonly #revoked = new BoundedMap<string, { refusal: string; until: number }>(100_000);
  readonly #asking = new Map<string, Promise<Verdict>>();
  readonly #quiet: LogThrottle;
  readonly counts: Record<Verdict['outcome'], number> = {
    good: 0,
    revoked: 0,
    unknown: 0,
    failed: 0,
    'no responder': 0,
  };

  constructor(
    private readonly deps: { clock: Clock; log: Logger },
    readonly mode: OcspMode,
  ) {
    this.#quiet = new LogThrottle(10 * 60_000, () => deps.clock.now());
  }

  /** Why `leaf`, issued by `ca`, is not to be taken now (null: it is), asking its responder when no answer is kept. */
  async refusal(leaf: X509Certificate, ca: TrustedCa, serial: string): Promise<string | null> {
    const key = `${ca.thumbprint} ${serial}`;
    const now = this.deps.clock.now();
    const revoked = this.#revoked.get(key, now);
    if (revoked !== undefined && revoked.until > now) return revoked.refusal;
    const kept = this.#verdicts.get(key, now);
    if (kept !== undefined && kept.until > now) return kept.refusal;
    let asking = this.#asking.get(key);
    if (!asking) {
      asking = this.#decide(leaf, ca).finally(() => this.#asking.delete(key));
      this.#asking.set(key, asking);
    }
    const verdict = await asking;
    if (verdict.outcome === 'revoked' && verdict.refusal !== null)
      this.#revoked.set(key, { refusal: verdict.refusal, until: verdict.until }, this.deps.clock.now());
    else this.#verdicts.set(key, verdict, this.deps.clock.now());
    return verdict.refusal;
  }

  /** Whether a responder said the certificate was revoked (for tokens bound to it: no question asked). */
  knownRevoked(ca: string, serial: string): boolean {
    const now = this.deps.clock.now();
    return (this.#revoked.get(`${ca} ${serial}`, now)?.until ?? 0) > now;
  }

  async #decide(leaf: X509Certificate, ca: TrustedCa): Promise<Verdict> {
    const ocsp = await ocspModule();
    const now = this.deps.clock.now();
    const url = ocsp.ocspResponderOf(leaf);
    if (url === null) {
      this.counts['no responder']++;
      return {
        outcome: 'no responder',
        refusal: this.mode === 'require' ? 'it names no OCSP responder (CLIENT_OCSP=require)' : null,
        until: leafEnd(leaf),
      };
    }
    try {
      const der = await askByHttp(
        url,
        ocsp.ocspRequest(leaf, ca.certificate),
        AbortSignal.timeout(OCSP_TIMEOUT_MS),
      );
      const answer = ocsp.readOcspResponse(der, leaf, ca.certificate, this.deps.clock.now());
      this.counts[answer.status]++;
      if (answer.status === 'revoked') {
        const on = new Date(answer.revokedAt ?? answer.thisUpdate).toISOString();
        return {
          outcome: 'revoked',
          refusal: `its CA's OCSP responder says it was revoked on ${on}`,
          until: leafEnd(leaf),
        };
      }
      if (answer.status === 'good') {
        const due = answer.nextUpdate ?? answer.thisUpdate + ocsp.UNDATED_ANSWER_MS;
        return {
          outcome: 'good',
          refusal: null,
          until: Math.min(now + GOOD_KEPT_MS, Math.max(due, now + FAILURE_KEPT_MS)),
        };
      }
      return this.#unsure(
        'unknown',
        url,
        'its CA\'s OCSP responder does not know it (status "unknown")',
        now,
      );
    } catch (error) {
      this.counts.failed++;
      const why =
        error instanceof Error && error.name === 'TimeoutError'
          ? `did not answer within ${OCSP_TIMEOUT_MS / 1000} s`
          : `gave no usable answer: ${error instanceof Error ? error.message : String(error)}`;
      return this.#unsure('failed', url, `its CA's OCSP responder ${why}`, now);
    }
  }

  /** No answer to rely on: refused under `require`, taken (and said in the log, now and then) under `prefer`. */
  #unsure(outcome: 'unknown' | 'failed', url: string, reason: string, now: number): Verdict {
    if (this.mode === 'prefer') {
      const heldBack = this.#quiet.admit();
      if (heldBack !== null)
        this.deps.log.warn(
          { responder: url, heldBack },
          `a client certificate was taken without OCSP (CLIENT_OCSP=prefer): ${reason}`,
        );
    }
    return { outcome, refusal: this.mode === 'require' ? reason : null, until: now + FAILURE_KEPT_MS };
  }
}

/** When a certificate ends (ms): after it, no question about it is asked again anyway. */
function leafEnd(leaf: X509Certificate): number {
  const end = Date.parse(leaf.validTo);
  return Number.isNaN(end) ? Number.MAX_SAFE_INTEGER : end;
}
