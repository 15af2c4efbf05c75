import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { caller, createAccount, createTestApp, signIn, type TestApp } from '../helpers/app.js';

/** The accounts list in pages (`limit`, and the `Link` header to the next), and searched by part of an id. */
describe('GET /api/admin/accounts: pages and search', () => {
  let t: TestApp;
  let admin: Awaited<ReturnType<typeof signIn>>;
  const call = caller(() => t);
  const ids = (body: string) => (JSON.parse(body) as { accountId: string }[]).map((a) => a.accountId);
  /** The next page's URL, as a browser resolves the Link header's reference against the request's. */
  const next = (link: string | string[] | number | undefined, from: string) => {
    const match = /^<([^>]+)>; rel="next"$/.exec(String(link ?? ''));
    if (!match) return null;
    const url = new URL(match[1] as string, `http://host${from}`);
    return url.pathname + url.search;
  };

  before(async () => {
    t = await createTestApp({ store: 'sqlite' });
    admin = await signIn(t);
    for (const id of ['acme-eu', 'acme-us', 'ACME_apac', 'globex', 'initech', 'acme-test'])
      await createAccount(t, id);
  });
  after(async () => t.close());

  test('without a limit, every account as before; with one, pages that the Link header chains to the end', async () => {
    const all = await call('GET', '/api/admin/accounts', admin.headers);
    assert.equal(all.statusCode, 200);
    assert.deepEqual(ids(all.body), ['ACME_apac', 'acme-eu', 'acme-test', 'acme-us', 'globex', 'initech']);
    assert.equal(all.headers.link, undefined);

    const seen: string[] = [];
    let url: string | null = '/api/admin/accounts?limit=4';
    let pages = 0;
    while (url) {
      const page = await call('GET', url, admin.headers);
      assert.equal(page.statusCode, 200, page.body);
      seen.push(...ids(page.body));
      url = next(page.headers.link, url);
      pages++;
    }
    assert.equal(pages, 2);
    assert.deepEqual(seen, ids(all.body));
    // A last page that is exactly full names no next one.
    const exact = await call('GET', '/api/admin/accounts?limit=6', admin.headers);
    assert.equal(ids(exact.body).length, 6);
    assert.equal(exact.headers.link, undefined);
  });

  test('search keeps the ids holding the text whatever its case, in pages too', async () => {
    const found = await call('GET', '/api/admin/accounts?search=acme', admin.headers);
    assert.deepEqual(ids(found.body), ['ACME_apac', 'acme-eu', 'acme-test', 'acme-us']);
    const first = await call('GET', '/api/admin/accounts?search=ACME-&limit=2', admin.headers);
    assert.deepEqual(ids(first.body), ['acme-eu', 'acme-test']);
    const link = next(first.headers.link, '/api/admin/accounts?search=ACME-&limit=2');
    assert.equal(link, '/api/admin/accounts?search=ACME-&after=acme-test&limit=2');
    assert.deepEqual(ids((await call('GET', link as string, admin.headers)).body), ['acme-us']);
    assert.deepEqual(ids((await call('GET', '/api/admin/accounts?search=_', admin.headers)).body), [
      'ACME_apac',
    ]);
    assert.deepEqual(ids((await call('GET', '/api/admin/accounts?search=nothing', admin.headers)).body), []);
  });

  test('an operator limited to some accounts pages through those alone', async () => {
    const made = await call('POST', '/api/admin/operators', admin.headers, {
      username: 'acme-desk',
      role: 'viewer',
      accounts: ['acme-eu', 'acme-us', 'globex'],
    });
    assert.equal(made.statusCode, 201, made.body);
    const desk = await signIn(t, 'acme-desk', made.json().password);
    const first = await call('GET', '/api/admin/accounts?limit=2', desk.headers);
    assert.deepEqual(ids(first.body), ['acme-eu', 'acme-us']);
    const link = next(first.headers.link, '/api/admin/accounts?limit=2');
    assert.deepEqual(ids((await call('GET', link as string, desk.headers)).body), ['globex']);
    assert.deepEqual(ids((await call('GET', '/api/admin/accounts?search=acme', desk.headers)).body), [
      'acme-eu',
      'acme-us',
    ]);
  });

  test('a limit out of 1-1000, a search or an id that no account id could hold: 400', async () => {
    for (const query of [
      'limit=0',
      'limit=1001',
      'limit=ten',
      'search=a%20b',
      'search=',
      'after=no%20id',
      'other=1',
    ])
      assert.equal((await call('GET', `/api/admin/accounts?${query}`, admin.headers)).statusCode, 400, query);
  });
});
