import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { postgresUnavailable, redisUnavailable } from '../contract/servers.js';
import { dpopKey, dpopProof } from '../helpers/dpop.js';
import { CLIENT_CERT_HEADER, certificate, clientCert, der } from '../helpers/mtls.js';
import { basic } from '../helpers/net.js';
import { type Cluster, ISSUER, Operator, quantile, type ServerNode, startCluster } from './cluster.js';

const TRIALS = 50;
const pki = (name: string) => fileURLToPath(new URL(`../fixtures/pki/${name}`, import.meta.url));

/** Asks `node` until `refused` holds; returns how long that took, failing after `limitMs`. */
async function timeUntil(
  probe: () => Promise<boolean>,
  limitMs: number,
  start = performance.now(),
): Promise<number> {
  for (;;) {
    if (await probe()) return performance.now() - start;
    if (performance.now() - start > limitMs) throw new Error(`still accepted after ${limitMs} ms`);
  }
}

const report = (what: string, samples: number[]) =>
  `${what}: n=${samples.length} p50=${quantile(samples, 0.5).toFixed(1)} ms p99=${quantile(samples, 0.99).toFixed(1)} ms max=${Math.max(...samples).toFixed(1)} ms`;

// Probed before any suite is declared: suites whose callbacks await run into the test runner's ordering rules.
const postgresReason = await postgresUnavailable();
const redisReason = postgresReason ?? (await redisUnavailable());

for (const mode of ['postgres', 'postgres+redis'] as const) {
  describe(`two nodes over one PostgreSQL (${mode === 'postgres' ? 'LISTEN/NOTIFY bus' : 'Redis bus and rate limits'})`, () => {
    const reason = mode === 'postgres' ? postgresReason : redisReason;
    let cluster: Cluster;
    let a: ServerNode;
    let b: ServerNode;
    let operator: Operator;
    before(async () => {
      if (reason) return;
      // The nodes take client certificates from 127.0.0.1, as from the TLS proxy in front, and those a CA issues.
      cluster = await startCluster({
        redis: mode === 'postgres+redis',
        env: {
          CLIENT_CERT_HEADER: CLIENT_CERT_HEADER,
          CLIENT_CERT_PROXIES: '127.0.0.1',
          CLIENT_CA_FILE: pki('issuing.pem'),
          CLIENT_CRL_FILE: pki('crl.pem'),
        },
      });
      [a, b] = cluster.nodes as [ServerNode, ServerNode];
      operator = await Operator.signIn(a);
    });
    after(async () => {
      if (!reason) await cluster.close();
    });
    const it = (name: string, fn: (t: test.TestContext) => Promise<void>) =>
      reason ? test(name, { skip: reason }, () => {}) : test(name, { timeout: 120_000 }, fn);

    it(`refuses on B a key regenerated on A within 1 s (${TRIALS} trials, p50/p99 printed)`, async (t) => {
      const account = await operator.createAccount(a, 'keys-propagation');
      let key = account.apiKey;
      const listOn = (node: ServerNode, apiKey: string) =>
        node.request('GET', '/v1/account/keys-propagation', { headers: { 'maven-api-key': apiKey } });
      const fromAck: number[] = [];
      const fromRequest: number[] = [];
      for (let trial = 0; trial < TRIALS; trial++) {
        // B has just verified the key, so a cache would hold it.
        assert.equal((await listOn(b, key)).status, 200, 'current key accepted on B');
        assert.equal((await listOn(b, key)).status, 200);
        const requested = performance.now();
        const regenerated = await operator.call(
          a,
          'POST',
          '/api/admin/accounts/keys-propagation/api-key/regenerate',
          {},
        );
        const acknowledged = performance.now();
        assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
        const refusedAfter = await timeUntil(
          async () => (await listOn(b, key)).status === 401,
          1_000,
          acknowledged,
        );
        fromAck.push(refusedAfter);
        fromRequest.push(refusedAfter + (acknowledged - requested));
        key = (regenerated.body as { key: string }).key;
      }
      assert.equal((await listOn(b, key)).status, 200, 'the newest key works on B');
      const lines = [
        report(`[${mode}] old key refused on B, after A acknowledged`, fromAck),
        report(`[${mode}] old key refused on B, after the regeneration was requested`, fromRequest),
      ];
      for (const line of lines) {
        console.log(line);
        t.diagnostic(line);
      }
      assert.ok(Math.max(...fromAck) < 1_000);
    });

    it('verifies on B a token issued by A, and refuses it once A regenerates the credentials', async (t) => {
      const account = await operator.createAccount(a, 'tokens-propagation');
      const login = await a.request('POST', '/v2/authenticate/login', {
        headers: { authorization: basic(account.userId, account.password) },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const token = (login.body as { access_token: string }).access_token;
      const bearer = { authorization: `Bearer ${token}` };
      const created = await b.request('POST', '/v2/context/document/create', {
        headers: bearer,
        json: { accountId: 'tokens-propagation', nameSpace: 'ns', sessionId: 's1', payload: { from: 'B' } },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const read = () =>
        b.request('GET', '/v2/context/document/tokens-propagation/ns/s1', { headers: bearer });
      assert.equal((await read()).status, 200);
      assert.equal((await read()).status, 200);
      const regenerated = await operator.call(
        a,
        'POST',
        '/api/admin/accounts/tokens-propagation/credentials/regenerate',
      );
      assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
      const refusedAfter = await timeUntil(async () => (await read()).status === 401, 1_000);
      t.diagnostic(
        `[${mode}] token refused on B ${refusedAfter.toFixed(1)} ms after A regenerated the credentials`,
      );
    });

    it('credentials regenerated on A with a grace period: the old ones and their tokens work on B through it, then stop there', async () => {
      const account = await operator.createAccount(a, 'grace-nodes');
      const login = (node: ServerNode, who: { userId: string; password: string }) =>
        node.request('POST', '/v2/authenticate/login', {
          headers: { authorization: basic(who.userId, who.password) },
        });
      const first = await login(a, account);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      const bearer = { authorization: `Bearer ${(first.body as { access_token: string }).access_token}` };
      const read = () => b.request('GET', '/v2/context/document/grace-nodes/ns/s1', { headers: bearer });
      // Known to B (its caches hold the account's state and the token) before the regeneration.
      assert.equal((await read()).status, 404);
      assert.equal((await login(b, account)).status, 200);
      const regenerated = await operator.call(
        a,
        'POST',
        '/api/admin/accounts/grace-nodes/credentials/regenerate',
        {
          graceSeconds: 3,
        },
      );
      assert.equal(regenerated.status, 200, JSON.stringify(regenerated.body));
      const fresh = regenerated.body as { userId: string; password: string; previousExpiresAt: string };
      const ends = Date.parse(fresh.previousExpiresAt);
      // B, told by the bus, takes the new ones at once and still the old ones and their token.
      await timeUntil(async () => (await login(b, fresh)).status === 200, 1_000);
      assert.equal((await login(b, account)).status, 200);
      assert.equal((await read()).status, 404);
      // After the grace period, by B's own clock (the same machine's): both refused there, the new ones still taken.
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, ends - Date.now()) + 50));
      assert.equal((await login(b, account)).status, 401);
      assert.equal((await read()).status, 401);
      assert.equal((await login(b, fresh)).status, 200);
    });

    it('DPoP: a token bound on A works on B with a new proof; a proof taken on one node is refused on the other; required on A, refused on B', async () => {
      const account = await operator.createAccount(a, 'dpop-nodes');
      const key = await dpopKey();
      const wall = { clock: { now: () => Date.now() } };
      const proof = (method: string, path: string, token?: string) =>
        dpopProof(wall, key, { method, url: `${ISSUER}${path}`, ...(token ? { token } : {}) });
      const tokenRequest = async (node: ServerNode, dpop?: string) =>
        node.request('POST', '/v2/authenticate/login', {
          headers: { authorization: basic(account.userId, account.password), ...(dpop ? { dpop } : {}) },
        });
      const issued = await tokenRequest(a, await proof('POST', '/v2/authenticate/login'));
      assert.equal(issued.status, 200, JSON.stringify(issued.body));
      const token = (issued.body as { access_token: string }).access_token;
      const path = '/v2/context/document/dpop-nodes/ns/none';
      const read = (node: ServerNode, dpop: string) =>
        node.request('GET', path, { headers: { authorization: `DPoP ${token}`, dpop } });
      const first = await proof('GET', path, token);
      assert.equal((await read(b, first)).status, 404, 'taken on B');
      const replayed = await read(a, first);
      assert.equal(replayed.status, 401, 'and refused on A, which never saw it');
      assert.match((replayed.body as { detail: string }).detail, /used already/);
      assert.equal((await read(a, await proof('GET', path, token))).status, 404);

      const bearer = await tokenRequest(b);
      assert.equal(bearer.status, 200);
      const bearerRead = () =>
        b.request('GET', path, {
          headers: { authorization: `Bearer ${(bearer.body as { access_token: string }).access_token}` },
        });
      assert.equal((await bearerRead()).status, 404, 'B knows the bearer token');
      const required = await operator.call(a, 'PUT', '/api/admin/accounts/dpop-nodes/dpop-required', {});
      assert.equal(required.status, 200, JSON.stringify(required.body));
      await timeUntil(async () => (await bearerRead()).status === 401, 1_000);
      assert.equal((await tokenRequest(b)).status, 400, 'no token without a proof on B');
      assert.equal(
        (await read(b, await proof('GET', path, token))).status,
        404,
        'the bound token still works',
      );
    });

    it('mutual TLS: a certificate added on A authenticates on B; removed on A, it and its tokens are refused on B within 1 s', async () => {
      const account = await operator.createAccount(a, 'mtls-nodes');
      const mine = certificate('client-ec');
      const tokenOn = (node: ServerNode) =>
        node.request('POST', '/oauth/token', {
          headers: { [CLIENT_CERT_HEADER]: clientCert(mine) },
          form: `grant_type=client_credentials&client_id=${account.userId}`,
        });
      assert.equal((await tokenOn(b)).status, 401, 'no certificate registered yet');
      const added = await operator.call(a, 'POST', '/api/admin/accounts/mtls-nodes/client-keys', {
        jwk: { x5c: [der(mine)], kid: 'cert' },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await timeUntil(async () => (await tokenOn(b)).status === 200, 1_000);
      const issued = await tokenOn(b);
      const token = (issued.body as { access_token: string }).access_token;
      const read = (node: ServerNode, headers: Record<string, string>) =>
        node.request('GET', '/v2/context/document/mtls-nodes/ns/none', {
          headers: { authorization: `Bearer ${token}`, ...headers },
        });
      assert.equal((await read(a, { [CLIENT_CERT_HEADER]: clientCert(mine) })).status, 404, 'taken on A');
      assert.equal((await read(a, {})).status, 401, 'not without the certificate');
      const withCertificate = { [CLIENT_CERT_HEADER]: clientCert(mine) };
      assert.equal((await read(b, withCertificate)).status, 404, 'taken on B (and remembered there)');
      const removed = await operator.call(a, 'DELETE', '/api/admin/accounts/mtls-nodes/client-keys/cert');
      assert.equal(removed.status, 204, JSON.stringify(removed.body));
      await timeUntil(async () => (await tokenOn(b)).status === 401, 1_000);
      // The token bound to the removed certificate ends with it, on B too.
      await timeUntil(async () => (await read(b, withCertificate)).status === 401, 1_000);
    });

    it('tls_client_auth: a certificate subject added on A authenticates on B; removed on A, its tokens are refused on B within 1 s', async () => {
      const account = await operator.createAccount(a, 'subject-nodes');
      const billing = clientCert(readFileSync(pki('billing.pem'), 'utf8'));
      const tokenOn = (node: ServerNode, certificate = billing) =>
        node.request('POST', '/oauth/token', {
          headers: { [CLIENT_CERT_HEADER]: certificate },
          form: `grant_type=client_credentials&client_id=${account.userId}`,
        });
      assert.equal((await tokenOn(b)).status, 401, 'no subject yet');
      const added = await operator.call(a, 'POST', '/api/admin/accounts/subject-nodes/client-keys', {
        tlsClientAuth: { tls_client_auth_san_dns: 'billing.acme.example', kid: 'billing' },
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      await timeUntil(async () => (await tokenOn(b)).status === 200, 1_000);
      const revoked = clientCert(readFileSync(pki('revoked.pem'), 'utf8'));
      assert.equal(
        (await tokenOn(b, revoked)).status,
        401,
        'the same names, revoked by the CA (CLIENT_CRL_FILE)',
      );
      const token = ((await tokenOn(b)).body as { access_token: string }).access_token;
      const read = (node: ServerNode) =>
        node.request('GET', '/v2/context/document/subject-nodes/ns/none', {
          headers: { authorization: `Bearer ${token}`, [CLIENT_CERT_HEADER]: billing },
        });
      assert.equal((await read(a)).status, 404, 'taken on A');
      assert.equal((await read(b)).status, 404, 'taken on B (and remembered there)');
      const removed = await operator.call(
        a,
        'DELETE',
        '/api/admin/accounts/subject-nodes/client-keys/billing',
      );
      assert.equal(removed.status, 204, JSON.stringify(removed.body));
      await timeUntil(async () => (await read(b)).status === 401, 1_000);
      assert.equal((await tokenOn(b)).status, 401);
    });

    it('an account suspended on A is refused on B within 1 s, key and token alike; resumed, both work again', async (t) => {
      const account = await operator.createAccount(a, 'suspend-propagation');
      const login = await a.request('POST', '/v2/authenticate/login', {
        headers: { authorization: basic(account.userId, account.password) },
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const bearer = { authorization: `Bearer ${(login.body as { access_token: string }).access_token}` };
      const v1 = () =>
        b.request('GET', '/v1/account/suspend-propagation', { headers: { 'maven-api-key': account.apiKey } });
      const v2 = () =>
        b.request('GET', '/v2/context/document/suspend-propagation/ns/none', { headers: bearer });
      // B has just accepted both, so its caches hold them.
      assert.equal((await v1()).status, 200);
      assert.equal((await v2()).status, 404);
      const path = '/api/admin/accounts/suspend-propagation';
      assert.equal((await operator.call(a, 'POST', `${path}/suspend`)).status, 200);
      const keyRefused = await timeUntil(async () => (await v1()).status === 401, 1_000);
      const tokenRefused = await timeUntil(async () => (await v2()).status === 401, 1_000);
      assert.equal((await operator.call(a, 'POST', `${path}/resume`)).status, 200);
      await timeUntil(async () => (await v1()).status === 200 && (await v2()).status === 404, 1_000);
      // Deleted on A: gone on B too.
      assert.equal((await operator.call(a, 'POST', `${path}/suspend`)).status, 200);
      assert.equal((await operator.call(a, 'DELETE', path)).status, 204);
      assert.equal((await operator.call(b, 'GET', path)).status, 404);
      await timeUntil(async () => (await v1()).status === 401 && (await v2()).status === 401, 1_000);
      t.diagnostic(
        `[${mode}] suspension seen on B: key refused after ${keyRefused.toFixed(1)} ms, token ${tokenRefused.toFixed(1)} ms later`,
      );
    });

    it("an account's own rate set on A holds on B within 1 s; removed, B lets it through again", async (t) => {
      const account = await operator.createAccount(a, 'rate-propagation');
      const v1 = () =>
        b.request('GET', '/v1/account/rate-propagation', { headers: { 'maven-api-key': account.apiKey } });
      assert.equal((await v1()).status, 200);
      const path = '/api/admin/accounts/rate-propagation/rate-limit';
      // One request a second with a burst of one: B refuses the second of two calls in a row.
      const set = await operator.call(a, 'PUT', path, { perSecond: 1, burst: 1 });
      assert.equal(set.status, 200, JSON.stringify(set.body));
      const heldBack = await timeUntil(
        async () => (await v1()).status === 429 || (await v1()).status === 429,
        1_000,
      );
      assert.equal((await operator.call(a, 'DELETE', path)).status, 200);
      const freed = await timeUntil(async () => {
        const statuses = await Promise.all([v1(), v1(), v1()]);
        return statuses.every((r) => r.status === 200);
      }, 3_000);
      t.diagnostic(
        `[${mode}] rate set on A held on B after ${heldBack.toFixed(1)} ms; removed, B let it through after ${freed.toFixed(1)} ms`,
      );
    });

    it(
      mode === 'postgres'
        ? "without Redis each node counts an account's rate on its own"
        : "with Redis the nodes count an account's rate together",
      async () => {
        const account = await operator.createAccount(a, 'rate-shared');
        const path = '/api/admin/accounts/rate-shared/rate-limit';
        const set = await operator.call(a, 'PUT', path, { perSecond: 1, burst: 5 });
        assert.equal(set.status, 200, JSON.stringify(set.body));
        // B reads the account's rate again when A's message arrives (milliseconds; see the test above).
        await new Promise((resolve) => setTimeout(resolve, 500));
        let accepted = 0;
        for (let i = 0; i < 20; i++) {
          const node = i % 2 ? b : a;
          const response = await node.request('GET', '/v1/account/rate-shared', {
            headers: { 'maven-api-key': account.apiKey },
          });
          if (response.status === 200) accepted++;
        }
        // Five a node alone; five for both together (a second passing meanwhile may add one).
        if (mode === 'postgres') assert.ok(accepted >= 10 && accepted <= 12, `${accepted} accepted`);
        else assert.ok(accepted >= 5 && accepted <= 6, `${accepted} accepted`);
      },
    );

    it("refuses on B, at once, an operator API token revoked on A and a removed operator's session", async () => {
      const made = await operator.call(a, 'POST', '/api/admin/operator-tokens', {
        name: 'ops',
        expiresInDays: 7,
      });
      assert.equal(made.status, 201, JSON.stringify(made.body));
      const { id, token } = made.body as { id: string; token: string };
      const viaToken = () =>
        b.request('GET', '/api/admin/accounts', { headers: { authorization: `Bearer ${token}` } });
      assert.equal((await viaToken()).status, 200);
      assert.equal((await operator.call(a, 'DELETE', `/api/admin/operator-tokens/${id}`)).status, 204);
      assert.equal((await viaToken()).status, 401, 'the very next request on B is refused');

      const added = await operator.call(a, 'POST', '/api/admin/operators', {
        username: 'leaver',
        password: 'leaver password 1',
      });
      assert.equal(added.status, 201, JSON.stringify(added.body));
      const leaver = await Operator.signIn(b, 'leaver', 'leaver password 1');
      assert.equal((await leaver.call(b, 'GET', '/api/admin/session')).status, 200);
      assert.equal((await operator.call(a, 'DELETE', '/api/admin/operators/leaver')).status, 204);
      assert.equal((await leaver.call(b, 'GET', '/api/admin/session')).status, 401);
    });

    it('loses nothing when 2 × 200 merges race into one document across both nodes', async () => {
      const account = await operator.createAccount(a, 'merges');
      const headers = { 'maven-api-key': account.apiKey };
      assert.equal(
        (await a.request('POST', '/v1/account/merges', { headers, json: { name: 'race' } })).status,
        204,
      );
      const merge = (node: ServerNode, name: string, value: number) =>
        // Generous timeout: this checks that nothing is lost, not speed, and CI runs other suites alongside.
        node.request('PATCH', '/v1/account/merges/race/hot/properties', {
          headers,
          json: { [name]: value },
          timeoutMs: 60_000,
        });
      const answers = await Promise.all(
        Array.from({ length: 200 }, (_, i) => [merge(a, `a${i}`, i), merge(b, `b${i}`, i)]).flat(),
      );
      assert.deepEqual(
        answers.filter((x) => x.status !== 204),
        [],
      );
      for (const node of [a, b]) {
        const read = await node.request('GET', '/v1/account/merges/race/hot/properties', { headers });
        const properties = read.body as Record<string, number>;
        assert.equal(Object.keys(properties).length, 400, `all 400 properties read on ${node.name}`);
        for (let i = 0; i < 200; i++) {
          assert.equal(properties[`a${i}`], i);
          assert.equal(properties[`b${i}`], i);
        }
      }
    });

    it('keeps every acknowledged write when A is killed under load, and B keeps serving', async () => {
      const account = await operator.createAccount(a, 'crash');
      const headers = { 'maven-api-key': account.apiKey };
      assert.equal(
        (await b.request('POST', '/v1/account/crash', { headers, json: { name: 'load' } })).status,
        204,
      );
      const acknowledged: string[] = [];
      const failuresOnB: string[] = [];
      let stop = false;
      const writer = async (node: ServerNode, id: string) => {
        for (let seq = 0; !stop; seq++) {
          const name = `${id}_${seq}`;
          try {
            const answer = await node.request('PATCH', `/v1/account/crash/load/${id}/properties`, {
              headers,
              json: { [name]: seq },
              timeoutMs: 5_000,
            });
            if (answer.status === 204) acknowledged.push(`${id}/${name}`);
            else if (node === b) failuresOnB.push(`${answer.status} ${JSON.stringify(answer.body)}`);
          } catch (error) {
            if (node === b) failuresOnB.push(String(error));
            else return; // A is gone: nothing it did not acknowledge counts.
          }
        }
      };
      const writers = [
        ...Array.from({ length: 8 }, (_, i) => writer(a, `a${i}`)),
        ...Array.from({ length: 2 }, (_, i) => writer(b, `b${i}`)),
      ];
      await new Promise((r) => setTimeout(r, 700));
      const ackedBeforeKill = acknowledged.filter((x) => x.startsWith('a')).length;
      a.process.kill('SIGKILL');
      await a.exited;
      await new Promise((r) => setTimeout(r, 700));
      stop = true;
      await Promise.all(writers);
      assert.ok(ackedBeforeKill > 20, `A acknowledged writes before the kill (${ackedBeforeKill})`);
      assert.deepEqual(failuresOnB, [], 'B served every request');
      assert.equal((await b.request('GET', '/readyz')).status, 200);
      const bySession = new Map<string, string[]>();
      for (const entry of acknowledged) {
        const [session = '', name = ''] = entry.split('/');
        bySession.set(session, [...(bySession.get(session) ?? []), name]);
      }
      for (const [session, names] of bySession) {
        const read = await b.request('GET', `/v1/account/crash/load/${session}/properties`, { headers });
        assert.equal(read.status, 200);
        const stored = read.body as Record<string, number>;
        const missing = names.filter((name) => !(name in stored));
        assert.deepEqual(missing, [], `acknowledged writes of ${session} all present on B`);
      }
    });
  });
}
