import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';

/**
 * A passkey in software, for the HTTP tests: it answers the server's WebAuthn options as a browser with a platform
 * authenticator would (WebAuthn Level 3 §6.1, §6.5; attestation "none"; an ES256 key), so the server's checks run
 * against real signatures. The browser tests use Chromium's own virtual authenticator.
 */
export class SoftPasskey {
  readonly id = randomBytes(16);
  readonly #key: { privateKey: KeyObject; publicKey: KeyObject };
  /** The signature counter; kept at 0 by authenticators that keep none (most passkeys). */
  counter: number;

  constructor(
    readonly origin: string,
    options: { counter?: number; key?: { privateKey: KeyObject; publicKey: KeyObject } } = {},
  ) {
    this.#key = options.key ?? generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.counter = options.counter ?? 0;
  }

  /** Another authenticator that claims this one's credential id, with a key of its own (a forgery). */
  impostor(): SoftPasskey {
    const other = new SoftPasskey(this.origin);
    this.id.copy(other.id);
    return other;
  }

  /** A copy of this authenticator, key and counter (a cloned one). */
  clone(): SoftPasskey {
    const copy = new SoftPasskey(this.origin, { counter: this.counter, key: this.#key });
    this.id.copy(copy.id);
    return copy;
  }

  get credentialId(): string {
    return this.id.toString('base64url');
  }

  /** The answer to creation options (`navigator.credentials.create`), as @simplewebauthn/browser gives it. */
  register(
    options: { challenge: string; rp: { id: string } },
    overrides: { origin?: string; rpId?: string } = {},
  ) {
    const clientDataJSON = this.#clientData('webauthn.create', options.challenge, overrides.origin);
    const jwk = this.#key.publicKey.export({ format: 'jwk' });
    const coseKey = cborMap([
      [1, 2], // kty: EC2
      [3, -7], // alg: ES256
      [-1, 1], // crv: P-256
      [-2, Buffer.from(jwk.x as string, 'base64url')],
      [-3, Buffer.from(jwk.y as string, 'base64url')],
    ]);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.id.length);
    const authData = Buffer.concat([
      this.#head(overrides.rpId ?? options.rp.id, 0x01 | 0x04 | 0x40),
      Buffer.alloc(16), // AAGUID: none
      idLength,
      this.id,
      coseKey,
    ]);
    const attestationObject = cborMap([
      ['fmt', 'none'],
      ['attStmt', { map: [] }],
      ['authData', authData],
    ]);
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        attestationObject: attestationObject.toString('base64url'),
        transports: ['internal'],
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  /**
   * The answer to request options (`navigator.credentials.get`), signed with this passkey's key; the person present
   * and, unless `verified: false` (a security key without a PIN), verified.
   */
  authenticate(
    options: { challenge: string; rpId?: string },
    overrides: { origin?: string; verified?: boolean } = {},
  ) {
    if (this.counter > 0) this.counter++;
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, overrides.origin);
    const flags = overrides.verified === false ? 0x01 : 0x01 | 0x04;
    const authData = this.#head(options.rpId ?? new URL(this.origin).hostname, flags);
    const signature = sign(
      'sha256',
      Buffer.concat([authData, createHash('sha256').update(clientDataJSON).digest()]),
      this.#key.privateKey,
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: clientDataJSON.toString('base64url'),
        authenticatorData: authData.toString('base64url'),
        signature: signature.toString('base64url'),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  #clientData(type: string, challenge: string, origin = this.origin): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** The RP ID's hash, the flags and the counter that begin the authenticator data. */
  #head(rpId: string, flags: number): Buffer {
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(this.counter);
    return Buffer.concat([createHash('sha256').update(rpId).digest(), Buffer.from([flags]), counter]);
  }
}

/** A CBOR value as these answers need them: integers, text, bytes and maps. */
type Cbor = number | string | Buffer | { map: [number | string, Cbor][] };

/** RFC 8949 encoding of a map (WebAuthn's COSE keys and attestation objects). */
function cborMap(entries: [number | string, Cbor][]): Buffer {
  return cbor({ map: entries });
}

function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([cborHead(3, bytes.length), bytes]);
  }
  if (Buffer.isBuffer(value)) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.map.length), ...value.map.flatMap(([k, v]) => [cbor(k), cbor(v)])]);
}

function cborHead(major: number, length: number): Buffer {
  if (length < 24) return Buffer.from([(major << 5) | length]);
  if (length < 256) return Buffer.from([(major << 5) | 24, length]);
  const head = Buffer.alloc(3);
  head[0] = (major << 5) | 25;
  head.writeUInt16BE(length, 1);
  return head;
}
