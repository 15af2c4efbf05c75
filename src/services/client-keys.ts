import { createHash, createPublicKey } from 'node:crypto';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  errors as JoseErrors,
  type JWK,
  type JWTPayload,
  type JWTVerifyOptions,
  jwtVerify,
} from 'jose';
import {
  type ClientCertificate,
  certificateValidity,
  parseDerCertificate,
} from '../core/auth/certificate.js';
import type { CertificateNames } from '../core/auth/certificate-names.js';
import { checkPublicJwk } from '../core/auth/jwk.js';
import type { SubjectBinding } from '../core/auth/jwt.js';
import {
  type CheckedTlsSubject,
  checkTlsSubject,
  subjectMatches,
  TLS_SUBJECT_MEMBERS,
  type TlsSubject,
} from '../core/auth/tls-subject.js';
import { issuingCa, revocationOf, serialNumberOf, type TrustedCa } from '../core/auth/trusted-cas.js';
import { BoundedMap } from '../core/bounded-map.js';
import { AppError } from '../core/errors.js';
import type { AccountRecord } from '../ports/account-store.js';
import type { ClientKeyRecord } from '../ports/credential-store.js';
import { CACHE_MAX_AGE_MS } from './api-keys.js';
import type { ServiceContext } from './context.js';
import { OcspChecker } from './ocsp.js';
import { UseRecorder } from './use-recorder.js';

/** RFC 7523 §2.2: the `client_assertion_type` of a JWT that authenticates a client. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** RFC 7523bis: the `typ` of a client assertion that follows its audience rule (the issuer alone). */
export const CLIENT_ASSERTION_TYP = 'client-authentication+jwt';
/**
 * Signature algorithms an assertion may use (RFC 8414 `token_endpoint_auth_signing_alg_values_supported`); `Ed25519`
 * is RFC 9864's name for EdDSA with that curve, which libraries (oauth4webapi) now write.
 */
export const ASSERTION_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519'] as const;
/** Keys an account may have at once: two during a rotation, with room for one per system that calls. */
export const MAX_CLIENT_KEYS = 5;
/** An assertion may not say it lasts longer than this: it is remembered (to refuse it twice) until it expires. */
export const MAX_ASSERTION_LIFETIME_MS = 10 * 60_000;
/** A certificate in use that ends within this time is warned of in the log. */
const EXPIRY_WARNING_MS = 30 * 86_400_000;
/** Clock skew allowed between the client and this server. */
const SKEW_S = 60;

/**
 * The `alg` of a certificate subject among an account's keys (RFC 8705 §2.1, `tls_client_auth`): no key, but the
 * subject or subjectAltName a certificate issued by a trusted CA (CLIENT_CA_FILE) must have to be the client's. Its
 * record holds the RFC 8705 §2.1.2 metadata member (`{"tls_client_auth_san_dns":"bot.example.com"}`).
 */
export const TLS_CLIENT_AUTH = 'tls_client_auth';

/** The certificate a client presented, as it proved itself: one of its account's keys, or its subject. */
export interface CertificateMatch {
  thumbprint: string;
  /** Null for a certificate registered as one of the account's keys. */
  subject: SubjectBinding | null;
}

/** What a certificate would do for an account's client (`ClientKeyService.explain`). */
export interface CertificateExplanation {
  thumbprint: string;
  subject: string;
  /** As Node writes it (`DNS:a.example, URI:…`); null without the extension. */
  subjectAltName: string | null;
  notBefore: number;
  notAfter: number;
  /** Whether `client_id` alone with it over mutual TLS gets a token now. */
  authenticates: boolean;
  /** How it would authenticate (whether in its dates or not): as a registered key, or by a subject under a CA. */
  method: 'self_signed_tls_client_auth' | 'tls_client_auth' | null;
  /** The key or the subject entry it is the client's by. */
  kid: string | null;
  /** The subject of the trusted CA that issued it (tls_client_auth). */
  ca: string | null;
  /** Why it does not authenticate; null when it does. */
  reason: string | null;
}

/** A client key as the admin API shows it: public, so viewers see it too. */
export interface ClientKeyView {
  kid: string;
  alg: string;
  /** `RSA` (with its size in bits), `EC P-256` or `OKP Ed25519`; `certificate subject` for a subject. */
  type: string;
  /** The public JWK as stored (public members only); absent for a certificate subject. */
  jwk?: Record<string, unknown>;
  /** For a certificate subject: the RFC 8705 §2.1.2 member and its value. */
  tlsClientAuth?: TlsSubject;
  /** The key's X.509 certificate (`x5c`), which the client may present in TLS instead (RFC 8705 §2.2). */
  certificate?: { thumbprint: string; subject: string; notBefore: number; notAfter: number };
  createdAt: number;
  /** When it last authenticated the client (an assertion, a certificate, a subject's), to the minute; null: never. */
  lastUsedAt: number | null;
}

/**
 * What the audit log records of an added key: its id, algorithm and type, and its certificate's thumbprint (or the
 * certificate subject).
 */
export function clientKeyAudit(key: ClientKeyView): Record<string, string> {
  return {
    kid: key.kid,
    alg: key.alg,
    type: key.type,
    ...(key.certificate && { certificate: key.certificate.thumbprint }),
    ...(key.tlsClientAuth && { [key.tlsClientAuth.member]: key.tlsClientAuth.value }),
  };
}

/**
 * `EC P-256, ES256` — with `; certificate CN=…, until 2045-12-31` for a key registered with its certificate; for a
 * certificate subject, `certificate subject: tls_client_auth_san_dns bot.example.com`.
 */
export function describeClientKey(key: ClientKeyView): string {
  if (key.tlsClientAuth) return `${key.type}: ${key.tlsClientAuth.member} ${key.tlsClientAuth.value}`;
  const certificate = key.certificate
    ? `; certificate ${key.certificate.subject}, until ${new Date(key.certificate.notAfter).toISOString().slice(0, 10)}`
    : '';
  return `${key.type}, ${key.alg}${certificate}`;
}

/**
 * Why the keys `keys` would leave the client of an account with `account`'s settings no way to get a token: signed
 * assertions alone need a key, tokens bound to a certificate need a registered certificate; null when they do not.
 */
export function keysLacking(
  account: Pick<AccountRecord, 'signedAssertionsOnly' | 'certificateRequired'>,
  keys: ClientKeyRecord[],
): 'key' | 'certificate' | null {
  if (account.signedAssertionsOnly && keys.length === 0) return 'key';
  if (
    account.certificateRequired &&
    !keys.some((k) => k.alg === TLS_CLIENT_AUTH || certificateThumbprintOf(k) !== undefined)
  )
    return 'certificate';
  return null;
}

/** What a refused certificate is told: the same for an unknown client and a certificate of no key of the client's. */
export const NOT_MATCHED = "the client certificate is not one of this client's (x5c of its keys)";

/**
 * What a refused assertion is told until its signature verified: the same for an unknown client, a client without
 * keys, and a signature by no key of the client's.
 */
export const NOT_VERIFIED = 'no key of this client verifies the assertion';

/** Why an assertion did not authenticate its client: said in the invalid_client answer (no secret in it). */
export class AssertionRefused extends Error {
  override name = 'AssertionRefused';
}

/**
 * An account's keys as a node keeps them: its public keys (the assertions' verifiers), the thumbprints of their
 * certificates, and its certificate subjects.
 */
interface AccountKeys {
  keys: ClientKeyRecord[];
  /** The thumbprints of the keys' certificates, with each key's kid. */
  certificates: ReadonlyMap<string, string>;
  subjects: { kid: string; subject: CheckedTlsSubject }[];
}

/** What a node knows of a certificate presented for `tls_client_auth`: the trusted CA that issued it, or why none. */
interface IssuedBy {
  ca: TrustedCa | string;
  names: CertificateNames;
}

let namesModule: Promise<typeof import('../core/auth/certificate-names.js')> | undefined;
/** The certificate reader (an ASN.1 library) is loaded on the first certificate subject compared. */
async function certificateNames(der: Buffer): Promise<CertificateNames> {
  namesModule ??= import('../core/auth/certificate-names.js');
  return (await namesModule).certificateNames(der);
}

/**
 * Accounts' public keys for signed client assertions (RFC 7523 client authentication, `private_key_jwt`): a system
 * that calls the token endpoint proves it is the account's client by a short-lived JWT signed with its private key,
 * which never leaves it, instead of sending a shared secret. Each node keeps an account's keys in memory, read again
 * when a node changes them (bus topic `client-keys`).
 */
export class ClientKeyService {
  readonly #byAccount = new BoundedMap<string, AccountKeys>(50_000, CACHE_MAX_AGE_MS);
  /** When each certificate was last warned of, by thumbprint and warning. */
  readonly #expiryWarned = new BoundedMap<string, number>(10_000);
  /** Certificates presented for `tls_client_auth`, by thumbprint: their CA and names, found once. */
  readonly #issuedBy = new BoundedMap<string, IssuedBy>(10_000);
  #trustedCas: readonly TrustedCa[];
  /** CLIENT_OCSP: the trusted CAs' OCSP responders, asked beside their CRLs; null: not asked. */
  readonly ocsp: OcspChecker | null;
  /** When each key last authenticated the client (by `account\nkid`). */
  readonly #uses: UseRecorder;
  #generation = 0;

  constructor(private readonly ctx: ServiceContext) {
    this.#trustedCas = ctx.settings.trustedCas ?? [];
    this.ocsp = ctx.settings.clientOcsp ? new OcspChecker(ctx, ctx.settings.clientOcsp) : null;
    this.#uses = new UseRecorder(ctx, 'client key', (key, minute) => {
      const [accountId = '', kid = ''] = key.split('\n');
      return ctx.store.credentials.touchClientKey(accountId, kid, minute);
    });
    ctx.bus.subscribe((event) => {
      this.#generation++;
      if (event.type === 'reset' || event.topic === 'client-keys') this.#byAccount.clear();
    });
  }

  /**
   * The CAs whose client certificates authenticate by their subject from now on (CLIENT_CA_FILE read again): what
   * this node found of certificates is forgotten, and tokens issued under a CA no longer here are refused.
   */
  trustCas(cas: readonly TrustedCa[]): void {
    this.#trustedCas = cas;
    this.#issuedBy.clear();
  }

  /** The CAs (CLIENT_CA_FILE) whose certificates authenticate by their subject now, with their CRLs. */
  get trustedCas(): readonly TrustedCa[] {
    return this.#trustedCas;
  }

  async list(accountId: string): Promise<ClientKeyView[]> {
    return (await this.ctx.store.credentials.listClientKeys(accountId)).map(view);
  }

  /**
   * Adds a public key (a JWK) to the account's: EC P-256 (ES256), Ed25519 (EdDSA) or RSA of 2,048 bits or more
   * (RS256, or PS256 when its `alg` says so). Its `kid` names it, or else its RFC 7638 thumbprint. A private key,
   * another kind of key, a key that is not one, or a sixth key: 400; a `kid` the account has already: 409.
   */
  async add(accountId: string, input: Record<string, unknown>): Promise<ClientKeyView> {
    return this.#keep(await keyRecord(accountId, input, this.ctx.clock.now()));
  }

  /**
   * Adds a certificate subject (one RFC 8705 §2.1.2 member, `{"tls_client_auth_san_dns":"bot.example.com"}`), when
   * this server trusts CAs (CLIENT_CA_FILE; else 400): its `kid` is the SHA-256 of the member and value, unless
   * given. It counts among the account's keys.
   */
  async addSubject(accountId: string, input: Record<string, unknown>): Promise<ClientKeyView> {
    return this.#keep(this.#subjectRecord(accountId, input, this.ctx.clock.now()));
  }

  async #keep(record: ClientKeyRecord): Promise<ClientKeyView> {
    const { accountId } = record;
    const existing = await this.ctx.store.credentials.listClientKeys(accountId);
    const same = existing.find((k) => k.kid === record.kid);
    if (same)
      throw new AppError(
        'conflict',
        same.alg === TLS_CLIENT_AUTH && same.publicJwk === record.publicJwk
          ? `the account has this certificate subject already (kid ${JSON.stringify(record.kid)})`
          : `the account has a key ${JSON.stringify(record.kid)} already`,
      );
    if (existing.length >= MAX_CLIENT_KEYS)
      throw new AppError(
        'validation_failed',
        `an account has ${MAX_CLIENT_KEYS} client keys at most: remove one first`,
      );
    if (!(await this.ctx.store.credentials.addClientKey(record)))
      throw new AppError('conflict', `the account has a key ${JSON.stringify(record.kid)} already`);
    // Two keys added at once each saw room for one: the later one goes back out (the store keeps the order).
    const after = await this.ctx.store.credentials.listClientKeys(accountId);
    if (after.length > MAX_CLIENT_KEYS && after.findIndex((k) => k.kid === record.kid) >= MAX_CLIENT_KEYS) {
      await this.ctx.store.credentials.deleteClientKey(accountId, record.kid);
      throw new AppError(
        'validation_failed',
        `an account has ${MAX_CLIENT_KEYS} client keys at most: remove one first`,
      );
    }
    await this.#changed(accountId);
    return view(record);
  }

  /** A certificate subject to keep among the account's keys, or 400 with why it cannot be one. */
  #subjectRecord(accountId: string, input: Record<string, unknown>, now: number): ClientKeyRecord {
    if (this.#trustedCas.length === 0)
      throw new AppError(
        'validation_failed',
        'this server trusts no CA for client certificates: set CLIENT_CA_FILE to add a certificate subject',
      );
    const members = Object.keys(input).filter((name) => name !== 'kid');
    const [member] = members;
    if (members.length !== 1 || member === undefined)
      throw new AppError(
        'validation_failed',
        `a certificate subject is one member of ${TLS_SUBJECT_MEMBERS.join(', ')} (and an optional kid), alone`,
      );
    const subject = checkTlsSubject(member, input[member]);
    if (typeof subject === 'string') throw new AppError('validation_failed', subject);
    const kid =
      input.kid === undefined
        ? createHash('sha256').update(`${subject.member}\n${subject.value}`).digest('base64url')
        : checkedKid(input.kid);
    return {
      accountId,
      kid,
      alg: TLS_CLIENT_AUTH,
      publicJwk: JSON.stringify({ [subject.member]: subject.value }),
      createdAt: now,
    };
  }

  /**
   * Removes a key; the last one of an account whose client authenticates with signed assertions alone is kept
   * (409), and so is the last certificate of an account whose tokens must be bound to one, or its client could not
   * get a token any more.
   */
  async remove(accountId: string, kid: string): Promise<ClientKeyView> {
    const [account, keys] = await Promise.all([
      this.ctx.store.accounts.getAccount(accountId),
      this.ctx.store.credentials.listClientKeys(accountId),
    ]);
    const removed = keys.find((k) => k.kid === kid);
    const lacking = account && removed ? lockoutBy(account, keys, removed) : null;
    if (lacking !== null) throw lockoutRefusal(lacking);
    if (!removed || !(await this.ctx.store.credentials.deleteClientKey(accountId, kid)))
      throw new AppError('not_found', `the account has no client key ${JSON.stringify(kid)}`);
    // A requirement turned on meanwhile (on another node) that this key was the last to meet: it is put back.
    const [after, left] = await Promise.all([
      this.ctx.store.accounts.getAccount(accountId),
      this.ctx.store.credentials.listClientKeys(accountId),
    ]);
    const lackingNow = after ? lockoutBy(after, [...left, removed], removed) : null;
    if (lackingNow !== null) {
      await this.ctx.store.credentials.addClientKey(removed);
      throw lockoutRefusal(lackingNow);
    }
    await this.#changed(accountId);
    this.#uses.forget(`${accountId}\n${kid}`);
    return view(removed);
  }

  /**
   * Checks a client assertion of the client `clientId` of `accountId` (RFC 7523 §3): signed by one of the
   * account's keys with an algorithm it is kept for, `iss` and `sub` the client id, `aud` this server (its issuer or
   * the URL called), an `exp` no more than 10 minutes ahead, and a `jti` the client has not used before (on any
   * node). Throws AssertionRefused with the reason.
   */
  async verify(accountId: string, clientId: string, assertion: string, audiences: string[]): Promise<void> {
    const { keys } = await this.#keysOf(accountId);
    if (keys.length === 0) throw new AssertionRefused(NOT_VERIFIED);
    const now = this.ctx.clock.now();
    const options: JWTVerifyOptions = {
      issuer: clientId,
      subject: clientId,
      audience: audiences,
      algorithms: [...ASSERTION_ALGORITHMS],
      requiredClaims: ['exp', 'jti'],
      clockTolerance: SKEW_S,
      currentDate: new Date(now),
    };
    let payload: JWTPayload;
    let key: VerifyingKey;
    let typ: unknown;
    try {
      ({ payload, key, typ } = await verifiedByAny(
        assertion,
        createLocalJWKSet({ keys: keys.map((k) => verifierJwk(k.publicJwk)) }),
        options,
      ));
    } catch (failure) {
      // Once the signature verified, the reason helps the key's holder (expired, another audience…); before, one
      // answer for every case (no such client, no key, another key, another algorithm), so ids cannot be probed.
      if (failure instanceof JoseErrors.JWTClaimValidationFailed || failure instanceof JoseErrors.JWTExpired)
        throw new AssertionRefused(`the assertion did not verify: ${failure.message}`);
      if (failure instanceof JoseErrors.JOSEError) throw new AssertionRefused(NOT_VERIFIED);
      throw failure;
    }
    this.#checkKindAndAudience(typ, payload.aud);
    const expiresAt = (payload.exp as number) * 1000;
    if (expiresAt - now > MAX_ASSERTION_LIFETIME_MS + SKEW_S * 1000)
      throw new AssertionRefused('the assertion expires more than 10 minutes ahead');
    const jti = payload.jti;
    if (typeof jti !== 'string' || jti.length === 0 || jti.length > 256)
      throw new AssertionRefused('the assertion has no usable jti (a string of 1 to 256 characters)');
    if (!(await this.ctx.store.tokens.useClientAssertion(clientId, jti, expiresAt + SKEW_S * 1000)))
      throw new AssertionRefused('the assertion was used already (its jti)');
    const kid = await kidOf(keys, key);
    if (kid !== null) this.#used(accountId, kid, now);
  }

  /**
   * RFC 7523bis, once the signature verified: a JWT explicitly typed as another kind (`at+jwt`, `dpop+jwt`…) is not
   * a client assertion (RFC 8725 §3.11); one typed `client-authentication+jwt`, or any with
   * CLIENT_ASSERTION_AUDIENCE=issuer, names the issuer as its sole audience (a string, or an array of one) — not
   * the token endpoint, which another server's metadata could name to get an assertion meant for this one.
   */
  #checkKindAndAudience(typ: unknown, aud: JWTPayload['aud']): void {
    const kind = typeof typ === 'string' ? typ.toLowerCase().replace(/^application\//, '') : '';
    if (kind.endsWith('+jwt') && kind !== CLIENT_ASSERTION_TYP)
      throw new AssertionRefused(
        `the assertion is typed ${kind.replace(/[^\x21-\x7e]/g, '?').slice(0, 64)}: a JWT of another kind, not a client assertion`,
      );
    if (kind !== CLIENT_ASSERTION_TYP && this.ctx.settings.clientAssertionAudience !== 'issuer') return;
    const { issuer } = this.ctx.settings;
    const sole = Array.isArray(aud) && aud.length === 1 ? aud[0] : aud;
    if (sole !== issuer)
      throw new AssertionRefused(
        `the assertion's aud must be the issuer ${issuer} alone (RFC 7523bis${kind === CLIENT_ASSERTION_TYP ? `: it is typed ${CLIENT_ASSERTION_TYP}` : ''})`,
      );
  }

  /** A key's last use, to the minute (its record's lastUsedAt). */
  #used(accountId: string, kid: string, now: number): void {
    this.#uses.record(`${accountId}\n${kid}`, now);
  }

  /**
   * The certificate the client presented in TLS proves it (RFC 8705 §2), valid now: one of the account's keys' `x5c`
   * (`self_signed_tls_client_auth`), or else, when this server trusts CAs, a certificate issued by one of them that
   * has one of the account's certificate subjects (`tls_client_auth`). Throws AssertionRefused with the reason: the
   * same as for an unknown client until the certificate is the client's. When the account has certificate subjects
   * and the certificate was presented to authenticate (not only to bind a token to), why it did not match is said in
   * the log, once a day per certificate: the client is told nothing more.
   */
  async matchCertificate(
    accountId: string,
    presented: ClientCertificate,
    purpose: 'authenticate' | 'bind' = 'authenticate',
  ): Promise<CertificateMatch> {
    const { certificates, subjects } = await this.#keysOf(accountId);
    const now = this.ctx.clock.now();
    let subject: SubjectBinding | null = null;
    const registered = certificates.get(presented.thumbprint);
    if (registered === undefined) {
      const matched = subjects.length === 0 ? null : await this.#matchSubject(subjects, presented);
      if (typeof matched === 'string' && purpose === 'authenticate')
        this.#warnOnceADay(accountId, presented, now, `a client certificate was refused: ${matched}`);
      if (matched === null || typeof matched === 'string') throw new AssertionRefused(NOT_MATCHED);
      subject = matched;
    }
    const invalid = certificateValidity(presented, now);
    const what = subject === null ? 'a registered client certificate' : 'a client certificate of a subject';
    if (invalid !== null) {
      // Its client gets no token with it, nor a token bound to it with a secret: said, as nothing else would.
      this.#warnOnceADay(accountId, presented, now, `${what} was presented: ${invalid}`);
      throw new AssertionRefused(invalid);
    }
    if (presented.notAfter - now < EXPIRY_WARNING_MS)
      this.#warnOnceADay(
        accountId,
        presented,
        now,
        subject === null
          ? "a client certificate in use expires soon: register its successor as one of the account's keys"
          : 'a client certificate in use expires soon: its CA issues its successor',
      );
    // The key or subject is in use: for binding a token too (a client with a secret over mutual TLS).
    this.#used(accountId, subject?.kid ?? (registered as string), now);
    return { thumbprint: presented.thumbprint, subject };
  }

  /**
   * The account's subject that a certificate issued by a trusted CA has, with that CA; why not (for the log), or
   * null when this server trusts no CA.
   */
  async #matchSubject(
    subjects: AccountKeys['subjects'],
    presented: ClientCertificate,
  ): Promise<SubjectBinding | string | null> {
    if (this.#trustedCas.length === 0) return null;
    let issued = this.#issuedBy.get(presented.thumbprint, this.ctx.clock.now());
    if (issued === undefined) {
      const names = await certificateNames(presented.certificate.raw);
      // The issuer is found after the wait, with the CAs trusted now, and cached at once: a SIGHUP that changes them
      // (trustCas) empties the cache before or after, never between.
      issued = { ca: issuingCa(presented.certificate, this.#trustedCas, this.ctx.clock.now()), names };
      this.#issuedBy.set(presented.thumbprint, issued, this.ctx.clock.now());
    }
    const now = this.ctx.clock.now();
    const { ca, names } = issued;
    // A CA that ended since it was found is checked again (it stays cached only while it verifies).
    if (typeof ca === 'string' || now > ca.notAfter) {
      this.#issuedBy.delete(presented.thumbprint);
      return typeof ca === 'string' ? ca : 'its CA is out of its dates';
    }
    // Its CA's CRL is read at each use: one read again (SIGHUP) or out of date counts at once.
    const serial = serialNumberOf(presented.certificate.serialNumber);
    const revoked = revocationOf(ca, serial, now);
    if (revoked !== null) return revoked;
    const matched = subjects.find((s) => subjectMatches(s.subject, names));
    if (matched === undefined)
      return "it has none of the account's certificate subjects (its subject and subjectAltName)";
    // Its OCSP responder (CLIENT_OCSP) is asked last: only of a certificate that would otherwise be taken (one out of
    // its dates is refused by the caller anyway).
    const unvouched =
      certificateValidity(presented, now) === null
        ? await this.ocsp?.refusal(presented.certificate, ca, serial)
        : null;
    return unvouched ? unvouched : { kid: matched.kid, ca: ca.thumbprint, serial };
  }

  /**
   * Said in the log once a day per certificate on each node: a certificate in use that ends within 30 days (once it
   * ends, its client gets no token, so its successor must be registered before), one presented out of its dates, or
   * why one presented for an account with certificate subjects is not the client's.
   */
  #warnOnceADay(accountId: string, certificate: ClientCertificate, now: number, message: string): void {
    const key = `${certificate.thumbprint} ${message}`;
    const last = this.#expiryWarned.get(key);
    if (last !== undefined && now - last < 86_400_000) return;
    this.#expiryWarned.set(key, now);
    this.ctx.log.warn(
      {
        accountId,
        certificate: certificate.thumbprint,
        subject: certificate.subject,
        notAfter: new Date(certificate.notAfter).toISOString(),
        days: Math.ceil((certificate.notAfter - now) / 86_400_000),
      },
      message,
    );
  }

  /**
   * What a certificate would do for the account's client over mutual TLS, and why — for an operator setting up or
   * debugging a client (`client-key check`, the admin API). Changes nothing and logs nothing of its own; with
   * CLIENT_OCSP it asks the certificate's OCSP responder as a login would (and keeps the answer, as a login does).
   */
  async explain(accountId: string, presented: ClientCertificate): Promise<CertificateExplanation> {
    const now = this.ctx.clock.now();
    const keys = await this.#readKeys(accountId, false);
    const registered = keys.keys.find((k) => certificateThumbprintOf(k) === presented.thumbprint);
    let method: CertificateExplanation['method'] = null;
    let kid: string | null = null;
    let ca: string | null = null;
    let refused: string | null = null;
    if (registered) {
      method = 'self_signed_tls_client_auth';
      kid = registered.kid;
    } else if (this.#trustedCas.length === 0) {
      refused =
        "it is not one of the account's keys, and this server trusts no CA for client certificates (CLIENT_CA_FILE)";
    } else if (keys.subjects.length === 0) {
      refused = "it is not one of the account's keys, and the account names no certificate subject";
    } else {
      const matched = await this.#matchSubject(keys.subjects, presented);
      if (matched === null || typeof matched === 'string')
        refused = `it is not one of the account's keys, and ${matched ?? 'no CA is trusted'}`;
      else {
        method = 'tls_client_auth';
        kid = matched.kid;
        ca = this.#trustedCas.find((c) => c.thumbprint === matched.ca)?.subject ?? null;
      }
    }
    const invalid = certificateValidity(presented, now);
    return {
      thumbprint: presented.thumbprint,
      subject: presented.subject,
      subjectAltName: presented.certificate.subjectAltName ?? null,
      notBefore: presented.notBefore,
      notAfter: presented.notAfter,
      authenticates: refused === null && invalid === null,
      method,
      kid,
      ca,
      reason: refused ?? invalid,
    };
  }

  /**
   * Whether the certificate of thumbprint `x5t` is still one of the account's keys: a token bound to a certificate
   * stops working once its key is removed (RFC 8705 leaves it to the server). Synchronous when this node has the
   * account's keys.
   */
  holdsCertificate(
    accountId: string,
    x5t: string,
    subject: SubjectBinding | null = null,
  ): boolean | Promise<boolean> {
    const holds = (k: AccountKeys) =>
      subject === null
        ? k.certificates.has(x5t)
        : k.subjects.some((s) => s.kid === subject.kid) && this.#trusts(subject);
    const keys = this.#keysOf(accountId);
    return keys instanceof Promise ? keys.then(holds) : holds(keys);
  }

  /**
   * Whether a subject's certificate's CA is still trusted, and its CRL (if read) vouches for the certificate now. A
   * token issued before certificates' serial numbers were kept in tokens has none, and is checked for its CA only.
   */
  #trusts(subject: SubjectBinding): boolean {
    const ca = this.#trustedCas.find((c) => c.thumbprint === subject.ca);
    if (ca === undefined) return false;
    if (subject.serial === undefined) return true;
    // A revocation an OCSP responder told of since the token was issued counts too (no question asked here).
    return (
      revocationOf(ca, subject.serial, this.ctx.clock.now()) === null &&
      !this.ocsp?.knownRevoked(ca.thumbprint, subject.serial)
    );
  }

  /** The account's keys: from memory when this node has them and the bus is up. */
  #keysOf(accountId: string): AccountKeys | Promise<AccountKeys> {
    const useCache = this.ctx.bus.healthy();
    const cached = useCache ? this.#byAccount.get(accountId, this.ctx.clock.now()) : undefined;
    if (cached !== undefined) return cached;
    return this.#readKeys(accountId, useCache);
  }

  async #readKeys(accountId: string, useCache: boolean): Promise<AccountKeys> {
    const generation = this.#generation;
    const records = await this.ctx.store.credentials.listClientKeys(accountId);
    const keys: ClientKeyRecord[] = [];
    const certificates = new Map<string, string>();
    const subjects: AccountKeys['subjects'] = [];
    for (const record of records) {
      if (record.alg === TLS_CLIENT_AUTH) {
        const subject = storedSubject(record);
        if (subject !== null) subjects.push({ kid: record.kid, subject });
        continue;
      }
      keys.push(record);
      const thumbprint = certificateThumbprintOf(record);
      if (thumbprint !== undefined) certificates.set(thumbprint, record.kid);
    }
    const read: AccountKeys = { keys, certificates, subjects };
    if (useCache && generation === this.#generation)
      this.#byAccount.set(accountId, read, this.ctx.clock.now());
    return read;
  }

  async #changed(accountId: string): Promise<void> {
    this.#byAccount.clear();
    await this.ctx.bus.publish('client-keys', accountId);
  }
}

/** What removing `removed` from `keys` would leave the account's client without; null when nothing it had. */
function lockoutBy(
  account: AccountRecord,
  keys: ClientKeyRecord[],
  removed: ClientKeyRecord,
): 'key' | 'certificate' | null {
  if (keysLacking(account, keys) !== null) return null; // locked out already: this key changes nothing
  return keysLacking(
    account,
    keys.filter((k) => k !== removed),
  );
}

/** The refusal (409) of a removal that would leave the account's client without what `lacking` names. */
function lockoutRefusal(lacking: 'key' | 'certificate'): AppError {
  return new AppError(
    'conflict',
    lacking === 'key'
      ? "this is the account's last client key and its client authenticates with signed assertions alone: allow its password again first"
      : "this is the account's last client certificate and its tokens must be bound to one: register its successor first, or stop requiring certificates",
  );
}

/**
 * The assertion's claims, verified with the key its header names or, when it names none and the account has several
 * keys of its kind, with the first of them that verifies it (jose leaves that choice to the caller).
 */
async function verifiedByAny(
  assertion: string,
  keys: ReturnType<typeof createLocalJWKSet>,
  options: JWTVerifyOptions,
): Promise<{ payload: JWTPayload; key: VerifyingKey; typ: unknown }> {
  try {
    const { payload, key, protectedHeader } = await jwtVerify(assertion, keys, options);
    return { payload, key, typ: protectedHeader.typ };
  } catch (failure) {
    if (!(failure instanceof JoseErrors.JWKSMultipleMatchingKeys)) throw failure;
    let last: unknown = failure;
    for await (const key of failure as unknown as AsyncIterable<CryptoKey>) {
      try {
        const { payload, protectedHeader } = await jwtVerify(assertion, key, options);
        return { payload, key, typ: protectedHeader.typ };
      } catch (refused) {
        last = refused;
      }
    }
    throw last;
  }
}

type VerifyingKey = Parameters<typeof exportJWK>[0];

/** The kid of the account's key that `key` (one the assertion verified with) was imported from; null if none. */
async function kidOf(keys: readonly ClientKeyRecord[], key: VerifyingKey): Promise<string | null> {
  try {
    const used = await calculateJwkThumbprint(await exportJWK(key));
    for (const record of keys)
      if ((await calculateJwkThumbprint(verifierJwk(record.publicJwk))) === used) return record.kid;
  } catch {
    // A key that does not export: its use is not recorded.
  }
  return null;
}

/**
 * A stored key as the assertion's verifier takes it: an Ed25519 key without its `alg`, so that it verifies `EdDSA`
 * and `Ed25519` alike (the same algorithm); RSA keys keep theirs (RS256 and PS256 differ).
 */
function verifierJwk(stored: string): JWK {
  const { x5c: _x5c, 'x5t#S256': _x5t, ...jwk } = JSON.parse(stored) as JWK & { 'x5t#S256'?: string };
  if (jwk.kty !== 'OKP') return jwk;
  const { alg: _alg, ...rest } = jwk;
  return rest;
}

/** The RFC 8705 thumbprint of a stored key's certificate; undefined for a key without one. */
function certificateThumbprintOf(record: ClientKeyRecord): string | undefined {
  const thumbprint = (JSON.parse(record.publicJwk) as { 'x5t#S256'?: unknown })['x5t#S256'];
  return typeof thumbprint === 'string' ? thumbprint : undefined;
}

/** A stored certificate subject as a node compares it; null for one that no longer reads (never stored so). */
function storedSubject(record: ClientKeyRecord): CheckedTlsSubject | null {
  const [entry] = Object.entries(JSON.parse(record.publicJwk) as Record<string, unknown>);
  if (entry === undefined) return null;
  const checked = checkTlsSubject(entry[0], entry[1]);
  return typeof checked === 'string' ? null : checked;
}

function view(record: ClientKeyRecord): ClientKeyView {
  if (record.alg === TLS_CLIENT_AUTH) {
    const subject = storedSubject(record);
    return {
      kid: record.kid,
      alg: record.alg,
      type: 'certificate subject',
      ...(subject && { tlsClientAuth: { member: subject.member, value: subject.value } }),
      createdAt: record.createdAt,
      lastUsedAt: record.lastUsedAt ?? null,
    };
  }
  const jwk = JSON.parse(record.publicJwk) as Record<string, unknown>;
  const type =
    jwk.kty === 'RSA'
      ? `RSA ${createPublicKey({ key: jwk as JWK & { kty: 'RSA' }, format: 'jwk' }).asymmetricKeyDetails?.modulusLength} bits`
      : `${jwk.kty} ${jwk.crv}`;
  const x5c = Array.isArray(jwk.x5c) && typeof jwk.x5c[0] === 'string' ? jwk.x5c[0] : undefined;
  const certificate = x5c === undefined ? null : parseDerCertificate(Buffer.from(x5c, 'base64'));
  return {
    kid: record.kid,
    alg: record.alg,
    type,
    jwk,
    ...(certificate && {
      certificate: {
        thumbprint: certificate.thumbprint,
        subject: certificate.subject,
        notBefore: certificate.notBefore,
        notAfter: certificate.notAfter,
      },
    }),
    createdAt: record.createdAt,
    lastUsedAt: record.lastUsedAt ?? null,
  };
}

/** A public key (a JWK, perhaps with its certificate) to keep among the account's keys, or 400 with why not. */
async function keyRecord(
  accountId: string,
  input: Record<string, unknown>,
  now: number,
): Promise<ClientKeyRecord> {
  const { jwk, alg, certificate } = checkedJwk(input, now);
  const kid = typeof input.kid === 'string' ? input.kid : await calculateJwkThumbprint(jwk as JWK);
  const stored: Record<string, unknown> = { ...jwk, kid, alg, use: 'sig' };
  if (certificate) {
    stored.x5c = [certificate.der];
    stored['x5t#S256'] = certificate.thumbprint;
  }
  return { accountId, kid, alg, publicJwk: JSON.stringify(stored), createdAt: now };
}

/** A `kid` given with a key: 1 to 128 printable ASCII characters, or 400. */
function checkedKid(kid: unknown): string {
  if (typeof kid !== 'string' || !/^[\x21-\x7e]{1,128}$/.test(kid))
    throw new AppError('validation_failed', 'jwk: kid must be 1 to 128 printable ASCII characters');
  return kid;
}

/**
 * The public members of a key this server takes, the algorithm it verifies and its certificate, if it comes with one
 * (`x5c`: its first certificate's public key must be the key; or `x5c` alone, the key read from it); else 400 with why.
 */
function checkedJwk(
  input: Record<string, unknown>,
  now: number,
): { jwk: Record<string, string>; alg: string; certificate: ClientCertificate | null } {
  const certificate = input.x5c === undefined ? null : checkedCertificate(input.x5c, now);
  let keyInput = input;
  if (certificate) {
    let fromCertificate: Record<string, unknown>;
    try {
      fromCertificate = certificate.certificate.publicKey.export({ format: 'jwk' }) as Record<
        string,
        unknown
      >;
    } catch {
      // A kind of key JWK has no form for (DSA, X25519…): none this server takes.
      throw new AppError('validation_failed', "jwk: the certificate's key is not EC P-256, Ed25519 or RSA");
    }
    // The certificate's key members, with what else came (alg, use, and any private member, which is refused).
    if (input.kty === undefined) keyInput = { ...input, ...fromCertificate };
    else if (!samePublicKey(input, fromCertificate))
      throw new AppError('validation_failed', "jwk: the certificate (x5c) is not this key's");
  }
  const checked = checkPublicJwk(keyInput);
  if (typeof checked === 'string') throw new AppError('validation_failed', `jwk: ${checked}`);
  if (input.kid !== undefined) checkedKid(input.kid);
  return { jwk: checked.jwk, alg: checked.alg, certificate };
}

/** RFC 7517 §4.7 `x5c`: base64 DER certificates, the key's first; that one is kept, valid now. */
function checkedCertificate(x5c: unknown, now: number): ClientCertificate {
  const first = Array.isArray(x5c) && x5c.length >= 1 && x5c.length <= 10 ? x5c[0] : undefined;
  if (typeof first !== 'string' || first.length > 16_384 || !/^[A-Za-z0-9+/]+={0,2}$/.test(first))
    throw new AppError(
      'validation_failed',
      "jwk: x5c must be a list of base64 DER certificates, the key's first",
    );
  const certificate = parseDerCertificate(Buffer.from(first, 'base64'));
  if (!certificate)
    throw new AppError('validation_failed', 'jwk: the first certificate of x5c does not parse');
  // One not valid yet may be added ahead of its time; an expired one would never authenticate.
  if (now > certificate.notAfter)
    throw new AppError('validation_failed', `jwk: ${certificateValidity(certificate, now)}`);
  return certificate;
}

function samePublicKey(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return ['kty', 'crv', 'x', 'y', 'n', 'e'].every((member) => a[member] === b[member]);
}
