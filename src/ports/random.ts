/** Cryptographically strong randomness, injected so tests can fix it. */
export interface Random {
  bytes(size: number): Buffer;
  uuid(): string;
}
