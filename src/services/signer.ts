import { type KeyObject, type SignKeyObjectInput, sign } from 'node:crypto';
import { answerEach, TurnBatch } from '../core/turn-batch.js';
import type { LoadedSigningKey } from './signing-keys.js';

/** The digest and key arguments of `crypto.sign` for a key's JWS algorithm. */
function signArguments(key: LoadedSigningKey): [string | null, KeyObject | SignKeyObjectInput] {
  return key.alg === 'EdDSA'
    ? [null, key.privateKey]
    : ['sha256', { key: key.privateKey, dsaEncoding: 'ieee-p1363' }];
}

/** Signs one JWS signing input with the key's algorithm; the signature in base64url (RFC 7515 §5.1). */
function signInput({ key, input }: { key: LoadedSigningKey; input: string }): string {
  const [digest, privateKey] = signArguments(key);
  return sign(digest, Buffer.from(input), privateKey).toString('base64url');
}

/** The same, computed on libuv's thread pool: the event loop only hands the work over and takes the result. */
function signOnThreadPool(key: LoadedSigningKey, input: string): Promise<string> {
  const [digest, privateKey] = signArguments(key);
  return new Promise((resolve, reject) => {
    sign(digest, Buffer.from(input), privateKey, (error, signature) => {
      if (error) reject(error);
      else resolve(signature.toString('base64url'));
    });
  });
}

/**
 * Signs access tokens, in one of two places:
 *
 * - `event-loop`: the requests that arrive in one turn of the event loop are signed together, one after
 *   another, once the turn's input has been read. A signature costs far less when the one before it has
 *   just run: the curve's tables and code are still in the processor's caches. A lone request waits for
 *   nothing but the end of its turn. The cheapest in CPU per token: the choice for a process that has one
 *   core.
 * - `threads`: each signature runs on libuv's thread pool (4 threads unless `UV_THREADPOOL_SIZE` says
 *   otherwise), so the signatures of a burst run on the other cores while the event loop goes on with
 *   requests. Each costs a little more CPU (the hand-over, colder caches), but a node with two cores or
 *   more issues more tokens per second, and a burst of token requests no longer holds up the others.
 *
 * Either way, a signature that fails fails its own request only.
 */
export class TokenSigner {
  readonly #batch = new TurnBatch<{ key: LoadedSigningKey; input: string }, string>((batch) =>
    answerEach(batch, signInput),
  );

  constructor(readonly place: 'event-loop' | 'threads' = 'event-loop') {}

  sign(key: LoadedSigningKey, input: string): Promise<string> {
    return this.place === 'threads' ? signOnThreadPool(key, input) : this.#batch.add({ key, input });
  }
}
