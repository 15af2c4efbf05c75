import assert from 'node:assert/strict';
import { generateKeyPairSync, randomUUID, sign } from 'node:crypto';
import { test } from 'node:test';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { checkDpopProof, type DpopHeaderKey, DpopRefused } from '../../src/core/auth/dpop.js';

const NOW = Date.UTC(2026, 10, 28, 12, 0, 0);
const URL_ = 'https://api.example.test/v2/context/document/a/ns/s1';
const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A P-256 key and proofs it signs by hand (so that any header or signature can be made). */
function client() {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const proof = (
    claims: Record<string, unknown> = {},
    header: Record<string, unknown> = {},
    signature?: string,
  ) => {
    const input = `${part({ typ: 'dpop+jwt', alg: 'ES256', jwk, ...header })}.${part({
      jti: randomUUID(),
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(NOW / 1000),
      ...claims,
    })}`;
    const signed = sign('sha256', Buffer.from(input), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    return `${input}.${signature ?? signed.toString('base64url')}`;
  };
  return { jwk, proof };
}

const cache = () => {
  const map = new Map<string, DpopHeaderKey>();
  return { map, get: (h: string) => map.get(h), set: (h: string, v: DpopHeaderKey) => void map.set(h, v) };
};
const refused = (why: RegExp) => (error: unknown) => error instanceof DpopRefused && why.test(error.message);

test('a proof that holds answers its key thumbprint and how long its jti must be kept; its header is kept', async () => {
  const { jwk, proof } = client();
  const headers = cache();
  const checked = await checkDpopProof(proof(), { method: 'GET', url: URL_, now: NOW }, headers);
  assert.equal(checked.jkt, await calculateJwkThumbprint(jwk));
  assert.equal(checked.keepUntil, NOW + 360_000);
  assert.equal(headers.map.size, 1);
});

test('a header is kept only once a signature verified with it: junk signatures cannot fill the cache', async () => {
  const { proof } = client();
  const headers = cache();
  for (let i = 0; i < 20; i++)
    await assert.rejects(
      checkDpopProof(proof({}, { pad: i }, 'A'.repeat(86)), { method: 'GET', url: URL_, now: NOW }, headers),
      refused(/signature does not verify/),
    );
  assert.equal(headers.map.size, 0);
});

test('a proof of another key than the token is bound to is refused before its signature is looked at', async () => {
  const { proof } = client();
  const other = client();
  await assert.rejects(
    checkDpopProof(
      proof({}, {}, 'not-even-a-signature'),
      { method: 'GET', url: URL_, now: NOW, boundTo: await calculateJwkThumbprint(other.jwk) },
      cache(),
    ),
    refused(/another key than the one the token is bound to/),
  );
});

test('an htu or a request URL that does not parse never compares equal', async () => {
  const { proof } = client();
  await assert.rejects(
    checkDpopProof(
      proof({ htu: 'not a url' }),
      { method: 'GET', url: 'not a url either', now: NOW },
      cache(),
    ),
    refused(/htu is not/),
  );
});

test("a key's own alg must be the header's; a long header, a huge RSA key are refused", async () => {
  const { jwk, proof } = client();
  await assert.rejects(
    checkDpopProof(
      proof({}, { jwk: { ...jwk, alg: 'RS256' } }),
      { method: 'GET', url: URL_, now: NOW },
      cache(),
    ),
    refused(/is not its key's \(RS256\)/),
  );
  await assert.rejects(
    checkDpopProof(proof({}, { pad: 'x'.repeat(2_100) }), { method: 'GET', url: URL_, now: NOW }, cache()),
    refused(/header is too long/),
  );
  const big = generateKeyPairSync('rsa', { modulusLength: 4_160 });
  const input = `${part({ typ: 'dpop+jwt', alg: 'RS256', jwk: big.publicKey.export({ format: 'jwk' }) })}.${part(
    {
      jti: 'j',
      htm: 'GET',
      htu: URL_,
      iat: Math.floor(NOW / 1000),
    },
  )}`;
  const signed = `${input}.${sign('sha256', Buffer.from(input), big.privateKey).toString('base64url')}`;
  await assert.rejects(
    checkDpopProof(signed, { method: 'GET', url: URL_, now: NOW }, cache()),
    refused(/more than 4096 bits/),
  );
});

test('the claims are checked before the signature: a proof for another request or without its nonce costs none', async () => {
  const { proof } = client();
  const headers = cache();
  const badSignature = 'A'.repeat(86);
  const request = { method: 'GET', url: URL_, now: NOW };
  await assert.rejects(
    checkDpopProof(proof({ htm: 'POST' }, {}, badSignature), request, headers),
    refused(/htm/),
  );
  await assert.rejects(
    checkDpopProof(proof({}, {}, badSignature), { ...request, nonce: () => false }, headers),
    (error: unknown) => error instanceof Error && error.name === 'DpopNonceRequired',
  );
  // A proof whose claims hold still needs its signature, and its header is not kept without one.
  await assert.rejects(
    checkDpopProof(proof({}, {}, badSignature), { ...request, nonce: () => true }, headers),
    refused(/signature does not verify/),
  );
  assert.equal(headers.map.size, 0);
});
