import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ADMIN_PASSWORD, createTestApp, signIn } from '../helpers/app.js';
import { startTestServer } from '../helpers/server.js';

/** The address the server took a sign-in from, as its audit log says, for each TRUST_PROXY. */
async function addressSeen(
  trustProxy: boolean | number | string[],
  remoteAddress: string,
  forwardedFor?: string,
): Promise<string | null> {
  const t = await createTestApp({ trustProxy });
  try {
    const login = await t.app.inject({
      method: 'POST',
      url: '/api/admin/login',
      remoteAddress,
      headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
      payload: { username: 'admin', password: ADMIN_PASSWORD },
    });
    assert.equal(login.statusCode, 200, login.body);
    const admin = await signIn(t);
    const events = (
      await t.app.inject({ method: 'GET', url: '/api/admin/audit?limit=10', headers: admin.headers })
    ).json() as { action: string; address: string | null }[];
    // Newest first: the second sign-in (the test's own) is first, the one under test second.
    return events.filter((e) => e.action === 'operator.signed-in')[1]?.address ?? null;
  } finally {
    await t.close();
  }
}

test('TRUST_PROXY: none, every hop, the nearest N, or proxies by address; a client cannot choose its address past them', async () => {
  // false: the socket's peer, whatever the header says.
  assert.equal(await addressSeen(false, '10.0.0.2', '6.6.6.6'), '10.0.0.2');
  // true: the left-most address, which a client sets itself when the proxy appends to the header.
  assert.equal(await addressSeen(true, '10.0.0.2', '6.6.6.6, 7.7.7.7'), '6.6.6.6');
  // One proxy: the address it saw, not what the client wrote before it.
  assert.equal(await addressSeen(1, '10.0.0.2', '6.6.6.6, 7.7.7.7'), '7.7.7.7');
  assert.equal(await addressSeen(2, '10.0.0.2', '6.6.6.6, 7.7.7.7, 8.8.8.8'), '7.7.7.7');
  // By address: hops inside the networks are proxies; the first one outside is the client.
  assert.equal(await addressSeen(['10.0.0.0/8'], '10.0.0.2', '6.6.6.6, 7.7.7.7, 10.1.2.3'), '7.7.7.7');
  assert.equal(
    await addressSeen(['10.0.0.0/8'], '192.168.1.5', '6.6.6.6'),
    '192.168.1.5',
    'a peer that is not a proxy is the client, whatever it sends',
  );
});

test('ADMIN_NETWORKS: the admin API and its sign-in answer those addresses alone; the APIs of accounts any', async () => {
  const t = await createTestApp({ adminNetworks: ['10.0.0.0/8', '::1'], trustProxy: 1 });
  try {
    const login = (remoteAddress: string, forwardedFor?: string) =>
      t.app.inject({
        method: 'POST',
        url: '/api/admin/login',
        remoteAddress,
        headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
        payload: { username: 'admin', password: ADMIN_PASSWORD },
      });
    // Behind one proxy: the address it saw decides, not the proxy's own.
    const outside = await login('10.0.0.2', '203.0.113.9');
    assert.equal(outside.statusCode, 403, outside.body);
    assert.equal(outside.json().detail, 'the admin API does not answer 203.0.113.9 (ADMIN_NETWORKS)');
    assert.equal((await login('10.0.0.2', '10.20.30.40')).statusCode, 200);
    assert.equal((await login('::1')).statusCode, 200);
    assert.equal((await login('::ffff:10.1.1.1')).statusCode, 200, 'an IPv4 client of a dual-stack socket');
    const session = await t.app.inject({
      method: 'GET',
      url: '/api/admin/session',
      remoteAddress: '192.0.2.1',
    });
    assert.equal(session.statusCode, 403, 'refused before any credential is read');
    // The accounts' APIs and the health checks do not change.
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '192.0.2.1' })).statusCode,
      200,
    );
    assert.equal(
      (await t.app.inject({ method: 'GET', url: '/.well-known/jwks.json', remoteAddress: '192.0.2.1' }))
        .statusCode,
      200,
    );
  } finally {
    await t.close();
  }
});

test('a node started with TRUST_PROXY=true warns that a client can write the address it is judged by', async () => {
  for (const [setting, warns] of [
    ['true', true],
    ['1', false],
  ] as const) {
    const node = await startTestServer({ TRUST_PROXY: setting });
    try {
      const warning = node.logs.filter((line) => line.includes('TRUST_PROXY=true believes'));
      assert.equal(warning.length, warns ? 1 : 0, `TRUST_PROXY=${setting}`);
    } finally {
      await node.stop();
    }
  }
});
