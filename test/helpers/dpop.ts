import { createHash, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from 'jose';
import type { Clock } from '../../src/ports/clock.js';
import { type AccountCredentials, getToken, ISSUER, type TestApp } from './app.js';

/** A client's DPoP key pair (RFC 9449), with its public JWK as proofs carry it. */
export interface DpopKey {
  alg: string;
  privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  jwk: JWK;
}

export async function dpopKey(alg: 'ES256' | 'EdDSA' | 'RS256' | 'PS256' = 'ES256'): Promise<DpopKey> {
  const pair = await generateKeyPair(alg, alg === 'EdDSA' ? { crv: 'Ed25519' } : {});
  return { alg, privateKey: pair.privateKey, jwk: await exportJWK(pair.publicKey) };
}

/** What a proof says: its request, the token it goes with, and any claim or header member changed. */
export interface ProofOf {
  method: string;
  /** A path of the server's (the issuer is put before it), or a whole URL. */
  url: string;
  token?: string;
  claims?: JWTPayload;
  header?: Record<string, unknown>;
  /** Signed with this key instead of the one in the header. */
  signer?: DpopKey;
}

/** A DPoP proof by `key`, made at the test app's time (or, for a server of its own, the wall clock's). */
export function dpopProof(t: { clock: Clock }, key: DpopKey, of: ProofOf): Promise<string> {
  const url = of.url.startsWith('/') ? `${ISSUER}${of.url.split('?')[0]}` : of.url;
  const ath =
    of.token === undefined ? {} : { ath: createHash('sha256').update(of.token).digest('base64url') };
  return new SignJWT({
    jti: randomUUID(),
    htm: of.method,
    htu: url,
    iat: Math.floor(t.clock.now() / 1000),
    ...ath,
    ...of.claims,
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk: key.jwk, ...of.header } as never)
    .sign((of.signer ?? key).privateKey);
}

/** A token of `account` bound to `key`, from /oauth/token. */
export async function getDpopToken(
  t: TestApp,
  account: AccountCredentials,
  key: DpopKey,
  scope?: string,
): Promise<string> {
  return getToken(t, account, scope, {
    dpop: await dpopProof(t, key, { method: 'POST', url: '/oauth/token' }),
  });
}

/** The headers of a call with a bound token: `Authorization: DPoP` and a proof for this very request. */
export async function dpopHeaders(
  t: { clock: Clock },
  key: DpopKey,
  token: string,
  method: string,
  url: string,
): Promise<Record<string, string>> {
  return { authorization: `DPoP ${token}`, dpop: await dpopProof(t, key, { method, url, token }) };
}
