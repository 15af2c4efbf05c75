import type { PresentedClient } from '../core/auth/basic.js';
import type { ClientCertificate } from '../core/auth/certificate.js';
import { seal, unseal } from '../core/auth/sealing.js';
import {
  CLIENT_SECRET_PREFIX,
  digestsEqual,
  formatClientId,
  formatSecret,
  hashSecret,
} from '../core/auth/secrets.js';
import { BoundedMap } from '../core/bounded-map.js';
import { then } from '../core/maybe-promise.js';
import type { ClientRecord } from '../ports/credential-store.js';
import { CACHE_MAX_AGE_MS, requireGraceSeconds } from './api-keys.js';
import {
  AssertionRefused,
  type CertificateMatch,
  type ClientKeyService,
  NOT_MATCHED,
  NOT_VERIFIED,
} from './client-keys.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';
import { UseRecorder } from './use-recorder.js';

const aad = (accountId: string) => `client-secret:${accountId}`;
/** Compared against when the client id is unknown, so both failures take the same time. */
const DUMMY_HASH = hashSecret('orch_secret_dummy-value-never-issued');

export type ClientAuthentication =
  /** `certificate`: how the client certificate it authenticated with proved it (mutual TLS alone). */
  | { ok: true; client: ClientRecord; certificate?: CertificateMatch }
  /**
   * `suspended`: the id and secret (or assertion) are right, but the account is suspended. `reason`: why a signed
   * assertion was refused (it holds no secret; a secret refused has none, so unknown id and wrong secret look alike).
   */
  | { ok: false; suspended?: true; reason?: string };

/** A client that signs in with a JWT signed by its own key (RFC 7523), to the server known by `audiences`. */
export interface PresentedAssertion {
  /** The assertion's `sub`, read before it is verified: the client it says it is. */
  clientId: string;
  assertion: string;
  audiences: string[];
}

/** A client that authenticates with its certificate in TLS (RFC 8705 §2.2), naming itself by `client_id`. */
export interface PresentedCertificate {
  clientId: string;
  certificate: ClientCertificate;
}

/**
 * An account's credentials version as tokens are checked against it: null when it has no client (or is
 * deleted), `suspended` while it is suspended (every token refused, none forgotten).
 */
export type CredentialsVersion = number | null | 'suspended';

/** What a node keeps of an account for its client's authentication and its tokens' checks. */
export interface AccountState {
  version: CredentialsVersion;
  /** The client authenticates with signed assertions alone: its password is refused. */
  assertionsOnly: boolean;
  /** Its tokens must be bound to a key (DPoP): a token request needs a proof, an unbound token is refused. */
  dpopRequired: boolean;
  /** Its tokens must be bound to a client certificate (mutual TLS): a token request needs one of its certificates. */
  certificateRequired: boolean;
  /**
   * The credentials version a regeneration replaced, and until when those credentials still work and that version's
   * tokens are taken (a grace period); null: none.
   */
  previous: { version: number; until: number } | null;
}

/**
 * Whether a client token of credentials version `tokenVersion` is taken by an account in `state` at `now`: the
 * current version, or the previous one within its grace period.
 */
export function versionHolds(tokenVersion: number, state: AccountState, now: number): boolean {
  const { version, previous } = state;
  if (typeof version !== 'number') return false;
  return (
    tokenVersion === version ||
    (previous !== null && tokenVersion === previous.version && now < previous.until)
  );
}

/**
 * The client as `clientId` names it at `now`: the current credentials, or the ones they replaced while those still
 * work (their id, secret and version); null for an id that names neither (a previous one past its time).
 */
function presentedAs(record: ClientRecord, clientId: string, now: number): ClientRecord | null {
  if (record.clientId === clientId) return record;
  const previous = record.previous;
  if (previous === null || previous.clientId !== clientId || now >= previous.until) return null;
  return {
    ...record,
    clientId: previous.clientId,
    secretHash: previous.secretHash,
    version: previous.version,
    lastUsedAt: previous.lastUsedAt,
    previous: null,
  };
}

/** Why a password is refused whatever it is, for an account that takes signed assertions alone. */
const ASSERTIONS_ONLY = 'this client authenticates with a signed assertion alone (private_key_jwt)';

/** v2 credentials (user ID + password) of each account, with a per-node cache invalidated through the bus. */
export class ClientService {
  readonly #byId = new BoundedMap<string, ClientRecord | null>(50_000, CACHE_MAX_AGE_MS);
  readonly #stateByAccount = new BoundedMap<string, AccountState>(50_000, CACHE_MAX_AGE_MS);
  /** When each client last authenticated (by client id). */
  readonly #uses: UseRecorder;
  #generation = 0;

  constructor(
    private readonly ctx: ServiceContext,
    /** The accounts' keys for signed client assertions. */
    readonly keys: ClientKeyService,
  ) {
    this.#uses = new UseRecorder(ctx, 'client', (clientId, minute) =>
      ctx.store.credentials.touchClient(clientId, minute),
    );
    ctx.bus.subscribe((event) => {
      this.#generation++;
      if (event.type === 'reset' || event.topic === 'client') {
        // Client ids are few; dropping all on a change is simpler than an index and just as correct.
        this.#byId.clear();
        this.#stateByAccount.clear();
      }
      // Signed assertions alone is set with the account's own limits.
      if (event.type === 'invalidate' && event.topic === 'account-limits') this.#stateByAccount.clear();
    });
  }

  /**
   * Checks an id and secret; unknown id and wrong secret take the same path and the same time. Answers at
   * once for a client this node has cached.
   */
  authenticate(
    presented: PresentedClient | PresentedAssertion | PresentedCertificate,
  ): ClientAuthentication | Promise<ClientAuthentication> {
    if ('assertion' in presented) return this.#authenticateAssertion(presented);
    if ('certificate' in presented) return this.#authenticateCertificate(presented);
    const client = presented.clientId.length <= 128 ? this.#find(presented.clientId) : null;
    return then(client, (record): ClientAuthentication | Promise<ClientAuthentication> => {
      const found = record && presentedAs(record, presented.clientId, this.ctx.clock.now());
      const expected = found?.secretHash ?? DUMMY_HASH;
      const matches = digestsEqual(hashSecret(presented.clientSecret), expected);
      if (!found) return { ok: false };
      return then(this.stateOf(found.accountId), ({ version, assertionsOnly }): ClientAuthentication => {
        // Refused whatever the password, so that the answer never says whether it was the right one.
        if (assertionsOnly) return { ok: false, reason: ASSERTIONS_ONLY };
        if (!matches) return { ok: false };
        if (version === 'suspended') return { ok: false, suspended: true };
        this.#uses.record(found.clientId, this.ctx.clock.now());
        return { ok: true, client: found };
      });
    });
  }

  #authenticateAssertion(presented: PresentedAssertion): Promise<ClientAuthentication> {
    return this.#authenticateByKey(presented.clientId, NOT_VERIFIED, async (client) => {
      await this.keys.verify(client.accountId, client.clientId, presented.assertion, presented.audiences);
      return undefined;
    });
  }

  #authenticateCertificate(presented: PresentedCertificate): Promise<ClientAuthentication> {
    return this.#authenticateByKey(presented.clientId, NOT_MATCHED, (client) =>
      this.keys.matchCertificate(client.accountId, presented.certificate),
    );
  }

  /**
   * A client that proves itself with one of its keys: `prove` throws AssertionRefused with the reason. An unknown
   * client is told `unknown`, as a key that does not prove it would be: the answer tells no one which ids exist.
   */
  async #authenticateByKey(
    clientId: string,
    unknown: string,
    prove: (client: ClientRecord) => Promise<CertificateMatch | undefined>,
  ): Promise<ClientAuthentication> {
    const record = clientId.length <= 128 ? await this.#find(clientId) : null;
    const found = record && presentedAs(record, clientId, this.ctx.clock.now());
    if (!found) return { ok: false, reason: unknown };
    let certificate: CertificateMatch | undefined;
    try {
      certificate = await prove(found);
    } catch (error) {
      if (!(error instanceof AssertionRefused)) throw error;
      return { ok: false, reason: error.message };
    }
    const version = await this.currentVersion(found.accountId);
    if (version === 'suspended') return { ok: false, suspended: true };
    this.#uses.record(found.clientId, this.ctx.clock.now());
    return { ok: true, client: found, ...(certificate && { certificate }) };
  }

  /** The account's current credentials version (see CredentialsVersion); synchronous when known. */
  currentVersion(accountId: string): CredentialsVersion | Promise<CredentialsVersion> {
    return then(this.stateOf(accountId), (state) => state.version);
  }

  /**
   * What this node knows of the account (from the store when it does not, or cannot trust its cache); synchronous
   * when known.
   */
  stateOf(accountId: string): AccountState | Promise<AccountState> {
    const useCache = this.ctx.bus.healthy();
    const cached = useCache ? this.#stateByAccount.get(accountId, this.ctx.clock.now()) : undefined;
    if (cached !== undefined) return cached;
    return this.#readState(accountId, useCache);
  }

  async #readState(accountId: string, useCache: boolean): Promise<AccountState> {
    const generation = this.#generation;
    const [client, account] = await Promise.all([
      this.ctx.store.credentials.findClientByAccount(accountId),
      this.ctx.store.accounts.getAccount(accountId),
    ]);
    const status = account?.status;
    const state: AccountState = {
      version: status === 'suspended' ? 'suspended' : status === 'active' ? (client?.version ?? null) : null,
      assertionsOnly: account?.signedAssertionsOnly ?? false,
      dpopRequired: account?.dpopRequired ?? false,
      certificateRequired: account?.certificateRequired ?? false,
      previous: client?.previous ? { version: client.previous.version, until: client.previous.until } : null,
    };
    if (useCache && generation === this.#generation)
      this.#stateByAccount.set(accountId, state, this.ctx.clock.now());
    return state;
  }

  /**
   * New user ID and password. The old ones, and every token issued under them, stop working on every node at once —
   * or, with `graceSeconds`, that much later (a fleet of clients moves to the new ones meanwhile); credentials an
   * earlier regeneration kept working stop at once.
   */
  async regenerate(
    accountId: string,
    graceSeconds = 0,
  ): Promise<{ userId: string; password: string; version: number; previousUntil: number | null }> {
    requireGraceSeconds(graceSeconds);
    const userId = formatClientId(this.ctx.random.bytes(12));
    const password = formatSecret(CLIENT_SECRET_PREFIX, this.ctx.random.bytes(32));
    const now = this.ctx.clock.now();
    const previousUntil = graceSeconds === 0 ? null : now + graceSeconds * 1000;
    const version = await this.ctx.store.credentials.replaceClient(
      {
        accountId,
        clientId: userId,
        secretHash: hashSecret(password),
        secretCipher: seal(this.ctx.masterKey, this.ctx.random.bytes(12), password, aad(accountId)),
        createdAt: now,
      },
      previousUntil,
    );
    this.#byId.clear();
    this.#stateByAccount.clear();
    await this.ctx.bus.publish('client', accountId);
    return { userId, password, version, previousUntil };
  }

  /** Forgets what every node knows of the account's client, this node's first (see ApiKeyService.forgetAccount). */
  async forgetAccount(accountId: string): Promise<void> {
    this.#byId.clear();
    this.#stateByAccount.clear();
    await this.ctx.bus.publish('client', accountId);
  }

  /**
   * The account's user ID and password, and the user ID they replaced while it still works (its password is not
   * kept: only its hash).
   */
  async reveal(accountId: string): Promise<{
    userId: string;
    password: string;
    createdAt: number;
    lastUsedAt: number | null;
    previous: { userId: string; expiresAt: number; lastUsedAt: number | null } | null;
  } | null> {
    const client = await this.ctx.store.credentials.findClientByAccount(accountId);
    if (!client) return null;
    const previous = client.previous;
    return {
      userId: client.clientId,
      password: unseal(unsealingKeys(this.ctx), client.secretCipher, aad(accountId)),
      createdAt: client.createdAt,
      lastUsedAt: client.lastUsedAt,
      previous:
        previous && this.ctx.clock.now() < previous.until
          ? { userId: previous.clientId, expiresAt: previous.until, lastUsedAt: previous.lastUsedAt }
          : null,
    };
  }

  #find(clientId: string): ClientRecord | null | Promise<ClientRecord | null> {
    const useCache = this.ctx.bus.healthy();
    const cached = useCache ? this.#byId.get(clientId, this.ctx.clock.now()) : undefined;
    if (cached !== undefined) return cached;
    return this.#load(clientId, useCache);
  }

  async #load(clientId: string, useCache: boolean): Promise<ClientRecord | null> {
    const generation = this.#generation;
    const client = await this.ctx.store.credentials.findClientById(clientId);
    // Unknown ids are not cached: a flood of random ids must not evict the real ones.
    if (client && useCache && generation === this.#generation)
      this.#byId.set(clientId, client, this.ctx.clock.now());
    return client;
  }
}
