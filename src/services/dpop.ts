import { createHmac, timingSafeEqual } from 'node:crypto';
import { checkDpopProof, type DpopHeaderKey, DpopRefused, type DpopRequest } from '../core/auth/dpop.js';
import { BoundedMap } from '../core/bounded-map.js';
import type { ServiceContext } from './context.js';
import { verifyEd25519 } from './jws-signing.js';

/**
 * DPoP proofs (RFC 9449) at the token endpoint and at the v2 APIs: each is checked against its request and taken
 * once on every node — its jti is kept in the store (as signed client assertions' are) until the proof would be too
 * old anyway, so a proof copied off the wire is refused by every node. The headers of proofs (the client's public
 * key) are checked once and kept by their exact text.
 */
/** A nonce names its minute, and is taken until the end of the next one. */
const NONCE_SLOT_MS = 60_000;

export class DpopService {
  readonly #headers = new BoundedMap<string, DpopHeaderKey>(10_000);
  /** Proofs this node has taken lately: a replay to this node is refused without asking the store. */
  readonly #taken = new BoundedMap<string, true>(100_000);

  /** DPOP_NONCE: the key of the nonces this server gives out, the same on every node (from the master key). */
  readonly #nonceKey: Buffer | null;
  /**
   * During a master key rotation, the key of the nodes not yet restarted, whose nonces are taken too: a client sent
   * to one node, then another, is not told to use another nonce at each call.
   */
  readonly #previousNonceKey: Buffer | null;
  #current = { slot: -1, nonce: '' };

  constructor(private readonly ctx: ServiceContext) {
    const keyOf = (master: Buffer) => createHmac('sha256', master).update('dpop-nonce').digest();
    this.#nonceKey = ctx.settings.dpopNonce ? keyOf(ctx.masterKey) : null;
    this.#previousNonceKey =
      ctx.settings.dpopNonce && ctx.previousMasterKey ? keyOf(ctx.previousMasterKey) : null;
  }

  /**
   * The nonce a DPoP client is to put in its next proofs (DPOP_NONCE, RFC 9449 §8–9), given out in `DPoP-Nonce`; null
   * without DPOP_NONCE. It names its minute and is taken until the end of the next one, on every node (an HMAC
   * under a key drawn from the master key: nothing is stored).
   */
  nonce(): string | null {
    if (this.#nonceKey === null) return null;
    const slot = Math.floor(this.ctx.clock.now() / NONCE_SLOT_MS);
    if (this.#current.slot !== slot) this.#current = { slot, nonce: this.#nonceOf(slot, this.#nonceKey) };
    return this.#current.nonce;
  }

  #nonceOf(slot: number, key: Buffer): string {
    const minute = Buffer.alloc(6);
    minute.writeUIntBE(slot, 0, 6);
    const mac = createHmac('sha256', key).update(minute).digest().subarray(0, 16);
    return Buffer.concat([minute, mac]).toString('base64url');
  }

  /** Whether `value` is a nonce of this minute or the last one, under the key or, during a rotation, the previous. */
  #isNonce(value: unknown): boolean {
    return (
      (this.#nonceKey !== null && this.#takes(value, this.#nonceKey)) ||
      (this.#previousNonceKey !== null && this.#takes(value, this.#previousNonceKey))
    );
  }

  /** Whether `value` is a nonce of this minute or the last one under `key`. */
  #takes(value: unknown, key: Buffer): boolean {
    if (typeof value !== 'string' || value.length !== 30) return false;
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length !== 22) return false;
    const slot = bytes.readUIntBE(0, 6);
    const now = Math.floor(this.ctx.clock.now() / NONCE_SLOT_MS);
    if (slot !== now && slot !== now - 1) return false;
    return timingSafeEqual(Buffer.from(this.#nonceOf(slot, key), 'base64url'), bytes);
  }

  /**
   * The thumbprint (`jkt`) of the key that signed `proof`, once the proof holds for `request` and was never used
   * before; throws DpopRefused with the reason otherwise. With `boundTo`, a proof of another key is refused before
   * its signature is verified.
   */
  async check(proof: string, request: Omit<DpopRequest, 'now'>, boundTo?: string): Promise<string> {
    const now = this.ctx.clock.now();
    const checked = await checkDpopProof(
      proof,
      {
        ...request,
        now,
        ...(boundTo === undefined ? {} : { boundTo }),
        ...(this.#nonceKey === null ? {} : { nonce: (value: unknown) => this.#isNonce(value) }),
      },
      this.#headers,
      verifyEd25519,
    );
    const id = `${checked.jkt}:${checked.jti}`;
    if (
      this.#taken.get(id) !== undefined ||
      !(await this.ctx.store.tokens.useClientAssertion(`dpop:${checked.jkt}`, checked.jti, checked.keepUntil))
    )
      throw new DpopRefused('the proof was used already (its jti): make a new one per request');
    this.#taken.set(id, true);
    return checked.jkt;
  }
}
