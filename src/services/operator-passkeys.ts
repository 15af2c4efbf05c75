import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type {
  AuthenticationResponseJSON,
  AuthenticatorTransport,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
  VerifiedAuthenticationResponse,
} from '@simplewebauthn/server';
import { AppError } from '../core/errors.js';
import type { OperatorPasskeyRecord } from '../ports/operator-store.js';
import type { ServiceContext } from './context.js';
import { unsealingKeys } from './master-key.js';

/** How long the browser has to answer a passkey request (also its challenge's life). */
export const PASSKEY_TIMEOUT_MS = 5 * 60_000;
/** An operator's passkeys at most: each sign-in lists them all to the browser. */
export const MAX_PASSKEYS = 20;

/**
 * The WebAuthn library, loaded at the first passkey asked for: it is a quarter of a second of a process's start
 * (with its CBOR and certificate parsers), which every CLI command and every node would otherwise pay.
 */
let webauthn: Promise<typeof import('@simplewebauthn/server')> | undefined;
const library = () => {
  webauthn ??= import('@simplewebauthn/server');
  return webauthn;
};

/** What a challenge was made for: one made to add a passkey does not sign anyone in, nor the other way round. */
/** `passwordless`: a sign-in with the passkey alone, made for nobody in particular (the passkey names its operator). */
const PURPOSE = { register: 1, signIn: 2, passwordless: 3 } as const;
type Purpose = keyof typeof PURPOSE;

/** A challenge's bytes: purpose (1), expiry in ms (6), nonce (16), MAC (16). */
const NONCE = 16;
const MAC = 16;
const CHALLENGE_BYTES = 1 + 6 + NONCE + MAC;

/** A passkey as its operator sees it. */
export interface PasskeyView {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

/** Where passkeys are bound: the relying party (WebAuthn's RP ID) and the one origin the browser answers from. */
interface RelyingParty {
  id: string;
  origin: string;
}

/**
 * Operators' passkeys (WebAuthn, with `@simplewebauthn/server`), a second factor of sign-in beside one-time codes.
 * They are bound to the host of ISSUER (the RP ID) and answered from ISSUER's origin, where the web app is served;
 * an ISSUER named by an IP address cannot hold them (WebAuthn needs a domain name, `localhost` included).
 *
 * Challenges are kept by no node: each is a nonce with its purpose and expiry, bound to the operator's name by a MAC
 * under a key derived from the master key, so any node checks what another issued. Each is accepted once, through
 * the rate-limit store (with REDIS_URL, once in the whole cluster; else once on each node, where a passkey's
 * signature counter, when it keeps one, still refuses the same answer twice).
 */
export class OperatorPasskeys {
  readonly #party: RelyingParty | null;
  readonly #unavailable: string | null;
  /** The keys challenges are made under (the first) and checked under (any), derived once. */
  readonly #keys: Buffer[];

  constructor(private readonly ctx: ServiceContext) {
    this.#keys = challengeKeys(ctx);
    const issuer = URL.canParse(ctx.settings.issuer) ? new URL(ctx.settings.issuer) : null;
    const host = issuer?.hostname.replace(/^\[|\]$/g, '') ?? '';
    if (!issuer || host === '' || isIP(host) !== 0) {
      this.#party = null;
      this.#unavailable =
        `passkeys need the server named by a domain name: ISSUER is ${ctx.settings.issuer}, and a browser ` +
        'keeps no passkey for an IP address (set ISSUER to the address operators open, such as https://orchestrator.example.com)';
    } else {
      this.#party = { id: host, origin: issuer.origin };
      this.#unavailable = null;
    }
  }

  /** Whether passkeys can be added on this server, and why not. */
  get availability(): { available: boolean; reason: string | null } {
    return { available: this.#party !== null, reason: this.#unavailable };
  }

  async list(username: string): Promise<PasskeyView[]> {
    return (await this.ctx.store.operators.listPasskeys(username)).map(view);
  }

  async has(username: string): Promise<boolean> {
    return (await this.ctx.store.operators.listPasskeys(username)).length > 0;
  }

  /** The browser's options to create a passkey for the operator (navigator.credentials.create). */
  async registrationOptions(username: string): Promise<PublicKeyCredentialCreationOptionsJSON> {
    const party = this.#needParty();
    const existing = await this.ctx.store.operators.listPasskeys(username);
    if (existing.length >= MAX_PASSKEYS)
      throw new AppError(
        'conflict',
        `you have ${MAX_PASSKEYS} passkeys, the most there can be: remove one first`,
      );
    const { generateRegistrationOptions } = await library();
    return generateRegistrationOptions({
      rpName: 'Conversation Orchestrator',
      rpID: party.id,
      userName: username,
      userDisplayName: username,
      userID: this.#userHandle(username),
      challenge: this.#challenge('register', username),
      timeout: PASSKEY_TIMEOUT_MS,
      attestationType: 'none',
      excludeCredentials: existing.map(descriptor),
      authenticatorSelection: { residentKey: 'preferred', userVerification: 'preferred' },
    });
  }

  /** Checks the browser's answer to `registrationOptions` and keeps the passkey under `name`. */
  async register(username: string, name: string, response: RegistrationResponseJSON): Promise<PasskeyView> {
    const party = this.#needParty();
    const { verifyRegistrationResponse } = await library();
    const checked = await this.#verified('register', username, () =>
      verifyRegistrationResponse({
        response,
        expectedChallenge: (challenge) => this.#accept('register', username, challenge),
        expectedOrigin: party.origin,
        expectedRPID: party.id,
        requireUserVerification: false,
      }),
    );
    if (!checked.verified) throw refused();
    const { credential } = checked.registrationInfo;
    const record: OperatorPasskeyRecord = {
      id: credential.id,
      username,
      name,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      counter: credential.counter,
      transports: credential.transports ?? [],
      createdAt: this.ctx.clock.now(),
      lastUsedAt: null,
    };
    if (!(await this.ctx.store.operators.addPasskey(record)))
      throw new AppError('conflict', 'this passkey is registered already');
    return view(record);
  }

  /** The browser's options to sign in with one of the operator's passkeys; null when they have none. */
  async signInOptions(username: string): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    const passkeys = await this.ctx.store.operators.listPasskeys(username);
    if (passkeys.length === 0 || this.#party === null) return null;
    const { generateAuthenticationOptions } = await library();
    return generateAuthenticationOptions({
      rpID: this.#party.id,
      allowCredentials: passkeys.map(descriptor),
      challenge: this.#challenge('signIn', username),
      timeout: PASSKEY_TIMEOUT_MS,
      userVerification: 'preferred',
    });
  }

  /** Whether `response` is a right answer of one of the operator's passkeys to a challenge made for them; its name. */
  async accept(username: string, response: AuthenticationResponseJSON): Promise<string | null> {
    const passkey = (await this.ctx.store.operators.listPasskeys(username)).find((p) => p.id === response.id);
    if (!passkey) return null;
    return (await this.#answered(passkey, response, 'signIn', username, false)) ? passkey.name : null;
  }

  /**
   * The browser's options to sign in with a passkey alone: no username first, no passkey listed (the browser offers
   * those it keeps for this server), and the person verified by the authenticator (a PIN, a fingerprint, a face:
   * with the device, two factors). Null where passkeys cannot be used (an ISSUER that is an IP address).
   */
  async passwordlessOptions(): Promise<PublicKeyCredentialRequestOptionsJSON | null> {
    if (this.#party === null) return null;
    const { generateAuthenticationOptions } = await library();
    return generateAuthenticationOptions({
      rpID: this.#party.id,
      allowCredentials: [],
      challenge: this.#challenge('passwordless', ''),
      timeout: PASSKEY_TIMEOUT_MS,
      userVerification: 'required',
    });
  }

  /**
   * Whether `response` answers a `passwordlessOptions` challenge with a passkey kept here, its person verified: whose
   * it is and its name; null otherwise.
   */
  async acceptPasswordless(
    response: AuthenticationResponseJSON,
  ): Promise<{ username: string; name: string } | null> {
    const passkey = await this.ctx.store.operators.findPasskey(response.id);
    if (!passkey) return null;
    const ok = await this.#answered(passkey, response, 'passwordless', '', true);
    return ok ? { username: passkey.username, name: passkey.name } : null;
  }

  /**
   * Checks an answer of `passkey` to a challenge made for `purpose` and `challengeFor` (origin, RP ID, signature,
   * single use, counter), and records its use. The library's reason for a refusal goes to the log.
   */
  async #answered(
    passkey: OperatorPasskeyRecord,
    response: AuthenticationResponseJSON,
    purpose: Purpose,
    challengeFor: string,
    requireUserVerification: boolean,
  ): Promise<boolean> {
    const party = this.#party;
    if (party === null) return false;
    const { verifyAuthenticationResponse } = await library();
    let checked: VerifiedAuthenticationResponse;
    try {
      checked = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (challenge) => this.#accept(purpose, challengeFor, challenge),
        expectedOrigin: party.origin,
        expectedRPID: party.id,
        credential: {
          id: passkey.id,
          publicKey: Uint8Array.from(Buffer.from(passkey.publicKey, 'base64url')),
          counter: passkey.counter,
          transports: passkey.transports as AuthenticatorTransport[],
        },
        requireUserVerification,
      });
    } catch (error) {
      this.ctx.log.info({ purpose, reason: (error as Error).message }, 'a passkey answer was refused');
      return false;
    }
    if (!checked.verified) return false;
    const { newCounter } = checked.authenticationInfo;
    return this.ctx.store.operators.usePasskey(
      passkey.username,
      passkey.id,
      newCounter,
      this.ctx.clock.now(),
    );
  }

  remove(username: string, id: string): Promise<boolean> {
    return this.ctx.store.operators.deletePasskey(username, id);
  }

  removeAll(username: string): Promise<number> {
    return this.ctx.store.operators.deletePasskeys(username);
  }

  #needParty(): RelyingParty {
    if (this.#party === null) throw new AppError('conflict', this.#unavailable ?? undefined);
    return this.#party;
  }

  /** Runs a verification, answering what went wrong in words (the library's own message goes to the log). */
  async #verified<T>(purpose: Purpose, username: string, verify: () => Promise<T>): Promise<T> {
    try {
      return await verify();
    } catch (error) {
      this.ctx.log.info(
        { purpose, username, reason: (error as Error).message },
        'a passkey answer was refused',
      );
      throw refused();
    }
  }

  /** A new challenge: purpose, expiry and nonce, with a MAC over them and the operator's name. */
  #challenge(purpose: Purpose, username: string): Uint8Array<ArrayBuffer> {
    const body = Buffer.alloc(1 + 6 + NONCE);
    body.writeUInt8(PURPOSE[purpose], 0);
    body.writeUIntBE(this.ctx.clock.now() + PASSKEY_TIMEOUT_MS, 1, 6);
    this.ctx.random.bytes(NONCE).copy(body, 7);
    return Uint8Array.from(Buffer.concat([body, mac(this.#keys[0] as Buffer, username, body)]));
  }

  /**
   * Whether `challenge` (base64url, as the browser signed it) was made here for `purpose` and `username`, has not
   * expired, and is used now for the first time.
   */
  async #accept(purpose: Purpose, username: string, challenge: string): Promise<boolean> {
    const bytes = Buffer.from(challenge, 'base64url');
    if (bytes.length !== CHALLENGE_BYTES || bytes.readUInt8(0) !== PURPOSE[purpose]) return false;
    const body = bytes.subarray(0, CHALLENGE_BYTES - MAC);
    const given = bytes.subarray(CHALLENGE_BYTES - MAC);
    if (!this.#keys.some((key) => timingSafeEqual(mac(key, username, body), given))) return false;
    const now = this.ctx.clock.now();
    const expires = bytes.readUIntBE(1, 6);
    if (expires <= now) return false;
    const nonce = bytes.subarray(7, 7 + NONCE).toString('base64url');
    const { count } = await this.ctx.rateLimits.hit(`passkey-challenge:${nonce}`, expires - now + 1000, now);
    return count === 1;
  }

  /** The WebAuthn user handle: stable for the operator, and not their name (WebAuthn advises no personal data in it). */
  #userHandle(username: string): Uint8Array<ArrayBuffer> {
    return Uint8Array.from(mac(this.#keys[0] as Buffer, `user:${username}`, Buffer.alloc(0)));
  }
}

const view = ({ id, name, createdAt, lastUsedAt }: OperatorPasskeyRecord): PasskeyView => ({
  id,
  name,
  createdAt,
  lastUsedAt,
});

const descriptor = (p: OperatorPasskeyRecord) => ({
  id: p.id,
  transports: p.transports as AuthenticatorTransport[],
});

const refused = () =>
  new AppError(
    'validation_failed',
    "the passkey's answer does not verify, or its request expired or was used: start again",
  );

/** The keys challenges are made under (the first) and checked under (any): one for each master key in use. */
function challengeKeys(ctx: Pick<ServiceContext, 'masterKey' | 'previousMasterKey'>): Buffer[] {
  return unsealingKeys(ctx).map((key) =>
    Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), 'orchestrator passkey challenges', 32)),
  );
}

function mac(key: Buffer, username: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(username).update('\0').update(body).digest().subarray(0, MAC);
}
