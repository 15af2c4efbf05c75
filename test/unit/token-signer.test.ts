import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { TokenSigner } from '../../src/services/signer.js';
import type { LoadedSigningKey } from '../../src/services/signing-keys.js';

function key(alg: 'EdDSA' | 'ES256'): LoadedSigningKey {
  const pair =
    alg === 'EdDSA' ? generateKeyPairSync('ed25519') : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: alg, alg, ...pair, publicJwk: {} } as unknown as LoadedSigningKey;
}

function verifies(signer: LoadedSigningKey, input: string, signature: string): boolean {
  return verify(
    signer.alg === 'EdDSA' ? null : 'sha256',
    Buffer.from(input),
    signer.alg === 'EdDSA' ? signer.publicKey : { key: signer.publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
}

for (const place of ['event-loop', 'threads'] as const) {
  describe(`token signer on the ${place}`, () => {
    test('signatures asked for in one turn each sign their own input, whatever the key', async () => {
      const signer = new TokenSigner(place);
      const keys = [key('EdDSA'), key('ES256')];
      const asked = Array.from({ length: 40 }, (_, i) => ({
        k: keys[i % 2] as LoadedSigningKey,
        input: `input-${i}`,
      }));
      const signatures = await Promise.all(asked.map(({ k, input }) => signer.sign(k, input)));
      asked.forEach(({ k, input }, i) => {
        assert.ok(verifies(k, input, signatures[i] as string), `signature ${i} is for its input`);
        assert.ok(!verifies(k, `${input}x`, signatures[i] as string));
      });
    });

    test('a signature that fails rejects its own request only', async () => {
      const signer = new TokenSigner(place);
      const good = key('EdDSA');
      const broken = { ...good, privateKey: good.publicKey } as LoadedSigningKey;
      const results = await Promise.allSettled([
        signer.sign(good, 'a'),
        signer.sign(broken, 'b'),
        signer.sign(good, 'c'),
      ]);
      assert.equal(results[0].status, 'fulfilled');
      assert.equal(results[1].status, 'rejected');
      assert.equal(results[2].status, 'fulfilled');
      if (results[2].status === 'fulfilled') assert.ok(verifies(good, 'c', results[2].value));
    });

    test('requests of later turns are signed too', async () => {
      const signer = new TokenSigner(place);
      const k = key('EdDSA');
      for (let turn = 0; turn < 3; turn++) {
        const signature = await signer.sign(k, `turn-${turn}`);
        assert.ok(verifies(k, `turn-${turn}`, signature));
      }
    });
  });
}
