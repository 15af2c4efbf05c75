import { answerEach, TurnBatch } from '../core/turn-batch.js';
import type { SigningPlace } from './context.js';
import { ed25519Library, type SigningKey, signJws } from './jws-signing.js';
import { SigningThread, type ThreadKey } from './signing-thread.js';

/**
 * Signs access tokens where `place` says; a signature that fails fails its own request only.
 *
 * - `event-loop`: the requests that arrive in one turn of the event loop are signed together, one after
 *   another, once the turn's input has been read. A signature costs far less when the one before it has
 *   just run: the signing code and tables are still in the processor's caches (signed each in its own
 *   request instead, an Ed25519 token cost 92 µs of CPU against 52). A lone request waits for nothing but the
 *   end of its turn. Ed25519 goes through libsodium (`signJws`).
 * - `thread`: the same batches, signed on a thread of its own (SigningThread), so that the signatures run on
 *   another core than the requests.
 */
export class TokenSigner {
  readonly #sign: (key: ThreadKey, input: string) => Promise<string>;
  readonly #thread: SigningThread | null;

  constructor(
    place: SigningPlace = 'event-loop',
    options: {
      library?: 'libsodium' | 'node';
      onThreadStop?: (why: string, restartInMs: number) => void;
    } = {},
  ) {
    const library = options.library ?? ed25519Library;
    if (place === 'thread') {
      const thread = new SigningThread(options.onThreadStop ? { onStop: options.onThreadStop } : {});
      this.#thread = thread;
      this.#sign = (key, input) => thread.sign(key, input);
    } else {
      const batch = new TurnBatch<{ key: SigningKey; input: string }, string>((waiting) =>
        answerEach(waiting, ({ key, input }) => signJws(key, input, library)),
      );
      this.#thread = null;
      this.#sign = (key, input) => batch.add({ key, input });
    }
  }

  sign(key: ThreadKey, input: string): Promise<string> {
    return this.#sign(key, input);
  }

  /** Ends the signing thread, if there is one. */
  async close(): Promise<void> {
    await this.#thread?.close();
  }
}
