import assert from 'node:assert/strict';
import { generateKeyPairSync, verify } from 'node:crypto';
import { describe, test } from 'node:test';
import { ed25519Library, signJws } from '../../src/services/jws-signing.js';
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

for (const place of ['event-loop', 'thread'] as const) {
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
      const broken = { ...good, kid: 'broken', privateKey: good.publicKey } as LoadedSigningKey;
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

describe('Ed25519 through libsodium', () => {
  test('loads on the platforms the project is built on', () => {
    if (['linux', 'darwin', 'win32'].includes(process.platform) && ['x64', 'arm64'].includes(process.arch)) {
      assert.equal(ed25519Library, 'libsodium');
    }
  });

  test("signs into the very bytes Node's crypto signs (Ed25519 is deterministic)", () => {
    for (let i = 0; i < 20; i++) {
      const k = key('EdDSA');
      const input = `${'header'.repeat(i)}.claims-${i}`;
      const fast = signJws(k, input, 'libsodium');
      assert.equal(fast, signJws(k, input, 'node'));
      assert.ok(verifies(k, input, fast));
    }
  });

  test('each key signs with its own secret', () => {
    const [a, b] = [key('EdDSA'), key('EdDSA')];
    assert.ok(verifies(a, 'x', signJws(a, 'x', 'libsodium')));
    assert.ok(verifies(b, 'x', signJws(b, 'x', 'libsodium')));
    assert.ok(!verifies(b, 'x', signJws(a, 'x', 'libsodium')));
  });

  test('refuses a key that is not an Ed25519 private key', () => {
    const good = key('EdDSA');
    assert.throws(() => signJws({ alg: 'EdDSA', privateKey: good.publicKey }, 'x', 'libsodium'), /Ed25519/);
    assert.throws(
      () => signJws({ alg: 'EdDSA', privateKey: key('ES256').privateKey }, 'x', 'libsodium'),
      /Ed25519/,
    );
  });

  test('the signer on the event loop signs through Node when told to', async () => {
    const k = key('EdDSA');
    const [viaNode, viaSodium] = await Promise.all([
      new TokenSigner('event-loop', { library: 'node' }).sign(k, 'same input'),
      new TokenSigner('event-loop', { library: 'libsodium' }).sign(k, 'same input'),
    ]);
    assert.equal(viaNode, viaSodium);
  });
});
