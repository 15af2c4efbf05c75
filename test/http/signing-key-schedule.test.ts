import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { decodeProtectedHeader } from 'jose';
import type { SigningKeyStore } from '../../src/ports/signing-key-store.js';
import { SCHEDULED_KEY_PUBLISH_DELAY_MS } from '../../src/services/maintenance.js';
import { SigningKeyring } from '../../src/services/signing-keys.js';
import {
  createAccount,
  createTestApp,
  getToken,
  maintainOnce,
  signIn,
  type TestApp,
} from '../helpers/app.js';

const DAY = 86_400_000;

describe('SIGNING_KEY_ROTATION_DAYS: a new signing key when the newest is that old', () => {
  let t: TestApp;
  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
  });
  after(async () => t.close());

  /** One maintenance pass, as every node runs it every 10 minutes, with the rotation set to `days`. */
  const maintain = (days: number) => maintainOnce(t, { signingKeyRotationMs: days * DAY });
  const published = async () =>
    (
      (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json() as {
        keys: { kid: string }[];
      }
    ).keys.map((k) => k.kid);
  const kidOf = (token: string) => decodeProtectedHeader(token).kid;

  test('the key is replaced on schedule: published an hour before it signs, the old one kept for its tokens, audited', async () => {
    const account = await createAccount(t);
    const first = kidOf(await getToken(t, account));
    await maintain(90);
    assert.deepEqual(await published(), [first], 'a young key stays');

    t.clock.advance(90 * DAY);
    await maintain(90);
    const keys = await published();
    assert.equal(keys.length, 2, 'the new key is published at once');
    const next = keys.find((kid) => kid !== first) as string;
    assert.equal(kidOf(await getToken(t, account)), first, 'and does not sign yet');

    t.clock.advance(SCHEDULED_KEY_PUBLISH_DELAY_MS - 60_000);
    const old = await getToken(t, account);
    assert.equal(kidOf(old), first);
    t.clock.advance(60_000);
    assert.equal(kidOf(await getToken(t, account)), next, 'it signs an hour later');
    assert.equal((await t.services.tokens.verify(old)).ok, true, "the old key's tokens still verify");
    await maintain(90);
    assert.equal((await published()).length, 2, 'one rotation per period');

    const admin = await signIn(t);
    const events = (
      await t.app.inject({ method: 'GET', url: '/api/admin/audit', headers: admin.headers })
    ).json() as {
      actor: string;
      action: string;
      detail: Record<string, unknown>;
    }[];
    const rotated = events.filter((e) => e.action === 'signing-key.rotated');
    assert.equal(rotated.length, 1);
    assert.equal(rotated[0]?.actor, 'schedule');
    assert.deepEqual(rotated[0]?.detail, {
      kid: next,
      alg: 'EdDSA',
      activatesAt: new Date(t.clock.now()).toISOString(),
      by: 'SIGNING_KEY_ROTATION_DAYS',
    });
    assert.ok(
      t.logs.some((line) => line.includes('made a new signing key (SIGNING_KEY_ROTATION_DAYS)')),
      'and said in the log',
    );
    // Monitoring sees when the newest key was made (an alert on its age finds a stalled rotation).
    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics' })).body;
    const made =
      (await t.ctx.store.signingKeys.listSigningKeys()).find((k) => k.kid === next)?.createdAt ?? 0;
    assert.match(
      metrics,
      new RegExp(`^orchestrator_signing_key_created_timestamp_seconds ${made / 1000}$`, 'm'),
    );

    // The retired key leaves the JWKS once its last token can have expired.
    t.clock.advance(DAY + 10 * 60_000);
    await maintain(90);
    t.bus.emit({ type: 'invalidate', topic: 'signing-keys', key: 'x' });
    assert.deepEqual(await published(), [next]);
  });

  test('with 0, never; an ES256 key is replaced by an ES256 key', async () => {
    const es = await t.services.keyring.rotate(0, 'ES256');
    t.clock.advance(3_650 * DAY);
    await maintain(0);
    assert.equal((await t.ctx.store.signingKeys.listSigningKeys()).at(-1)?.kid, es.kid, 'not by schedule');
    await maintain(30);
    const newest = (await t.ctx.store.signingKeys.listSigningKeys()).at(-1);
    assert.notEqual(newest?.kid, es.kid);
    assert.equal(newest?.alg, 'ES256', 'the algorithm chosen stays');
  });

  test('nodes that find the rotation due at once make one key, not one each', async () => {
    t.clock.advance(100 * DAY);
    const kids = async () => (await t.ctx.store.signingKeys.listSigningKeys()).map((k) => k.kid);
    const before = await kids();
    // Four nodes' keyrings over the one store, all asking in the same moment.
    const nodes = [t.services.keyring, ...[1, 2, 3].map(() => new SigningKeyring(t.ctx))];
    const made = await Promise.all(nodes.map((keyring) => keyring.rotateIfDue(30 * DAY, 0)));
    assert.equal(made.filter((key) => key !== null).length, 1, 'one node made it');
    assert.deepEqual(
      (await kids()).filter((kid) => !before.includes(kid)),
      made.filter((key) => key !== null).map((key) => key?.kid),
      'and one key was added',
    );
    // A rotation by hand racing with them still makes its key (it reads again).
    const byHand = t.services.keyring.rotate(0);
    const scheduled = new SigningKeyring(t.ctx).rotateIfDue(0, 0);
    const [manual] = await Promise.all([byHand, scheduled]);
    const after = await t.ctx.store.signingKeys.listSigningKeys();
    assert.equal(
      after.some((k) => k.kid === manual.kid),
      true,
    );
    // Whichever came second, the newest key is never retired by the other: one key signs, unretired.
    assert.equal(after.at(-1)?.retiredAt, null, 'the newest key stays');
    assert.equal(after.filter((k) => k.retiredAt === null).length, 1);

    // Another node's rotation lands between this rotation's key and its retiring the older ones: the other node's
    // key is newer, and stays.
    const store = t.ctx.store.signingKeys;
    let raced = false;
    const racing: SigningKeyStore = {
      addSigningKey: async (key, newestKid) => {
        const added = await store.addSigningKey(key, newestKid);
        if (added && !raced) {
          raced = true;
          await new SigningKeyring(t.ctx).rotate(0);
        }
        return added;
      },
      listSigningKeys: () => store.listSigningKeys(),
      retireSigningKey: (kid, at, removeAfter) => store.retireSigningKey(kid, at, removeAfter),
      deleteSigningKeysRemovedBefore: (now) => store.deleteSigningKeysRemovedBefore(now),
    };
    const first = await new SigningKeyring({
      ...t.ctx,
      store: { ...t.ctx.store, signingKeys: racing },
    }).rotate(0);
    const keys = await store.listSigningKeys();
    assert.notEqual(keys.at(-1)?.kid, first.kid, 'the other node made the newest key');
    assert.equal(keys.at(-1)?.retiredAt, null, 'and this rotation did not retire it');
  });
});
