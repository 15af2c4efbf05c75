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
export class DpopService {
  readonly #headers = new BoundedMap<string, DpopHeaderKey>(10_000);
  /** Proofs this node has taken lately: a replay to this node is refused without asking the store. */
  readonly #taken = new BoundedMap<string, true>(100_000);

  constructor(private readonly ctx: ServiceContext) {}

  /**
   * The thumbprint (`jkt`) of the key that signed `proof`, once the proof holds for `request` and was never used
   * before; throws DpopRefused with the reason otherwise. With `boundTo`, a proof of another key is refused before
   * its signature is verified.
   */
  async check(proof: string, request: Omit<DpopRequest, 'now'>, boundTo?: string): Promise<string> {
    const now = this.ctx.clock.now();
    const headers = this.#headers;
    const checked = await checkDpopProof(
      proof,
      { ...request, now, ...(boundTo === undefined ? {} : { boundTo }) },
      { get: (header) => headers.get(header), set: (header, key) => headers.set(header, key) },
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
