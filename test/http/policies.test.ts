import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  type AccountCredentials,
  createAccount,
  createTestApp,
  getToken,
  signIn,
  type TestApp,
} from '../helpers/app.js';
import { describeSecurity, type ProtectedRoute } from '../helpers/security.js';

const sample = {
  name: 'VIP customers',
  enabled: true,
  conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
  actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: '{{custom.vipSkill}}' } }],
};

const SECURED: [string, ProtectedRoute][] = [
  ['list', { method: 'GET', url: (a) => `/v2/policies?accountId=${a}`, auth: { v2: 'policies:read' } }],
  [
    'replace list',
    {
      method: 'PUT',
      url: (a) => `/v2/policies?accountId=${a}`,
      body: () => [sample],
      auth: { v2: 'policies:write' },
    },
  ],
  [
    'create',
    {
      method: 'POST',
      url: (a) => `/v2/policies?accountId=${a}`,
      body: () => sample,
      auth: { v2: 'policies:write' },
    },
  ],
  [
    'read one',
    { method: 'GET', url: (a) => `/v2/policies/p1?accountId=${a}`, auth: { v2: 'policies:read' } },
  ],
  [
    'replace one',
    {
      method: 'PUT',
      url: (a) => `/v2/policies/p1?accountId=${a}`,
      body: () => sample,
      auth: { v2: 'policies:write' },
    },
  ],
  [
    'delete one',
    { method: 'DELETE', url: (a) => `/v2/policies/p1?accountId=${a}`, auth: { v2: 'policies:write' } },
  ],
  [
    'read custom attributes',
    { method: 'GET', url: (a) => `/v2/custom-attributes?accountId=${a}`, auth: { v2: 'policies:read' } },
  ],
  [
    'replace custom attributes',
    {
      method: 'PUT',
      url: (a) => `/v2/custom-attributes?accountId=${a}`,
      body: () => ({ a: 1 }),
      auth: { v2: 'policies:write' },
    },
  ],
];
for (const [name, route] of SECURED) describeSecurity(`v2 policies: ${name}`, route);

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
interface Answer {
  status: number;
  etag: string | undefined;
  body: unknown;
  headers: Record<string, unknown>;
}

for (const storeKind of ['memory', 'sqlite'] as const) {
  describe(`policy API (${storeKind})`, () => {
    let t: TestApp;
    let acct: AccountCredentials;
    let token: string;
    before(async () => {
      t = await createTestApp({ store: storeKind });
      acct = await createAccount(t);
      token = await getToken(t, acct, 'policies:read policies:write next-actions');
    });
    after(async () => t.close());

    const call = async (
      method: Method,
      url: string,
      payload?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const response = await t.app.inject({
        method,
        url,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(payload === undefined
          ? {}
          : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
      });
      const etag = response.headers.etag;
      return {
        status: response.statusCode,
        etag: typeof etag === 'string' ? etag : undefined,
        body: response.body === '' ? undefined : response.json(),
        headers: response.headers,
      } as Answer;
    };
    const list = () => call('GET', '/v2/policies');
    const ids = async () => ((await list()).body as { id: string }[]).map((p) => p.id);
    const create = async (overrides: Record<string, unknown> = {}) => {
      const answer = await call('POST', '/v2/policies', { ...sample, ...overrides });
      assert.equal(answer.status, 201, JSON.stringify(answer.body));
      return answer.body as { id: string; name: string; enabled: boolean } & Record<string, unknown>;
    };
    const fields = (answer: Answer) =>
      ((answer.body as { errors?: { field: string }[] }).errors ?? []).map((e) => e.field);

    beforeEach(async () => {
      const current = await list();
      assert.equal(
        (await call('PUT', '/v2/policies', [], { 'if-match': current.etag as string })).status,
        200,
      );
    });

    test('an account starts with an empty list and empty custom attributes, each with an ETag', async () => {
      const fresh = await createAccount(t);
      const freshToken = await getToken(t, fresh, 'policies:read');
      for (const url of ['/v2/policies', '/v2/custom-attributes']) {
        const response = await t.app.inject({
          method: 'GET',
          url,
          headers: { authorization: `Bearer ${freshToken}` },
        });
        assert.equal(response.statusCode, 200);
        assert.match(String(response.headers.etag), /^"[A-Za-z0-9_-]{27}"$/);
        assert.deepEqual(response.json(), url.endsWith('policies') ? [] : {});
      }
    });

    test('POST appends at the bottom, disabled unless enabled is given, with a server id, ETag and Location', async () => {
      const first = await create({ name: 'first', id: 'chosen-by-client' });
      const { enabled: _, ...withoutEnabled } = sample;
      const second = await call('POST', '/v2/policies', { ...withoutEnabled, name: 'second' });
      assert.equal(second.status, 201);
      const created = second.body as { id: string; enabled: boolean };
      assert.notEqual(first.id, 'chosen-by-client');
      assert.match(first.id, /^[0-9a-f-]{36}$/);
      assert.equal(first.enabled, true);
      assert.equal(created.enabled, false);
      assert.equal(second.headers.location, `/v2/policies/${created.id}`);
      assert.deepEqual(await ids(), [first.id, created.id]);
      const one = await call('GET', `/v2/policies/${created.id}`);
      assert.equal(one.status, 200);
      assert.equal(one.etag, second.etag);
      assert.deepEqual(one.body, created);
      assert.equal((await call('GET', '/v2/policies/unknown')).status, 404);
    });

    test('the wire shape of SPEC §4; legacy payload names are stored under the current ones', async () => {
      const created = await create({
        actions: [
          { type: 'TRANSFER_TO_AGENT', payload: { agentId: 5, fallbackSkillId: '77' } },
          { type: 'SEND_MESSAGE', payload: { text: 'hi' } },
        ],
      });
      assert.deepEqual(created, {
        id: created.id,
        name: 'VIP customers',
        enabled: true,
        conditions: sample.conditions,
        actions: [
          { type: 'TRANSFER_TO_AGENT', payload: { userId: 5, skillId: '77' } },
          { type: 'SEND_MESSAGE', payload: { message: 'hi' } },
        ],
      });
      const expression = await create({
        conditions: undefined,
        expression: "orchestrator.intent == 'billing' and not (custom.closed)",
      });
      assert.equal(expression.expression, "orchestrator.intent == 'billing' and not (custom.closed)");
      assert.equal('conditions' in expression, false);
    });

    test('validation: every problem with its field → 400', async () => {
      const refused = async (body: unknown, expected: string[]) => {
        const answer = await call('POST', '/v2/policies', body);
        assert.equal(answer.status, 400, JSON.stringify(answer.body));
        assert.equal((answer.body as { code: string }).code, 'validation_failed');
        for (const field of expected)
          assert.ok(fields(answer).includes(field), `${field} in ${fields(answer)}`);
        return answer;
      };
      await refused({ ...sample, conditions: [{ attribute: 'custom.tier', operator: 'LIKE', value: 'x' }] }, [
        'conditions[0].operator',
      ]);
      await refused({ ...sample, actions: [{ type: 'CALL_HUMAN', payload: {} }] }, ['actions[0].type']);
      await refused({ ...sample, expression: 'custom.a == 1' }, ['conditions']);
      await refused({ name: 'x', actions: sample.actions }, ['conditions']);
      await refused({ ...sample, actions: [] }, ['actions']);
      await refused({ ...sample, actions: [{ type: 'TRANSFER_TO_SKILL', payload: {} }] }, [
        'actions[0].payload.skillId',
      ]);
      const bad = await refused({ ...sample, conditions: undefined, expression: "custom.a == 'x" }, [
        'expression',
      ]);
      assert.match(JSON.stringify(bad.body), /position \d+/);
      await refused({ ...sample, name: '', enabled: 'yes', colour: 'red' }, ['name', 'enabled', 'colour']);
      await refused(
        { ...sample, conditions: [{ attribute: 'custom.n', operator: 'LESS_THAN', value: 'ten' }] },
        ['conditions[0].value'],
      );
      await refused([], ['policy']);
      await refused('not json', []);
      assert.equal((await call('POST', '/v2/policies', '{"name":')).status, 400);
      assert.deepEqual(await ids(), []);
    });

    test('PUT of one policy: If-Match required (428), stale → 412, current → 200 with a new ETag', async () => {
      const created = await call('POST', '/v2/policies', sample);
      const { id } = created.body as { id: string };
      const url = `/v2/policies/${id}`;
      const renamed = { ...sample, name: 'renamed' };
      const missing = await call('PUT', url, renamed);
      assert.equal(missing.status, 428);
      assert.equal((missing.body as { code: string }).code, 'precondition_required');
      const updated = await call('PUT', url, renamed, { 'if-match': created.etag as string });
      assert.equal(updated.status, 200);
      assert.notEqual(updated.etag, created.etag);
      assert.equal((updated.body as { name: string; id: string }).name, 'renamed');
      assert.equal((updated.body as { id: string }).id, id);
      const stale = await call(
        'PUT',
        url,
        { ...sample, name: 'lost update' },
        { 'if-match': created.etag as string },
      );
      assert.equal(stale.status, 412);
      assert.equal((stale.body as { code: string; etag: string }).etag, updated.etag);
      assert.equal((await call('GET', url)).etag, updated.etag);
      assert.equal(((await call('GET', url)).body as { name: string }).name, 'renamed');
      // enabled is replaced too: absent means false.
      const { enabled: _, ...disabled } = sample;
      const replaced = await call('PUT', url, disabled, { 'if-match': `"nope", ${updated.etag}` });
      assert.equal(replaced.status, 200);
      assert.equal((replaced.body as { enabled: boolean }).enabled, false);
      assert.equal((await call('PUT', url, sample, { 'if-match': `W/${replaced.etag}` })).status, 412);
      assert.equal((await call('PUT', url, sample, { 'if-match': 'garbage' })).status, 412);
      assert.equal((await call('PUT', url, sample, { 'if-match': '*' })).status, 200);
      assert.equal((await call('PUT', '/v2/policies/unknown', sample, { 'if-match': '*' })).status, 404);
      const invalid = await call('PUT', url, { name: 'x' }, { 'if-match': '*' });
      assert.equal(invalid.status, 400);
    });

    test('two editors: the second save of the same version is refused, nothing is lost', async () => {
      const created = await call('POST', '/v2/policies', sample);
      const { id } = created.body as { id: string };
      const [alice, bob] = [await call('GET', `/v2/policies/${id}`), await call('GET', `/v2/policies/${id}`)];
      const put = (name: string, etag: string | undefined) =>
        call('PUT', `/v2/policies/${id}`, { ...sample, name }, { 'if-match': etag as string });
      const outcomes = await Promise.all([put('alice', alice.etag), put('bob', bob.etag)]);
      assert.deepEqual(outcomes.map((o) => o.status).sort(), [200, 412]);
      const winner = outcomes.find((o) => o.status === 200)?.body as { name: string };
      assert.equal(((await call('GET', `/v2/policies/${id}`)).body as { name: string }).name, winner.name);
    });

    test('a policy’s ETag is its own: changing another policy or the custom attributes leaves it valid', async () => {
      const a = await call('POST', '/v2/policies', { ...sample, name: 'a' });
      const b = await call('POST', '/v2/policies', { ...sample, name: 'b' });
      const bId = (b.body as { id: string }).id;
      const aId = (a.body as { id: string }).id;
      assert.equal(
        (
          await call(
            'PUT',
            `/v2/policies/${aId}`,
            { ...sample, name: 'a2' },
            { 'if-match': a.etag as string },
          )
        ).status,
        200,
      );
      assert.equal((await call('PUT', '/v2/custom-attributes', { x: 1 }, { 'if-match': '*' })).status, 200);
      assert.equal(
        (
          await call(
            'PUT',
            `/v2/policies/${bId}`,
            { ...sample, name: 'b2' },
            { 'if-match': b.etag as string },
          )
        ).status,
        200,
      );
    });

    test('DELETE needs the current ETag; the policy is gone and the rest keep their order', async () => {
      const [a, b, c] = [
        await create({ name: 'a' }),
        await create({ name: 'b' }),
        await create({ name: 'c' }),
      ];
      const etag = (await call('GET', `/v2/policies/${b.id}`)).etag as string;
      assert.equal((await call('DELETE', `/v2/policies/${b.id}`)).status, 428);
      assert.equal(
        (await call('DELETE', `/v2/policies/${b.id}`, undefined, { 'if-match': '"stale"' })).status,
        412,
      );
      const deleted = await call('DELETE', `/v2/policies/${b.id}`, undefined, { 'if-match': etag });
      assert.equal(deleted.status, 204);
      assert.equal(deleted.body, undefined);
      assert.deepEqual(await ids(), [a.id, c.id]);
      assert.equal((await call('GET', `/v2/policies/${b.id}`)).status, 404);
      assert.equal(
        (await call('DELETE', `/v2/policies/${b.id}`, undefined, { 'if-match': etag })).status,
        404,
      );
    });

    test('PUT of the list: reorders keeping ids, new items get ids, If-Match on the list', async () => {
      const [a, b] = [await create({ name: 'a' }), await create({ name: 'b' })];
      const current = await list();
      const body = [
        { ...sample, id: b.id, name: 'b' },
        { ...sample, name: 'new' },
        { ...sample, id: a.id, name: 'a', enabled: false },
        { ...sample, id: 'not-a-current-id', name: 'foreign' },
      ];
      assert.equal((await call('PUT', '/v2/policies', body)).status, 428);
      assert.equal((await call('PUT', '/v2/policies', body, { 'if-match': '"stale"' })).status, 412);
      const saved = await call('PUT', '/v2/policies', body, { 'if-match': current.etag as string });
      assert.equal(saved.status, 200, JSON.stringify(saved.body));
      const policies = saved.body as { id: string; name: string; enabled: boolean }[];
      assert.deepEqual(
        policies.map((p) => p.name),
        ['b', 'new', 'a', 'foreign'],
      );
      assert.equal(policies[0]?.id, b.id);
      assert.equal(policies[2]?.id, a.id);
      assert.equal(policies[2]?.enabled, false);
      assert.ok(![a.id, b.id, 'not-a-current-id'].includes(policies[1]?.id as string));
      assert.notEqual(policies[3]?.id, 'not-a-current-id');
      assert.equal((await list()).etag, saved.etag);
      // The list's ETag covers the list only: custom attributes do not change it.
      assert.equal((await call('PUT', '/v2/custom-attributes', { y: 2 }, { 'if-match': '*' })).status, 200);
      assert.equal((await list()).etag, saved.etag);
      // Any change of a policy does.
      await create({ name: 'later' });
      assert.equal((await call('PUT', '/v2/policies', [], { 'if-match': saved.etag as string })).status, 412);
    });

    test('PUT of the list: errors are reported with the item index; a repeated id is refused', async () => {
      const a = await create({ name: 'a' });
      const etag = (await list()).etag as string;
      const bad = await call(
        'PUT',
        '/v2/policies',
        [sample, { ...sample, name: '' }, { ...sample, actions: [{ type: 'X', payload: {} }] }],
        { 'if-match': etag },
      );
      assert.equal(bad.status, 400);
      assert.deepEqual(fields(bad), ['[1].name', '[2].actions[0].type']);
      const twice = await call(
        'PUT',
        '/v2/policies',
        [
          { ...sample, id: a.id },
          { ...sample, id: a.id },
        ],
        {
          'if-match': etag,
        },
      );
      assert.equal(twice.status, 400);
      assert.deepEqual(fields(twice), ['[1].id']);
      assert.equal((await call('PUT', '/v2/policies', { not: 'a list' }, { 'if-match': etag })).status, 400);
      assert.deepEqual(await ids(), [a.id]);
    });

    test('If-None-Match with the current ETag → 304', async () => {
      const created = await create();
      for (const url of ['/v2/policies', `/v2/policies/${created.id}`, '/v2/custom-attributes']) {
        const first = await call('GET', url);
        const again = await call('GET', url, undefined, { 'if-none-match': first.etag as string });
        assert.equal(again.status, 304);
        assert.equal((await call('GET', url, undefined, { 'if-none-match': '"other"' })).status, 200);
      }
    });

    test('custom attributes: every value type, If-Match, validation', async () => {
      const current = await call('GET', '/v2/custom-attributes');
      const attributes = {
        tier: 'gold',
        limit: 3.5,
        vip: true,
        regions: ['eu', 1],
        profile: { a: { b: null } },
      };
      assert.equal((await call('PUT', '/v2/custom-attributes', attributes)).status, 428);
      const saved = await call('PUT', '/v2/custom-attributes', attributes, {
        'if-match': current.etag as string,
      });
      assert.equal(saved.status, 200);
      assert.deepEqual(saved.body, attributes);
      const read = await call('GET', '/v2/custom-attributes');
      assert.deepEqual(read.body, attributes);
      assert.equal(read.etag, saved.etag);
      assert.equal(
        (await call('PUT', '/v2/custom-attributes', {}, { 'if-match': current.etag as string })).status,
        412,
      );
      const bad = await call(
        'PUT',
        '/v2/custom-attributes',
        { '1bad': 1, 'a.b': 2, ok: 1 },
        { 'if-match': '*' },
      );
      assert.equal(bad.status, 400);
      assert.deepEqual(fields(bad).sort(), ['1bad', 'a.b']);
      assert.equal((await call('PUT', '/v2/custom-attributes', ['x'], { 'if-match': '*' })).status, 400);
      assert.equal(
        (await call('PUT', '/v2/custom-attributes', '{"__proto__":{"x":1}}', { 'if-match': '*' })).status,
        400,
      );
      assert.deepEqual((await call('GET', '/v2/custom-attributes')).body, attributes);
    });

    test('an account holds at most 2,000 policies', async () => {
      const many = Array.from({ length: 2000 }, (_, i) => ({ ...sample, name: `p${i}` }));
      const etag = (await list()).etag as string;
      const saved = await call('PUT', '/v2/policies', many, { 'if-match': etag });
      assert.equal(saved.status, 200);
      assert.equal((await call('POST', '/v2/policies', sample)).status, 409);
      const tooMany = await call('PUT', '/v2/policies', [...many, sample], {
        'if-match': saved.etag as string,
      });
      assert.equal(tooMany.status, 400);
    });

    test('without ?accountId a token addresses its own account; with it, only its own', async () => {
      await create({ name: 'mine' });
      const other = await createAccount(t);
      const otherToken = await getToken(t, other, 'policies:read');
      const read = (url: string, bearer: string) =>
        t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${bearer}` } });
      assert.deepEqual((await read('/v2/policies', otherToken)).json(), []);
      assert.equal((await read(`/v2/policies?accountId=${acct.accountId}`, otherToken)).statusCode, 403);
      assert.equal((await read(`/v2/policies?accountId=${other.accountId}`, otherToken)).statusCode, 200);
      assert.equal((await read(`/v2/policies?accountId=${acct.accountId}`, token)).statusCode, 200);
    });

    test('changes are audited with the client as actor', async () => {
      const created = await create({ name: 'audited' });
      const events = await t.ctx.store.audit.listAudit({ accountId: acct.accountId, limit: 20 });
      const event = events.find((e) => e.action === 'policy.created' && e.detail.policyId === created.id);
      assert.ok(event);
      assert.equal(event.actor, `client:${acct.userId}`);
      assert.equal(event.detail.name, 'audited');
    });

    test('property: random bodies never answer 5xx', async () => {
      const condition = fc.record(
        {
          attribute: fc.oneof(fc.constantFrom('custom.tier', 'orchestrator.intent', 'x'), fc.string()),
          operator: fc.oneof(fc.constantFrom('EQUAL', 'IS_IN', 'LESS_THAN', 'CONTAINS'), fc.string()),
          value: fc.jsonValue({ maxDepth: 3 }),
        },
        { requiredKeys: [] },
      );
      const action = fc.record(
        {
          type: fc.oneof(
            fc.constantFrom('TRANSFER_TO_SKILL', 'TRANSFER_TO_AGENT', 'SEND_MESSAGE'),
            fc.string(),
          ),
          payload: fc.oneof(
            fc.dictionary(
              fc.constantFrom('skillId', 'userId', 'agentId', 'message', 'text', 'x'),
              fc.jsonValue({ maxDepth: 1 }),
            ),
            fc.jsonValue({ maxDepth: 2 }),
          ),
        },
        { requiredKeys: [] },
      );
      const policy = fc.oneof(
        fc.record(
          {
            id: fc.jsonValue({ maxDepth: 1 }),
            name: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
            enabled: fc.oneof(fc.boolean(), fc.jsonValue({ maxDepth: 1 })),
            conditions: fc.oneof(fc.array(condition, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
            expression: fc.oneof(
              fc.string(),
              fc.constantFrom('custom.a == 1', "isTimeRange('09:00','17:00','Nowhere/City')"),
            ),
            actions: fc.oneof(fc.array(action, { maxLength: 3 }), fc.jsonValue({ maxDepth: 2 })),
          },
          { requiredKeys: [] },
        ),
        fc.jsonValue({ maxDepth: 3 }),
      );
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(
            'POST /v2/policies',
            'PUT /v2/policies',
            'PUT /v2/policies/x',
            'PUT /v2/custom-attributes',
          ),
          policy,
          fc.array(policy, { maxLength: 3 }),
          async (route, one, many) => {
            const [method, url] = route.split(' ') as [Method, string];
            const body = route === 'PUT /v2/policies' ? many : route.endsWith('attributes') ? one : one;
            const answer = await call(method, url, body ?? null, { 'if-match': '*' });
            assert.ok(answer.status < 500, `${answer.status} ${JSON.stringify(answer.body)}`);
            const evaluated = await t.app.inject({
              method: 'POST',
              url: '/v2/policy/nextaction',
              headers: { authorization: `Bearer ${token}` },
              payload: { accountId: acct.accountId, conversationId: 'c' },
            });
            assert.equal(evaluated.statusCode, 200);
          },
        ),
        { numRuns: 150 },
      );
    });
  });
}

describe('policy admin API', () => {
  let t: TestApp;
  let acct: AccountCredentials;
  let session: { headers: Record<string, string>; cookie: string };
  before(async () => {
    t = await createTestApp();
    acct = await createAccount(t);
    session = await signIn(t);
  });
  after(async () => t.close());

  const base = () => `/api/admin/accounts/${acct.accountId}`;
  const admin = (method: Method, url: string, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({
      method,
      url,
      headers: { ...session.headers, ...headers },
      ...(payload === undefined ? {} : { payload: payload as object }),
    });

  test('sign-in required; changes need the CSRF token; unknown accounts are 404', async () => {
    assert.equal((await t.app.inject({ method: 'GET', url: `${base()}/policies` })).statusCode, 401);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: `${base()}/policies`,
      headers: { cookie: session.cookie },
      payload: sample,
    });
    assert.equal(noCsrf.statusCode, 403);
    assert.equal((await admin('GET', '/api/admin/accounts/nobody/policies')).statusCode, 404);
    assert.equal((await admin('GET', '/api/admin/accounts/nobody/policy-logs')).statusCode, 404);
    assert.equal((await admin('POST', '/api/admin/accounts/nobody/policies/dry-run', {})).statusCode, 404);
    assert.equal((await admin('GET', '/api/admin/accounts/bad%20id/policies')).statusCode, 400);
  });

  test('the same operations as v2, with ETags, each change audited', async () => {
    const created = await admin('POST', `${base()}/policies`, { ...sample, name: 'from the web app' });
    assert.equal(created.statusCode, 201);
    const { id } = created.json() as { id: string };
    assert.equal(created.headers.location, `${base()}/policies/${id}`);
    const updated = await admin(
      'PUT',
      `${base()}/policies/${id}`,
      { ...sample, enabled: false },
      {
        'if-match': String(created.headers.etag),
      },
    );
    assert.equal(updated.statusCode, 200);
    const listed = await admin('GET', `${base()}/policies`);
    assert.deepEqual(
      (listed.json() as { id: string }[]).map((p) => p.id),
      [id],
    );
    const reordered = await admin('PUT', `${base()}/policies`, [{ ...sample, id }], {
      'if-match': String(listed.headers.etag),
    });
    assert.equal(reordered.statusCode, 200);
    const attrs = await admin('PUT', `${base()}/custom-attributes`, { tier: 'gold' }, { 'if-match': '*' });
    assert.equal(attrs.statusCode, 200);
    assert.deepEqual((await admin('GET', `${base()}/custom-attributes`)).json(), { tier: 'gold' });
    const etag = String((await admin('GET', `${base()}/policies/${id}`)).headers.etag);
    assert.equal(
      (await admin('DELETE', `${base()}/policies/${id}`, undefined, { 'if-match': etag })).statusCode,
      204,
    );
    const events = await t.ctx.store.audit.listAudit({ accountId: acct.accountId, limit: 20 });
    assert.deepEqual(
      events
        .filter((e) => e.actor === 'admin')
        .map((e) => e.action)
        .reverse(),
      [
        'policy.created',
        'policy.updated',
        'policies.replaced',
        'custom-attributes.updated',
        'policy.deleted',
      ],
    );
  });

  test('policy logs: by conversation, newest first, limit, kept 7 days', async () => {
    const etag = String((await admin('GET', `${base()}/policies`)).headers.etag);
    const saved = await admin(
      'PUT',
      `${base()}/policies`,
      [
        { ...sample, name: 'off', enabled: false },
        {
          ...sample,
          name: 'gold',
          conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
        },
      ],
      { 'if-match': etag },
    );
    assert.equal(saved.statusCode, 200);
    await admin('PUT', `${base()}/custom-attributes`, { tier: 'gold', vipSkill: 's' }, { 'if-match': '*' });
    for (const conversationId of ['log-1', 'log-2', 'log-1']) {
      await t.services.policies.nextAction(acct.accountId, { conversationId });
      t.clock.advance(1000);
    }
    const logs = await admin('GET', `${base()}/policy-logs?conversationId=log-1`);
    assert.equal(logs.statusCode, 200);
    const entries = logs.json() as { at: string; conversationId: string; results: unknown[] }[];
    assert.equal(entries.length, 2);
    assert.ok((entries[0]?.at as string) > (entries[1]?.at as string));
    assert.deepEqual(entries[0]?.results, [
      { policyId: (saved.json() as { id: string }[])[0]?.id, name: 'off', result: 'DISABLED' },
      { policyId: (saved.json() as { id: string }[])[1]?.id, name: 'gold', result: 'TRUE' },
    ]);
    assert.equal(((await admin('GET', `${base()}/policy-logs?limit=1`)).json() as unknown[]).length, 1);
    assert.equal(((await admin('GET', `${base()}/policy-logs`)).json() as unknown[]).length, 3);
    assert.equal((await admin('GET', `${base()}/policy-logs?limit=lots`)).statusCode, 400);
    // Older than 7 days: no longer shown, and purged by maintenance (whole hours or days: a day on).
    const later = 8 * 86_400_000;
    t.clock.advance(later);
    try {
      assert.equal((await t.services.policies.searchLogs(acct.accountId, { limit: 500 })).length, 0);
      assert.equal(
        await t.ctx.store.policyLogs.purgePolicyLogsBefore(t.clock.now() - 7 * 86_400_000, 1_000),
        3,
      );
    } finally {
      t.clock.advance(-later);
    }
    assert.equal(((await admin('GET', `${base()}/policy-logs`)).json() as unknown[]).length, 0);
  });

  test('dry run: the winner, every policy’s own result and the attributes read; nothing logged', async () => {
    const etag = String((await admin('GET', `${base()}/policies`)).headers.etag);
    await admin(
      'PUT',
      `${base()}/policies`,
      [
        {
          ...sample,
          name: 'missing',
          conditions: [{ attribute: 'dry.intent', operator: 'EQUAL', value: 'x' }],
        },
        {
          ...sample,
          name: 'gold',
          conditions: [{ attribute: 'custom.tier', operator: 'EQUAL', value: 'gold' }],
        },
        {
          ...sample,
          name: 'after',
          conditions: [{ attribute: 'custom.tier', operator: 'NOT_EQUAL', value: 'x' }],
        },
      ],
      { 'if-match': etag },
    );
    await admin('PUT', `${base()}/custom-attributes`, { tier: 'gold', vipSkill: 'vip' }, { 'if-match': '*' });
    const before = await t.services.policies.searchLogs(acct.accountId, { limit: 500 });
    const run = await admin('POST', `${base()}/policies/dry-run`, { request: { conversationId: 'dry-1' } });
    assert.equal(run.statusCode, 200, run.body);
    // Its body is optional: without one, the saved policies against an empty sample request.
    const bare = await admin('POST', `${base()}/policies/dry-run`);
    assert.equal(bare.statusCode, 200, bare.body);
    const result = run.json() as {
      rule: { name: string; actions: unknown[] };
      results: { name: string; result: string; reached: boolean; reason?: string }[];
      attributes: { name: string; found: boolean; value?: unknown }[];
    };
    assert.equal(result.rule.name, 'gold');
    assert.deepEqual(result.rule.actions, [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: 'vip' } }]);
    assert.deepEqual(
      result.results.map(({ name, result, reached }) => `${name}:${result}:${reached}`),
      ['missing:ERROR:true', 'gold:TRUE:true', 'after:TRUE:false'],
    );
    assert.equal(result.results[0]?.reason, 'missing attribute dry.intent');
    assert.deepEqual(result.attributes, [
      { name: 'custom.tier', found: true, value: 'gold' },
      { name: 'custom.vipSkill', found: true, value: 'vip' },
      { name: 'dry.intent', found: false },
    ]);
    assert.equal(
      (await t.services.policies.searchLogs(acct.accountId, { limit: 500 })).length,
      before.length,
    );

    const draft = await admin('POST', `${base()}/policies/dry-run`, {
      request: { consumerId: 'u1' },
      policies: [
        {
          ...sample,
          name: 'draft',
          conditions: [{ attribute: 'conversation.consumerId', operator: 'EQUAL', value: 'u1' }],
        },
      ],
      customAttributes: { vipSkill: 'draft-skill' },
    });
    assert.equal(draft.statusCode, 200, draft.body);
    assert.deepEqual((draft.json() as { rule: unknown }).rule, {
      id: 'draft-1',
      name: 'draft',
      actions: [{ type: 'TRANSFER_TO_SKILL', payload: { skillId: 'draft-skill' } }],
    });
    const none = await admin('POST', `${base()}/policies/dry-run`, { policies: [] });
    assert.deepEqual(none.json(), {
      rule: null,
      noMatchReason: 'NO_POLICIES_ENABLED',
      results: [],
      attributes: [],
    });
    const bad = await admin('POST', `${base()}/policies/dry-run`, {
      policies: [{ name: '' }],
      customAttributes: { ok: 1 },
    });
    assert.equal(bad.statusCode, 400);
    assert.ok(JSON.stringify(bad.json()).includes('policies[0].name'));
    const badAttrs = await admin('POST', `${base()}/policies/dry-run`, { customAttributes: { '9': 1 } });
    assert.equal(badAttrs.statusCode, 400);
    assert.ok(JSON.stringify(badAttrs.json()).includes('customAttributes.9'));
    assert.equal(
      (await admin('POST', `${base()}/policies/dry-run`, { request: { conversationId: 5 } })).statusCode,
      400,
    );
  });
});
