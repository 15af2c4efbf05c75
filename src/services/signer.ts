import { sign } from 'node:crypto';
import type { LoadedSigningKey } from './signing-keys.js';

interface Pending {
  key: LoadedSigningKey;
  input: string;
  resolve: (signature: string) => void;
  reject: (error: unknown) => void;
}

/** Signs one JWS signing input with the key's algorithm; the signature in base64url (RFC 7515 §5.1). */
function signInput(key: LoadedSigningKey, input: string): string {
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
 * the end of its turn.
 */
export class BatchSigner {
  #queue: Pending[] = [];
  #scheduled = false;

  sign(key: LoadedSigningKey, input: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ key, input, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#drain());
      }
    });
  }

  #drain(): void {
    const batch = this.#queue;
    this.#queue = [];
    this.#scheduled = false;
    for (const item of batch) {
      try {
        item.resolve(signInput(item.key, item.input));
      } catch (error) {
        item.reject(error);
      }
    }
  }
}
