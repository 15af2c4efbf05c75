import { sign } from 'node:crypto';
import { answerEach, TurnBatch } from '../core/turn-batch.js';
import type { LoadedSigningKey } from './signing-keys.js';

/** Signs one JWS signing input with the key's algorithm; the signature in base64url (RFC 7515 §5.1). */
function signInput({ key, input }: { key: LoadedSigningKey; input: string }): string {
  const signature = sign(
    key.alg === 'EdDSA' ? null : 'sha256',
    Buffer.from(input),
    key.alg === 'EdDSA' ? key.privateKey : { key: key.privateKey, dsaEncoding: 'ieee-p1363' },
  );
  return signature.toString('base64url');
}

/**
 * Signs the requests that arrive in one turn of the event loop together, one after another, once the
 * turn's input has been read. A signature costs far less when the one before it has just run: the
 * curve's tables and code are still in the processor's caches. A lone request waits for nothing but
 * the end of its turn. A signature that fails fails its own request only.
 */
export class BatchSigner {
  readonly #batch = new TurnBatch<{ key: LoadedSigningKey; input: string }, string>((batch) =>
    answerEach(batch, signInput),
  );

  sign(key: LoadedSigningKey, input: string): Promise<string> {
    return this.#batch.add({ key, input });
  }
}
